/// BERT's WordPiece: the longest vocabulary entry at the start of the piece, then the longest
/// "##"-prefixed entry at the start of the rest, and so on; a piece with no such cover, or
/// longer than `maxCharacters`, is the unknown token.
struct WordPiece: Sendable {
    let vocabulary: [String: Int]
    let unknown: Int
    let prefix: String
    let maxCharacters: Int

    init(_ json: JSONFields, vocabulary: [String: Int]) throws {
        self.vocabulary = vocabulary
        let unk = try json.string("unk_token")
        guard let id = vocabulary[unk] else {
            throw TokenizerError("\(json.source): \(json.name("unk_token")): \"\(unk)\" is not in model.vocab")
        }
        unknown = id
        prefix = try json.optionalString("continuing_subword_prefix") ?? "##"
        maxCharacters = json.isNull("max_input_chars_per_word") ? 100 : try json.int("max_input_chars_per_word")
    }

    func tokenize(_ piece: String) -> [Int] {
        let scalars = Array(piece.unicodeScalars)
        if scalars.isEmpty { return [] }
        if scalars.count > maxCharacters { return [unknown] }
        var ids: [Int] = []
        var start = 0
        while start < scalars.count {
            var end = scalars.count
            var found: Int?
            while start < end {
                var candidate = String(String.UnicodeScalarView(scalars[start..<end]))
                if start > 0 { candidate = prefix + candidate }
                if let id = vocabulary[candidate] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let found else { return [unknown] }
            ids.append(found)
            start = end
        }
        return ids
    }
}
