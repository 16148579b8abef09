import Foundation
import LinAlg
import TensorIO

/// Hook points of one or more transformers over the first tokens of a text, held in memory: the
/// samples CKA, Align and SAE training read when given `--text` (a sample is a token). Every
/// model reads the same token ids, so the rows of one model's hook point and another's are the
/// same tokens; models whose tokenizers cut the text differently are refused.
public struct TextActivations: Sendable {
    /// Per model, its hook points' rows, [tokens, width] each.
    public let values: [[String: Matrix<Float>]]
    public let tokens: Int
    /// The contexts run, in order (the last one cut to end at `tokens`): row i of a hook point
    /// is the i-th of their tokens.
    public let contexts: [[Int]]
    /// The token ids the cutter wraps contexts in (BOS, [CLS], [SEP]).
    public let special: Set<Int>

    /// Runs `models` (each with the hook points it keeps) on the contexts of `corpus`, cut for
    /// the first model, until `maxTokens` tokens have been seen.
    public static func collect(
        _ models: [(transformer: Transformer, hooks: [String])], corpus: TextCorpus, cutter: ContextCutter, maxTokens: Int,
        progress: (Double, String) -> Void = { _, _ in }
    ) throws -> TextActivations {
        guard maxTokens > 0 else { throw TransformerError("--max-tokens must be positive") }
        guard let tokenizer = models.first?.transformer.tokenizer else {
            throw TransformerError("\(models.first?.transformer.name ?? "the model"): no tokenizer.json beside the checkpoint")
        }
        var widths = 0
        for (transformer, hooks) in models {
            for hook in hooks { widths += try transformer.tokenRowWidth(hook, contextLength: cutter.length) }
        }
        try MemoryBudget.check(MemoryBudget.product(maxTokens, widths, 4), for: "\(maxTokens) tokens of \(widths) values")
        var rows = models.map { m in Dictionary(uniqueKeysWithValues: m.hooks.map { ($0, [Float]()) }) }
        var tokens = 0, contexts: [[Int]] = []
        struct Enough: Error {}
        do {
            try corpus.forEachDocument(progress: { progress($0, "\(tokens) tokens") }) { document, text in
                let ids = try tokenizer.encode(text, addSpecialTokens: false)
                for other in models.dropFirst() where try other.transformer.tokenizer?.encode(text, addSpecialTokens: false) != ids {
                    throw TransformerError(
                        "\(other.transformer.name) tokenises line \(document + 1) of \(corpus.url.lastPathComponent) differently from \(models[0].transformer.name); token-by-token comparison needs one tokenizer"
                    )
                }
                for context in cutter.contexts(ids) {
                    let kept = min(context.count, maxTokens - tokens)
                    for (m, model) in models.enumerated() {
                        let run = try model.transformer.run(context, keeping: Set(model.hooks))
                        for hook in model.hooks {
                            let x = run.hooks[hook]!
                            rows[m][hook]! += x.storage[0..<(kept * x.cols)]
                        }
                    }
                    tokens += kept
                    contexts.append(Array(context.prefix(kept)))
                    if tokens == maxTokens { throw Enough() }
                }
            }
        } catch is Enough {}
        guard tokens > 0 else { throw TransformerError("\(corpus.url.path): no text (every line is blank)") }
        let values = zip(models, rows).map { model, kept in
            Dictionary(
                uniqueKeysWithValues: model.hooks.map { hook in
                    (hook, Matrix(rows: tokens, cols: kept[hook]!.count / tokens, storage: kept[hook]!))
                })
        }
        return TextActivations(values: values, tokens: tokens, contexts: contexts, special: Set(cutter.before + cutter.after))
    }
}
