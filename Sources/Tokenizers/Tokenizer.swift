import Foundation

/// A Hugging Face tokenizer read from its tokenizer.json: text to token ids and back, with the
/// ids the Python `tokenizers` library gives. Byte-level BPE (GPT-2, Llama 3, Qwen2) and
/// WordPiece (BERT) models; truncation and padding in the file are not applied (Loupe cuts
/// text into contexts itself).
public struct Tokenizer: Sendable {
    /// The file it was read from, for messages.
    public let source: String
    let added: AddedTokens
    let normalizer: Normalizer?
    let preTokenizer: PreTokenizer?
    let model: Model
    let postProcessor: PostProcessor?
    let decoder: TokenDecoder?
    /// Every id's token (the model's and the added ones).
    private let tokens: [Int: String]
    private let ids: [String: Int]
    /// One more than the largest id: the rows an embedding for this tokenizer needs.
    public let vocabularySize: Int

    enum Model: Sendable {
        case bpe(BPE)
        case wordPiece(WordPiece)
    }

    /// Reads a tokenizer.json.
    public static func load(_ url: URL) throws -> Tokenizer {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizerError("\(url.path): cannot be read (\((error as NSError).localizedDescription))")
        }
        return try Tokenizer(json: data, source: url.path)
    }

    public init(json data: Data, source: String) throws {
        self.source = source
        let json = try JSONFields.parse(data, source: source)
        let modelJSON = try json.object("model")
        // WordPiece files often leave the type out; a vocab with merges is BPE.
        let type = try modelJSON.optionalString("type") ?? (modelJSON.values["merges"] != nil ? "BPE" : "WordPiece")
        guard type == "BPE" || type == "WordPiece" else {
            throw TokenizerError(
                "\(source): model.type: \"\(type)\" models are not supported (Loupe reads BPE and WordPiece: GPT-2, Llama 3, Qwen2, BERT)")
        }
        let vocabJSON = try modelJSON.object("vocab")
        var vocabulary: [String: Int] = [:]
        vocabulary.reserveCapacity(vocabJSON.values.count)
        for (token, value) in vocabJSON.values {
            guard let n = value as? NSNumber, let id = Int(exactly: n.doubleValue), id >= 0, id <= Int(Int32.max) else {
                throw TokenizerError(
                    "\(source): model.vocab[\"\(token.prefix(40))\"]: expected a token id (a whole number from 0), found \(JSONFields.kind(value))"
                )
            }
            vocabulary[token] = id
        }
        model =
            type == "BPE" ? .bpe(try BPE(modelJSON, vocabulary: vocabulary)) : .wordPiece(try WordPiece(modelJSON, vocabulary: vocabulary))
        normalizer = try json.optionalObject("normalizer").map(Normalizer.init)
        preTokenizer = try json.optionalObject("pre_tokenizer").map(PreTokenizer.init)
        postProcessor = try json.optionalObject("post_processor").map(PostProcessor.init)
        decoder = try json.optionalObject("decoder").map(TokenDecoder.init)
        added = AddedTokens(try AddedTokens.parse(json), normalizer: normalizer)

        var tokens = Dictionary(vocabulary.map { ($0.value, $0.key) }, uniquingKeysWith: { a, b in min(a, b) })
        var ids = vocabulary
        for t in added.all {
            tokens[t.id] = t.content
            ids[t.content] = t.id
        }
        self.tokens = tokens
        self.ids = ids
        vocabularySize = (tokens.keys.max() ?? -1) + 1
    }

    /// The ids of `text`; with the special tokens the file's post-processor puts around a text
    /// ([CLS] … [SEP], a BOS) when `addSpecialTokens`.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> [Int] {
        var out: [Int] = []
        for (raw, id) in added.splitRaw(text) {
            if let id {
                out.append(id)
                continue
            }
            let normalized = normalizer.map { $0(raw) } ?? raw
            for (piece, id) in added.splitNormalized(normalized) {
                if let id {
                    out.append(id)
                    continue
                }
                for word in preTokenizer.map({ $0([piece]) }) ?? [piece] {
                    switch model {
                    case .bpe(let bpe):
                        do {
                            out += try bpe.tokenize(word)
                        } catch let error as TokenizerError {
                            throw TokenizerError("\(source): \(error.message)")
                        }
                    case .wordPiece(let wordPiece): out += wordPiece.tokenize(word)
                    }
                }
            }
        }
        return addSpecialTokens ? postProcessor.map { $0(out) } ?? out : out
    }

    /// The text of `ids`, without the special tokens when `skipSpecialTokens` (as `tokenizers`
    /// decodes by default). Ids the tokenizer does not have are left out.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = true) -> String {
        let special = specialIDs
        let pieces = ids.compactMap { id -> String? in
            skipSpecialTokens && special.contains(id) ? nil : tokens[id]
        }
        guard let decoder else { return pieces.joined(separator: " ") }
        return decoder(pieces).joined()
    }

    /// The ids of the added tokens marked special (<|endoftext|>, [PAD], [MASK]…): those decoding
    /// skips, and those `--exclude-special` leaves out of an SAE's samples.
    public var specialIDs: Set<Int> { Set(added.all.filter(\.special).map(\.id)) }

    /// The special tokens the post-processor puts around a text: [CLS] and [SEP] for BERT, a BOS
    /// for Llama 3, none for GPT-2.
    public var specialTokens: (before: [Int], after: [Int]) { postProcessor?.around ?? ([], []) }

    /// The token an id stands for.
    public func token(_ id: Int) -> String? { tokens[id] }

    /// The id of a token (a vocabulary entry or an added token).
    public func id(_ token: String) -> Int? { ids[token] }
}
