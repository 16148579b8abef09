import Foundation
import LinAlg
import Transformers

/// A transformer's hook point over the first tokens of a text, held in memory: the samples an
/// SAE on a language model is evaluated on, with what the model needs to splice the SAE back in
/// (the contexts the rows came from, and which token ids are special).
public struct TextHookSource: ActivationSource, Sendable {
    public let name: String
    public let values: Matrix<Float>
    public let model: Transformer
    public let hook: String
    /// The contexts whose tokens are the rows, in order.
    public let contexts: [[Int]]
    /// Token ids that are no samples of the text (BOS, [CLS], [SEP], with `--exclude-special`
    /// every special token): left out of the rows an SAE trains on and is measured on, and never
    /// replaced when the SAE is spliced in, as SAELens leaves them out.
    public let special: Set<Int>
    /// The rows of `values` whose token is not special: the samples.
    public let samples: [Int]
    /// How the text was read, as SAELens's cfg.json records it for an SAE trained on it.
    public let saeLens: SAELensMetadata
    /// The text file, as the user named it (nil for contexts given directly).
    public let text: String?

    public init(
        name: String, values: Matrix<Float>, model: Transformer, hook: String, contexts: [[Int]], special: Set<Int>,
        saeLens: SAELensMetadata = SAELensMetadata(), text: String? = nil
    ) {
        precondition(values.rows == contexts.reduce(0) { $0 + $1.count }, "TextHookSource: a row per token of the contexts")
        (self.name, self.values, self.model, self.hook, self.contexts, self.special) = (name, values, model, hook, contexts, special)
        (self.saeLens, self.text) = (saeLens, text)
        samples = contexts.joined().enumerated().filter { !special.contains($0.element) }.map(\.offset)
    }

    public var count: Int { samples.count }
    public var dimension: Int { values.cols }
    public func rows(in range: Range<Int>) throws -> Matrix<Float> { values.rows(samples[range]) }
}

/// What replacing a hook point of a language model by an SAE's reconstruction does to its
/// next-token predictions (SAELens's CE-loss score and KL), on the contexts the SAE is evaluated
/// on: each loss is the mean next-token cross-entropy over every prediction in the contexts.
public struct LanguageModelEffect: Codable, Sendable, Equatable {
    public var hook: String
    public var contexts: Int
    public var predictions: Int
    /// The model as it is…
    public var cleanLoss: Double
    /// …with the hook point replaced by x̂ at every token but the special ones…
    public var splicedLoss: Double
    /// …by zeros, and by its mean over the text's (non-special) tokens: the baselines…
    public var zeroAblatedLoss: Double
    public var meanAblatedLoss: Double
    /// …and by x̂ plus the SAE's error x − x̂, which must give back the clean loss.
    public var errorKeptLoss: Double
    /// Mean KL(p_clean ‖ p_spliced) per prediction, in nats.
    public var splicedKL: Double
    /// (L_zero − L_SAE) / (L_zero − L_clean): SAELens's ce_loss_score; 1 when splicing costs nothing.
    public var lossRecovered: Double
    /// (L_mean − L_SAE) / (L_mean − L_clean): the same against mean ablation.
    public var lossRecoveredOverMean: Double

