/// The tokens tokenizer.json lists under `added_tokens` ([CLS], <|endoftext|>, <mask>…): found
/// in the text before anything else and kept whole. Those marked `normalized` are looked for
/// in the normalised text, as their normalised form; the others in the text as given.
struct AddedTokens: Sendable {
    struct Token: Sendable {
        let id: Int
        let content: String
        /// Matches only where no word character touches either end.
        let singleWord: Bool
        /// Takes the whitespace before (lstrip) or after (rstrip) it into itself.
        let lstrip: Bool
        let rstrip: Bool
        let normalized: Bool
        /// Left out when decoding skips special tokens.
        let special: Bool
    }

    let all: [Token]
    private let raw: Matcher
    private let normalizedForm: Matcher

    init(_ tokens: [Token], normalizer: Normalizer?) {
        all = tokens
        raw = Matcher(tokens.filter { !$0.normalized }.map { ($0.content, $0) })
        normalizedForm = Matcher(tokens.filter(\.normalized).map { t in (normalizer.map { $0(t.content) } ?? t.content, t) })
    }

    static func parse(_ json: JSONFields) throws -> [Token] {
        guard !json.isNull("added_tokens") else { return [] }
        return try json.objects("added_tokens").map { t in
            let content = try t.string("content")
            guard !content.isEmpty else { throw TokenizerError("\(t.source): \(t.name("content")): an added token must not be empty") }
            let special = try t.bool("special", default: false)
            return Token(
                id: try t.int("id"), content: content, singleWord: try t.bool("single_word", default: false),
                lstrip: try t.bool("lstrip", default: false), rstrip: try t.bool("rstrip", default: false),
                normalized: try t.bool("normalized", default: !special), special: special)
        }
    }

    /// The text in order: stretches to encode, and the added tokens (given by the text as written) between them.
    func splitRaw(_ text: String) -> [(text: String, id: Int?)] { raw.split(text) }
    /// The same in normalised text, for the tokens marked `normalized`.
    func splitNormalized(_ text: String) -> [(text: String, id: Int?)] { normalizedForm.split(text) }

    /// Leftmost-longest search for several literal patterns at once, over UTF-8 bytes, with
    /// `tokenizers`' rules for single words and stripped whitespace.
    private struct Matcher: Sendable {
        /// The patterns by first byte, longest first.
        let byFirstByte: [UInt8: [(bytes: [UInt8], token: Token)]]

        init(_ patterns: [(String, Token)]) {
            var table: [UInt8: [(bytes: [UInt8], token: Token)]] = [:]
            for (text, token) in patterns where !text.isEmpty {
                let bytes = Array(text.utf8)
                table[bytes[0], default: []].append((bytes, token))
            }
            byFirstByte = table.mapValues { $0.sorted { $0.bytes.count > $1.bytes.count } }
        }

        func split(_ text: String) -> [(text: String, id: Int?)] {
            if byFirstByte.isEmpty || text.isEmpty { return [(text, nil)] }
            let bytes = Array(text.utf8)
            var out: [(text: String, id: Int?)] = []
            var emitted = 0, i = 0
            func piece(_ from: Int, _ to: Int) -> String { String(decoding: bytes[from..<to], as: UTF8.self) }
            while i < bytes.count {
                guard let candidates = byFirstByte[bytes[i]],
                    let hit = candidates.first(where: { c in
                        i + c.bytes.count <= bytes.count && bytes[i..<(i + c.bytes.count)].elementsEqual(c.bytes)
                    })
                else {
                    i += 1
                    continue
                }
                var start = i, stop = i + hit.bytes.count
                i = stop
                if hit.token.singleWord
                    && (start > 0 && Matcher.endsWithWordCharacter(piece(0, start))
                        || stop < bytes.count && Matcher.startsWithWordCharacter(piece(stop, bytes.count)))
                {
                    continue
                }
                if hit.token.lstrip {
                    // Back over whitespace, but not into what an earlier match took.
                    start = max(emitted, start - Matcher.trailingWhitespaceBytes(piece(0, start)))
                }
                if hit.token.rstrip {
                    stop += Matcher.leadingWhitespaceBytes(piece(stop, bytes.count))
                    i = stop
                }
                if emitted < start { out.append((piece(emitted, start), nil)) }
                out.append((piece(start, stop), hit.token.id))
                emitted = stop
            }
            if emitted < bytes.count { out.append((piece(emitted, bytes.count), nil)) }
            return out
        }

        /// Rust regex's \w: alphabetic, marks, decimal digits, connector punctuation, joiners.
        static func isWordCharacter(_ c: Unicode.Scalar) -> Bool {
            let p = c.properties
            switch p.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
            default: return p.isAlphabetic || p.isJoinControl
            }
        }

        static func endsWithWordCharacter(_ s: String) -> Bool { s.unicodeScalars.last.map(isWordCharacter) ?? false }
        static func startsWithWordCharacter(_ s: String) -> Bool { s.unicodeScalars.first.map(isWordCharacter) ?? false }

        static func trailingWhitespaceBytes(_ s: String) -> Int {
            s.unicodeScalars.reversed().prefix { $0.properties.isWhitespace }.reduce(0) { $0 + String($1).utf8.count }
        }

        static func leadingWhitespaceBytes(_ s: String) -> Int {
            s.unicodeScalars.prefix { $0.properties.isWhitespace }.reduce(0) { $0 + String($1).utf8.count }
        }
    }
}
