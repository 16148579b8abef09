/// What a tokenizer adds around an encoded text when special tokens are wanted: the
/// `post_processor` of tokenizer.json, for a single text (not pairs).
enum PostProcessor: Sendable {
    /// The ids before and after the text: [CLS] … [SEP] for BERT, <|begin_of_text|> … for Llama 3.
    case around(before: [Int], after: [Int])
    case sequence([PostProcessor])

    static let types = ["TemplateProcessing", "BertProcessing", "RobertaProcessing", "ByteLevel", "Sequence"]

    init(_ json: JSONFields) throws {
        switch try json.type(among: PostProcessor.types, what: "post-processor") {
        case "TemplateProcessing":
            let specials = try json.object("special_tokens")
            var before: [Int] = [], after: [Int] = []
            var seenSequence = false
            for (i, item) in try json.list("single").enumerated() {
                let at = "\(json.name("single"))[\(i)]"
                guard let entry = item as? [String: Any] else {
                    throw TokenizerError("\(json.source): \(at): expected an object, found \(JSONFields.kind(item))")
                }
                if entry["Sequence"] != nil {
                    guard !seenSequence else { throw TokenizerError("\(json.source): \(at): a single text's template holds one sequence") }
                    seenSequence = true
                } else if let special = entry["SpecialToken"] as? [String: Any], let name = special["id"] as? String {
                    let token = try specials.object(name)
                    let ids = try token.list("ids").enumerated().map { j, v -> Int in
                        guard let n = v as? Int, n >= 0 else {
                            throw TokenizerError(
                                "\(json.source): \(token.name("ids"))[\(j)]: expected a token id, found \(JSONFields.kind(v))")
                        }
                        return n
                    }
                    if seenSequence { after += ids } else { before += ids }
                } else {
                    throw TokenizerError("\(json.source): \(at): expected {\"Sequence\": …} or {\"SpecialToken\": {\"id\": …}}")
                }
            }
            guard seenSequence else { throw TokenizerError("\(json.source): \(json.name("single")): the template has no $A sequence") }
            self = .around(before: before, after: after)
        case "BertProcessing", "RobertaProcessing":
            self = .around(before: [try PostProcessor.pairID(json, "cls")], after: [try PostProcessor.pairID(json, "sep")])
        case "ByteLevel":
            // It only trims offsets; the ids are the text's.
            self = .around(before: [], after: [])
        default:
            self = .sequence(try json.objects("processors").map(PostProcessor.init))
        }
    }

    /// The id of a ["[CLS]", 101] pair.
    private static func pairID(_ json: JSONFields, _ key: String) throws -> Int {
        let pair = try json.list(key)
        guard pair.count == 2, pair[0] is String, let id = pair[1] as? Int, id >= 0 else { throw json.error(key, "[token, id]") }
        return id
    }

    /// The ids put before and after a text.
    var around: (before: [Int], after: [Int]) {
        switch self {
        case .around(let before, let after): return (before, after)
        case .sequence(let steps):
            return steps.reduce(([], [])) { sum, step in (step.around.before + sum.0, sum.1 + step.around.after) }
        }
    }

    func callAsFunction(_ ids: [Int]) -> [Int] { around.before + ids + around.after }
}