    /// Runs the model on `source`'s contexts clean and with each replacement of its hook point.
    public static func measure(
        _ sae: SparseAutoencoder<Float>, on source: TextHookSource, progress: ProgressHandler = { _, _ in true }
    ) throws -> LanguageModelEffect {
        let (model, hook, contexts) = (source.model, source.hook, source.contexts)
        guard model.config.causal, model.hasHead else {
            throw InterpretError("\(model.name): the loss with the SAE spliced in needs a causal language model with a head")
        }
        // Which rows keep their value whatever replaces the hook point.
        let kept = contexts.joined().map { source.special.contains($0) }
        let mean = meanOfReplaced(source.values, kept: kept)
        var sums = [Double](repeating: 0, count: 5), kl = 0.0, predictions = 0, row = 0
        let perRun = model.contextsPerRun
        let batches = stride(from: 0, to: contexts.count, by: perRun).map { $0..<min($0 + perRun, contexts.count) }
        for (b, batch) in batches.enumerated() {
            guard progress(Double(b) / Double(batches.count), "the model with the SAE spliced in") else { throw CancellationError() }
            let ids = Array(contexts[batch])
            let rows = row..<(row + ids.reduce(0) { $0 + $1.count })
            row = rows.upperBound
            let keep = Array(kept[rows])
            let clean = try model.run(contexts: ids, keeping: ["logits"]).hooks["logits"]!
            let replacements: [(Matrix<Float>) -> Matrix<Float>] = [
                { x in merge(sae.reconstruct(x), x, keep) },
                { x in merge(Matrix(rows: x.rows, cols: x.cols), x, keep) },
                { x in merge(Matrix(rows: x.rows, cols: x.cols) { _, c in mean[c] }, x, keep) },
                { x in
                    let reconstruction = sae.reconstruct(x)
                    return merge(reconstruction + (x - reconstruction), x, keep)
                }
            ]
            let spliced = try replacements.map {
                try model.run(contexts: ids, keeping: ["logits"], splicing: [HookSplice(hook, $0)]).hooks["logits"]!
            }
            let scores = NextTokenScores(ids)
            sums[0] += scores.loss(clean)
            for (v, logits) in spliced.enumerated() { sums[v + 1] += scores.loss(logits) }
            kl += scores.divergence(clean, spliced[0])
            predictions += scores.count
        }
        let n = Double(max(predictions, 1))
        let (clean, spliced, zero, meanLoss, errorKept) = (sums[0] / n, sums[1] / n, sums[2] / n, sums[3] / n, sums[4] / n)
        func recovered(_ baseline: Double) -> Double { baseline != clean ? (baseline - spliced) / (baseline - clean) : .nan }
        return LanguageModelEffect(
            hook: hook, contexts: contexts.count, predictions: predictions, cleanLoss: clean, splicedLoss: spliced,
            zeroAblatedLoss: zero, meanAblatedLoss: meanLoss, errorKeptLoss: errorKept, splicedKL: kl / n,
            lossRecovered: recovered(zero), lossRecoveredOverMean: recovered(meanLoss))
    }

    /// The per-feature mean over the rows a replacement reaches.
    private static func meanOfReplaced(_ x: Matrix<Float>, kept: [Bool]) -> [Float] {
        var sums = [Double](repeating: 0, count: x.cols), count = 0
        for r in 0..<x.rows where !kept[r] {
            for (c, v) in x.row(r).enumerated() { sums[c] += Double(v) }
            count += 1
        }
        return sums.map { Float($0 / Double(max(count, 1))) }
    }

    /// `replacement`, except the rows `keep` marks, which stay as in `original`.
    private static func merge(_ replacement: Matrix<Float>, _ original: Matrix<Float>, _ keep: [Bool]) -> Matrix<Float> {
        guard keep.contains(true) else { return replacement }
        var out = replacement
        for r in 0..<out.rows where keep[r] { out.setRow(r, original.row(r)) }
        return out
    }
}

/// The next-token predictions of stacked contexts: row t of a context predicts its token t + 1.
struct NextTokenScores {
    /// (row of the logits, the token it should predict).
    let targets: [(row: Int, token: Int)]

    init(_ contexts: [[Int]]) {
        var targets: [(Int, Int)] = [], start = 0
        for ids in contexts {
            for t in 0..<max(ids.count - 1, 0) { targets.append((start + t, ids[t + 1])) }
            start += ids.count
        }
        self.targets = targets
    }

    var count: Int { targets.count }

    /// Σ −log softmax(logits[row])[token], in Double.
    func loss(_ logits: Matrix<Float>) -> Double {
        targets.reduce(0.0) { sum, target in
            let row = logits.row(target.row)
            return sum + Logits.logSumExp(row) - Double(row[row.startIndex + target.token])
        }
    }

    /// Σ KL(softmax(p[row]) ‖ softmax(q[row])) over the predicting rows.
    func divergence(_ p: Matrix<Float>, _ q: Matrix<Float>) -> Double {
        targets.reduce(0.0) { sum, target in
            let (a, b) = (p.row(target.row), q.row(target.row))
            let (za, zb) = (Logits.logSumExp(a), Logits.logSumExp(b))
            var kl = 0.0
            for (x, y) in zip(a, b) {
                let logP = Double(x) - za
                kl += exp(logP) * (logP - (Double(y) - zb))
            }
            return sum + kl
        }
    }
}
