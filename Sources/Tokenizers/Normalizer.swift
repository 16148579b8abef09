import Foundation

/// What a tokenizer does to text before splitting it: the `normalizer` of tokenizer.json.
enum Normalizer: Sendable {
    /// BERT's: drop controls and map whitespace to spaces, pad CJK ideographs with spaces,
    /// strip accents (NFD, then no nonspacing marks), lowercase.
    case bert(cleanText: Bool, chineseCharacters: Bool, stripAccents: Bool, lowercase: Bool)
    case nfc, nfd, nfkc, nfkd
    case lowercase
    /// NFD's nonspacing marks removed (the text should be NFD already).
    case stripAccents
    case sequence([Normalizer])

    static let types = ["BertNormalizer", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents", "Sequence"]

    init(_ json: JSONFields) throws {
        switch try json.type(among: Normalizer.types, what: "normalizer") {
        case "BertNormalizer":
            let lowercase = try json.bool("lowercase", default: true)
            self = .bert(
                cleanText: try json.bool("clean_text", default: true),
                chineseCharacters: try json.bool("handle_chinese_chars", default: true),
                // Unset, it follows lowercase (as BERT's uncased models want).
                stripAccents: try json.bool("strip_accents", default: lowercase), lowercase: lowercase)
        case "NFC": self = .nfc
        case "NFD": self = .nfd
        case "NFKC": self = .nfkc
        case "NFKD": self = .nfkd
        case "Lowercase": self = .lowercase
        case "StripAccents": self = .stripAccents
        default: self = .sequence(try json.objects("normalizers").map(Normalizer.init))
        }
    }

    func callAsFunction(_ text: String) -> String {
        switch self {
        case .bert(let clean, let chinese, let strip, let lower):
            var scalars = Array(text.unicodeScalars)
            if clean {
                scalars = scalars.compactMap { c in
                    if c.value == 0 || c.value == 0xFFFD || BertCharacters.isControl(c) { return nil }
                    return BertCharacters.isWhitespace(c) ? " " : c
                }
            }
            if chinese {
                scalars = scalars.flatMap { BertCharacters.isChinese($0) ? [" ", $0, " "] : [$0] }
            }
            var out = String(String.UnicodeScalarView(scalars))
            if strip { out = Normalizer.withoutNonspacingMarks(out.decomposedStringWithCanonicalMapping) }
            if lower { out = Normalizer.lowercase(out) }
            return out
        case .nfc: return text.precomposedStringWithCanonicalMapping
        case .nfd: return text.decomposedStringWithCanonicalMapping
        case .nfkc: return text.precomposedStringWithCompatibilityMapping
        case .nfkd: return text.decomposedStringWithCompatibilityMapping
        case .lowercase: return Normalizer.lowercase(text)
        case .stripAccents: return Normalizer.withoutNonspacingMarks(text)
        case .sequence(let steps): return steps.reduce(text) { $1($0) }
        }
    }

    static func withoutNonspacingMarks(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { !BertCharacters.isNonspacingMark($0) }))
    }

    /// Each code point's full lowercase mapping on its own ("İ" → "i̇"; a final Σ → σ, as Rust's
    /// char::to_lowercase, which knows no context), not String.lowercased's context rules.
    static func lowercase(_ text: String) -> String {
        var out = String.UnicodeScalarView()
        for c in text.unicodeScalars {
            if c.isASCII {
                out.append((0x41...0x5A).contains(c.value) ? Unicode.Scalar(c.value + 32)! : c)
            } else {
                out.append(contentsOf: c.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return String(out)
    }
}
