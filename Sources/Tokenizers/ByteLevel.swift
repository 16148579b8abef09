/// GPT-2's byte-level alphabet: each of the 256 byte values as a printable character, so that
/// any text, in bytes, is a string of vocabulary symbols. Printable Latin-1 bytes stand for
/// themselves; the others (controls, space, soft hyphen…) take the characters from U+0100 on,
/// in byte order (space is "Ġ", newline "Ċ").
enum ByteLevel {
    static let characters: [Unicode.Scalar] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next = 0x100
        for byte in 0..<256 {
            if printable.contains(byte) {
                table[byte] = Unicode.Scalar(UInt32(byte))!
            } else {
                table[byte] = Unicode.Scalar(UInt32(next))!
                next += 1
            }
        }
        return table
    }()

    static let bytes: [Unicode.Scalar: UInt8] = Dictionary(
        uniqueKeysWithValues: characters.enumerated().map { ($0.element, UInt8($0.offset)) })

    /// The text's UTF-8 bytes as alphabet characters.
    static func encode(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for b in text.utf8 { out.append(characters[Int(b)]) }
        return String(out)
    }

    /// The bytes that alphabet characters stand for; characters outside the alphabet (added
    /// tokens' text) as their own UTF-8.
    static func decode(_ symbols: String) -> [UInt8] {
        var out: [UInt8] = []
        for c in symbols.unicodeScalars {
            if let b = bytes[c] { out.append(b) } else { out.append(contentsOf: Array(String(c).utf8)) }
        }
        return out
    }
}
