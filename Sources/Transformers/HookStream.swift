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
    /// What the model reads, for messages: the text file's name.
    public let source: String
    public let excluded: Set<Int>
    /// Features per row.
    public let width: Int
    /// Rows produced so far.
    public private(set) var rowsProduced = 0
    /// The pass over the corpus under way (from 1).
    public private(set) var pass = 1

    /// Where contexts come from: a text, tokenised and cut a document at a time, or contexts
    /// given as token ids.
    private enum Feed {
        case text(TextCorpus, TextCorpus.DocumentReader, Tokenizer, ContextCutter)
        case given([[Int]], next: Int)
    }

    private var feed: Feed
    private let cycles: Bool
    /// Contexts run together. The pass stops at the hook point's block and keeps no logits
    /// (unless the hook point is the logits), so runs can be larger than elsewhere: larger
    /// products run nearer BLAS's peak.
    private var perRun: Int { hook == "logits" ? model.contextsPerRun : 32 }
    private var queued: [[Int]] = []
    private var rowsThisPass = 0

    /// `cycles`: start the corpus again at its end (training); otherwise `next()` returns nil
    /// there (a cache, written once).
    public init(model: Transformer, hook: String, corpus: TextCorpus, cutter: ContextCutter, excluded: Set<Int>, cycles: Bool) throws {
        guard let tokenizer = model.tokenizer else {
            throw TransformerError("\(model.name): no tokenizer.json beside the checkpoint, so its text cannot be read")
        }
        width = try model.tokenRowWidth(hook, contextLength: cutter.length)
        (self.model, self.hook, self.excluded, self.cycles) = (model, hook, excluded, cycles)
        source = corpus.url.lastPathComponent
        feed = .text(corpus, try TextCorpus.DocumentReader(corpus), tokenizer, cutter)
    }

    /// The same over contexts already cut into token ids (`source` names them for messages).
    public init(model: Transformer, hook: String, contexts: [[Int]], source: String, excluded: Set<Int>, cycles: Bool) throws {
        guard !contexts.isEmpty else { throw TransformerError("\(source): no contexts") }
        width = try model.tokenRowWidth(hook, contextLength: contexts.map(\.count).max()!)
        (self.model, self.hook, self.source, self.excluded, self.cycles) = (model, hook, source, excluded, cycles)
        feed = .given(contexts, next: 0)
    }

    /// How far the current pass has read.
    public var fraction: Double {
        switch feed {
        case .text(_, let reader, _, _): return reader.fraction
        case .given(let all, let next): return Double(next) / Double(all.count)
        }
    }

    /// The next document's contexts, or nil at the end of a pass.
    private func more() throws -> [[Int]]? {
        switch feed {
        case .text(_, let reader, let tokenizer, let cutter):
            return try reader.next().map { cutter.contexts(try tokenizer.encode($0.text, addSpecialTokens: false)) }
        case .given(let all, let next):
            guard next < all.count else { return nil }
            feed = .given(all, next: next + 1)
            return [all[next]]
        }
    }

    private func restart() throws {
        switch feed {
        case .text(let corpus, _, let tokenizer, let cutter): feed = .text(corpus, try TextCorpus.DocumentReader(corpus), tokenizer, cutter)
        case .given(let all, _): feed = .given(all, next: 0)
        }
    }

    /// The rows of the next run of contexts ([tokens kept, width]), or nil at the end of a corpus
    /// that does not cycle.
    public func next() throws -> Matrix<Float>? {
        while true {
            while queued.count < perRun, let contexts = try more() { queued += contexts }
            if queued.isEmpty {
                guard cycles else { return nil }
                guard rowsThisPass > 0 else {
                    throw TransformerError("\(source): no tokens to train on (every line is blank, or every token is excluded)")
                }
                try restart()
                (pass, rowsThisPass) = (pass + 1, 0)
                continue
            }
            let run = Array(queued.prefix(perRun))
            queued.removeFirst(run.count)
            let values = try model.run(contexts: run, keeping: [hook]).hooks[hook]!
            let ids = run.joined()
            let kept = ids.enumerated().filter { !excluded.contains($0.element) }.map(\.offset)
            guard !kept.isEmpty else { continue }
            rowsProduced += kept.count
            rowsThisPass += kept.count
            return kept.count == values.rows ? values : values.rows(kept)
        }
    }
}
