/// The character classes of BERT's normaliser and pre-tokeniser, as the Hugging Face
/// `tokenizers` library decides them, so that ids agree with it on every line.
///
/// Its control, punctuation and nonspacing-mark tests come from Unicode 8.0 tables (the
/// `unicode_categories` crate): a format character or punctuation mark assigned later is
/// neither (U+2E42 is punctuation to it, U+2E43 of Unicode 9 is not; U+061C is a control,
/// U+08E2 is not), and unassigned code points are never controls. Whitespace and case come
/// from the current tables, as Rust's `char` has them.
enum BertCharacters {
    /// The last Unicode version whose categories the library's tables know.
    static let tableVersion = (major: 8, minor: 0)

    static func known(_ c: Unicode.Scalar) -> Bool {
        guard let age = c.properties.age else { return false }
        return age.major < tableVersion.major || (age.major == tableVersion.major && age.minor <= tableVersion.minor)
    }

    /// Tab, newline and carriage return, and every White_Space character.
    static func isWhitespace(_ c: Unicode.Scalar) -> Bool { c.properties.isWhitespace }

    /// Removed by clean_text: controls other than tab, newline and return, private use,
    /// surrogates, and format characters (as of Unicode 8.0).
    static func isControl(_ c: Unicode.Scalar) -> Bool {
        if c == "\t" || c == "\n" || c == "\r" { return false }
        switch c.properties.generalCategory {
        case .control, .privateUse, .surrogate: return true
        case .format: return known(c)
        default: return false
        }
    }

    /// ASCII punctuation, and every P* character as of Unicode 8.0.
    static func isPunctuation(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII {
            return (0x21...0x2F).contains(c.value) || (0x3A...0x40).contains(c.value) || (0x5B...0x60).contains(c.value)
                || (0x7B...0x7E).contains(c.value)
        }
        switch c.properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
            .finalPunctuation, .otherPunctuation:
            return known(c)
        default: return false
        }
    }

    static func isNonspacingMark(_ c: Unicode.Scalar) -> Bool {
        c.properties.generalCategory == .nonspacingMark && known(c)
    }

    /// The CJK ideograph blocks BERT pads with spaces (not Hangul, kana or CJK punctuation).
    static func isChinese(_ c: Unicode.Scalar) -> Bool {
        switch c.value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F, 0x2B740...0x2B81F, 0x2B920...0x2CEAF,
            0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default: return false
        }
    }
}
