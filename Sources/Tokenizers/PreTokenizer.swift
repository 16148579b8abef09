import Foundation

/// How a normalised text is cut into the pieces the model encodes one at a time: the
/// `pre_tokenizer` of tokenizer.json.
enum PreTokenizer: @unchecked Sendable {
    /// GPT-2's: optionally a space before each piece, optionally GPT-2's regex, then every
    /// byte as its alphabet character.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// Cut where a pattern matches (Llama 3 and Qwen2 cut with their own regex this way).
    case split(SplitPattern, SplitBehavior, invert: Bool)
    /// BERT's: whitespace removed, each punctuation character a piece of its own.
    case bert
    /// Whitespace removed.
    case whitespaceSplit
    case sequence([PreTokenizer])

    static let types = ["ByteLevel", "Split", "BertPreTokenizer", "WhitespaceSplit", "Whitespace", "Sequence"]

    /// GPT-2's pre-tokenising regex (`tokenizers` calls it the ByteLevel regex).
    static let gpt2Pattern = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let gpt2 = try! NSRegularExpression(pattern: gpt2Pattern)

    init(_ json: JSONFields) throws {
        switch try json.type(among: PreTokenizer.types, what: "pre-tokenizer") {
        case "ByteLevel":
            self = .byteLevel(
                addPrefixSpace: try json.bool("add_prefix_space", default: true), useRegex: try json.bool("use_regex", default: true))
        case "Split":
            let pattern = try json.object("pattern")
            let behavior = try json.string("behavior")
            guard let b = SplitBehavior(rawValue: behavior) else {
                throw TokenizerError(
                    "\(json.source): \(json.name("behavior")): \"\(behavior)\" is not one of \(SplitBehavior.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            self = .split(try SplitPattern(pattern), b, invert: try json.bool("invert", default: false))
        case "BertPreTokenizer": self = .bert
        case "WhitespaceSplit": self = .whitespaceSplit
        case "Whitespace":
            // \w+|[^\w\s]+, the matches kept.
            self = .split(.regex(try! NSRegularExpression(pattern: #"\w+|[^\w\s]+"#)), .removed, invert: true)
        default: self = .sequence(try json.objects("pretokenizers").map(PreTokenizer.init))
        }
    }

    /// The pieces of each piece, in order; none empty.
    func callAsFunction(_ pieces: [String]) -> [String] {
        switch self {
        case .byteLevel(let prefix, let regex):
            return pieces.flatMap { piece -> [String] in
                let spaced = prefix && !piece.hasScalarPrefix(" ") ? " " + piece : piece
                let parts = regex ? SplitPattern.regex(PreTokenizer.gpt2).split(spaced, .isolated, invert: false) : [spaced]
                return parts.map(ByteLevel.encode)
            }
        case .split(let pattern, let behavior, let invert):
            return pieces.flatMap { pattern.split($0, behavior, invert: invert) }
        case .bert:
            return pieces.flatMap { piece in
                SplitPattern.characters(BertCharacters.isWhitespace).split(piece, .removed, invert: false).flatMap {
                    SplitPattern.characters(BertCharacters.isPunctuation).split($0, .isolated, invert: false)
                }
            }
        case .whitespaceSplit:
            return pieces.flatMap { SplitPattern.characters { $0.properties.isWhitespace }.split($0, .removed, invert: false) }
        case .sequence(let steps):
            return steps.reduce(pieces) { $1($0) }
        }
    }
}

/// What becomes of the text a pattern matches (`tokenizers`' SplitDelimiterBehavior).
enum SplitBehavior: String, CaseIterable, Sendable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"
}

/// What a Split pre-tokenizer looks for: a regex, a literal string, or a class of characters.
enum SplitPattern: @unchecked Sendable {
    case regex(NSRegularExpression)
    case literal(String)
    case characters((Unicode.Scalar) -> Bool)

    init(_ json: JSONFields) throws {
        if let literal = json.values["String"] as? String {
            self = .literal(literal)
        } else if let pattern = json.values["Regex"] as? String {
            do {
                self = .regex(try NSRegularExpression(pattern: pattern))
            } catch {
                throw TokenizerError(
                    "\(json.source): \(json.name("Regex")): not a regular expression Loupe can compile: \(pattern.prefix(60))")
            }
        } else {
            throw TokenizerError("\(json.source): \(json.path): expected {\"Regex\": …} or {\"String\": …}")
        }
    }

    /// The text cut into stretches that match and stretches that do not, covering it in order.
    func stretches(_ text: String) -> [(range: Range<String.Index>, match: Bool)] {
        var matches: [Range<String.Index>] = []
        switch self {
        case .regex(let re):
            // UTF-16 offsets to indices by hand: Range(_:in:) refuses a range that is not on
            // whole Characters, and a pattern may cut a combining mark from its letter.
            let utf16 = text.utf16
            matches = re.matches(in: text, range: NSRange(location: 0, length: utf16.count)).map { m in
                let lower = utf16.index(utf16.startIndex, offsetBy: m.range.location)
                return lower..<utf16.index(lower, offsetBy: m.range.length)
            }
        case .literal(let s):
            guard !s.isEmpty else { break }
            var from = text.startIndex
            while let r = text.range(of: s, options: .literal, range: from..<text.endIndex) {
                matches.append(r)
                from = r.upperBound
            }
        case .characters(let test):
            let scalars = text.unicodeScalars
            var i = scalars.startIndex
            while i < scalars.endIndex {
                let next = scalars.index(after: i)
                if test(scalars[i]) { matches.append(i..<next) }
                i = next
            }
        }
        var out: [(range: Range<String.Index>, match: Bool)] = []
        var previous = text.startIndex
        for m in matches {
            if previous < m.lowerBound { out.append((previous..<m.lowerBound, false)) }
            out.append((m, true))
            previous = m.upperBound
        }
        if previous < text.endIndex { out.append((previous..<text.endIndex, false)) }
        return out
    }

    /// The pieces of `text`, none empty, as `tokenizers` cuts them for each behaviour.
    func split(_ text: String, _ behavior: SplitBehavior, invert: Bool) -> [String] {
        let parts = stretches(text).map { (range: $0.range, match: $0.match != invert) }
        var kept: [Range<String.Index>] = []
        var previousMatch = false
        switch behavior {
        case .removed: kept = parts.filter { !$0.match }.map(\.range)
        case .isolated: kept = parts.map(\.range)
        case .mergedWithPrevious:
            for p in parts {
                if p.match && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<p.range.upperBound
                } else {
                    kept.append(p.range)
                }
                previousMatch = p.match
            }
        case .mergedWithNext:
            for p in parts.reversed() {
                if p.match && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = p.range.lowerBound..<last.upperBound
                } else {
                    kept.append(p.range)
                }
                previousMatch = p.match
            }
            kept.reverse()
        case .contiguous:
            for (i, p) in parts.enumerated() {
                if i > 0 && p.match == previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<p.range.upperBound
                } else {
                    kept.append(p.range)
                }
                previousMatch = p.match
            }
        }
        // Through the scalars: a String subscript would round to whole Characters, joining a
        // combining mark to the letter before it across the cut.
        return kept.filter { !$0.isEmpty }.map { String(text.unicodeScalars[$0]) }
    }
}
