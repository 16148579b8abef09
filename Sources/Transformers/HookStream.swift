import LinAlg
import Tokenizers

/// One hook point of a model over a corpus, produced as the model reads it: a run of contexts
/// at a time, in the corpus's order, one row per token, without holding more than one run. At
/// the end of the text it starts again from the top (a new pass), unless told to stop there.
/// Rows of the tokens in `excluded` (BOS, [CLS], [SEP], and with `--exclude-special` every
/// special token) are left out: they are not samples of the text.
public final class HookStream: @unchecked Sendable {
    public let model: Transformer
    public let hook: String
    public let corpus: TextCorpus
    public let cutter: ContextCutter
    public let excluded: Set<Int>
    /// Features per row.
    public let width: Int
    /// Tokens through the model so far, excluded ones included.
    public private(set) var tokensRun = 0
    /// Rows produced so far.
    public private(set) var rowsProduced = 0
    /// The pass over the corpus under way (from 1).
    public private(set) var pass = 1

    private let tokenizer: Tokenizer
    private let cycles: Bool
    private var reader: TextCorpus.DocumentReader
    private var queued: [[Int]] = []
    private var rowsThisPass = 0

    /// `cycles`: start the corpus again at its end (training); otherwise `next()` returns nil
    /// there (a cache, written once).
    public init(model: Transformer, hook: String, corpus: TextCorpus, cutter: ContextCutter, excluded: Set<Int>, cycles: Bool) throws {
        guard let tokenizer = model.tokenizer else {
            throw TransformerError("\(model.name): no tokenizer.json beside the checkpoint, so its text cannot be read")
        }
        width = try model.tokenRowWidth(hook, contextLength: cutter.length)
        (self.model, self.hook, self.corpus, self.cutter, self.excluded) = (model, hook, corpus, cutter, excluded)
        (self.tokenizer, self.cycles) = (tokenizer, cycles)
        reader = try TextCorpus.DocumentReader(corpus)
    }

    /// How far the current pass has read the file.
    public var fraction: Double { reader.fraction }

    /// The rows of the next run of contexts ([tokens kept, width]), or nil at the end of a corpus
    /// that does not cycle.
    public func next() throws -> Matrix<Float>? {
        while true {
            while queued.count < model.contextsPerRun, let (_, text) = try reader.next() {
                queued += cutter.contexts(try tokenizer.encode(text, addSpecialTokens: false))
            }
            if queued.isEmpty {
                guard cycles else { return nil }
                guard rowsThisPass > 0 else {
                    throw TransformerError("\(corpus.url.path): no tokens to train on (every line is blank, or every token is excluded)")
                }
                reader = try TextCorpus.DocumentReader(corpus)
                (pass, rowsThisPass) = (pass + 1, 0)
                continue
            }
            let run = Array(queued.prefix(model.contextsPerRun))
            queued.removeFirst(run.count)
            let values = try model.run(contexts: run, keeping: [hook]).hooks[hook]!
            let ids = run.joined()
            tokensRun += ids.count
            let kept = ids.enumerated().filter { !excluded.contains($0.element) }.map(\.offset)
            guard !kept.isEmpty else { continue }
            rowsProduced += kept.count
            rowsThisPass += kept.count
            return kept.count == values.rows ? values : values.rows(kept)
        }
    }
}
