import Foundation

/// How tokens become text again: the `decoder` of tokenizer.json.
enum TokenDecoder: Sendable {
    /// Tokens' characters back to the bytes they stand for, read as UTF-8 (invalid bytes as U+FFFD).
    case byteLevel
    /// "##"-continued tokens joined to the one before, others after a space; `cleanup` removes
    /// the space before punctuation and English contractions as BERT's tokenizer does.
    case wordPiece(prefix: String, cleanup: Bool)
    case sequence([TokenDecoder])

    static let types = ["ByteLevel", "WordPiece", "Sequence"]

    init(_ json: JSONFields) throws {
        switch try json.type(among: TokenDecoder.types, what: "decoder") {
        case "ByteLevel": self = .byteLevel
        case "WordPiece":
            self = .wordPiece(prefix: try json.optionalString("prefix") ?? "##", cleanup: try json.bool("cleanup", default: true))
        default: self = .sequence(try json.objects("decoders").map(TokenDecoder.init))
        }
    }

    /// Each token's text after this step (a chain passes them on, as `tokenizers` does).
    func callAsFunction(_ tokens: [String]) -> [String] {
        switch self {
        case .byteLevel:
            var bytes: [UInt8] = []
            for t in tokens {
                let scalars = t.unicodeScalars
                if scalars.allSatisfy({ ByteLevel.bytes[$0] != nil }) {
                    bytes += scalars.map { ByteLevel.bytes[$0]! }
                } else {
                    bytes += Array(t.utf8)
                }
            }
            return [String(decoding: bytes, as: UTF8.self)]
        case .wordPiece(let prefix, let cleanup):
            return tokens.enumerated().map { i, t in
                var token = t
                if i > 0 { token = t.hasScalarPrefix(prefix) ? t.withoutScalarPrefix(prefix) : " " + t }
                return cleanup ? TokenDecoder.cleanedUp(token) : token
            }
        case .sequence(let steps): return steps.reduce(tokens) { $1($0) }
        }
    }

    /// BERT's clean-up of decoded text.
    static func cleanedUp(_ text: String) -> String {
        let rules = [
            (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
            (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")
        ]
        return rules.reduce(text) { $0.replacingOccurrences(of: $1.0, with: $1.1, options: .literal) }
    }
}
