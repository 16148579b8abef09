import Foundation
import LinAlg
import Transformers

/// One latent of an SAE on a language model read through text, as sae_vis and Neuronpedia show
/// it: where it fires (its top contexts, then examples from lower bands of its activation, each
/// token with the latent's value), how often and how strongly, the tokens its decoder direction
/// promotes and suppresses through the unembedding, and the tokens that most often come just
/// before it fires.
public struct LatentDashboard: Codable, Sendable, Equatable {
    /// A window of a context around the token where the latent is largest in it.
    public struct Excerpt: Codable, Sendable, Equatable {
        public var context: Int
        /// The position of the largest value, in the context.
        public var position: Int
        /// The window's tokens and the latent's value at each.
        public var tokens: [String]
        public var values: [Double]
        /// The window's first position in the context.
        public var start: Int
        public var value: Double
    }

    /// Excerpts whose largest value falls in (low, high] of the latent's range.
    public struct Band: Codable, Sendable, Equatable {
        public var label: String
        public var low: Double
        public var high: Double
        /// Contexts in the band, of which `excerpts` are shown.
        public var contexts: Int
        public var excerpts: [Excerpt]
    }

    public struct TokenValue: Codable, Sendable, Equatable {
        public var token: Int
        public var text: String
        public var value: Double
    }

    public var latent: Int
    public var hook: String
    /// The fraction of the text's (non-special) tokens where the latent is non-zero.
    public var density: Double
    public var maxActivation: Double
    /// Its non-zero values in `histogramBins` equal bins over (0, max].
    public var histogram: [Int]
    public var bands: [Band]
    public var promoted: [TokenValue]
    public var suppressed: [TokenValue]
    /// Tokens right before a firing, by how often (value: the count).
    public var preceding: [TokenValue]

    public static let histogramBins = 20
    /// Tokens either side of an excerpt's largest value.
    public static let window = 8
    /// Top contexts shown, and examples per lower band.
    public static let topExcerpts = 5
    public static let bandExcerpts = 3
    public static let listed = 10

    /// The dashboards of `latents` on `source`'s text.
    public static func compute(_ sae: SparseAutoencoder<Float>, latents: [Int], on source: TextHookSource) throws -> [LatentDashboard] {
        guard let tokenizer = source.model.tokenizer else {
            throw InterpretError("\(source.model.name): no tokenizer to show the text with")
        }
        for j in latents where !(0..<sae.latentCount).contains(j) {
            throw InterpretError("latent \(j) is not one of the SAE's \(sae.latentCount)")
        }
        let codes = sae.encode(source.values).dense
        let ids = Array(source.contexts.joined())
        var starts: [Int] = [], row = 0
        for c in source.contexts {
            starts.append(row)
            row += c.count
        }
        let counted = ids.indices.filter { !source.special.contains(ids[$0]) }
        func text(_ id: Int) -> String { tokenizer.decode([id], skipSpecialTokens: false) }
        return try latents.map { j in
            let values = (0..<codes.rows).map { Double(codes[$0, j]) }
            let top = counted.map { values[$0] }.max() ?? 0
            var histogram = [Int](repeating: 0, count: histogramBins)
            for r in counted where values[r] > 0 {
                histogram[min(Int(values[r] / top * Double(histogramBins) - 1e-12), histogramBins - 1)] += 1
            }
            // Each context by its largest value: the top ones, then bands of the range below.
            let peaks = source.contexts.indices.map { c -> (context: Int, position: Int, value: Double) in
                let range = starts[c]..<(starts[c] + source.contexts[c].count)
                let best = range.filter { !source.special.contains(ids[$0]) }.max { values[$0] < values[$1] } ?? range.lowerBound
                return (c, best - range.lowerBound, values[best])
            }
            func excerpt(_ peak: (context: Int, position: Int, value: Double)) -> Excerpt {
                let tokens = source.contexts[peak.context]
                let window = max(peak.position - window, 0)..<min(peak.position + window + 1, tokens.count)
                return Excerpt(
                    context: peak.context, position: peak.position, tokens: window.map { text(tokens[$0]) },
                    values: window.map { values[starts[peak.context] + $0] }, start: window.lowerBound, value: peak.value)
            }
            let firing = peaks.filter { $0.value > 0 }.sorted { $0.value > $1.value }
            var bands = [
                Band(label: "top", low: 0, high: top, contexts: firing.count, excerpts: firing.prefix(topExcerpts).map(excerpt))
            ]
            for k in stride(from: 2, through: 0, by: -1) where top > 0 {
                let (low, high) = (top * Double(k) / 3, top * Double(k + 1) / 3)
                let inBand = firing.filter { $0.value > low && $0.value <= high }
                // Spread over the band: evenly spaced by rank rather than its strongest only.
                let step = max(inBand.count / bandExcerpts, 1)
                bands.append(
                    Band(
                        label: "\(k * 33)–\(k == 2 ? 100 : (k + 1) * 33) % of max", low: low, high: high, contexts: inBand.count,
                        excerpts: stride(from: 0, to: inBand.count, by: step).prefix(bandExcerpts).map { excerpt(inBand[$0]) }))
            }
            let effect = try source.model.logitEffect(of: Array(sae.decoder.row(j))).map(Double.init)
            let order = effect.indices.sorted { effect[$0] > effect[$1] }
            func listed(_ tokens: some Sequence<Int>) -> [TokenValue] {
                tokens.prefix(Self.listed).map { TokenValue(token: $0, text: text($0), value: effect[$0]) }
            }
            var before: [Int: Int] = [:]
            for c in source.contexts.indices {
                for p in 1..<max(source.contexts[c].count, 1)
                where values[starts[c] + p] > 0 && !source.special.contains(ids[starts[c] + p]) {
                    before[source.contexts[c][p - 1], default: 0] += 1
                }
            }
            let preceding = before.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(Self.listed)
            return LatentDashboard(
                latent: j, hook: source.hook,
                density: Double(counted.filter { values[$0] > 0 }.count) / Double(max(counted.count, 1)), maxActivation: top,
                histogram: histogram, bands: bands, promoted: listed(order), suppressed: listed(order.reversed()),
                preceding: preceding.map { TokenValue(token: $0.key, text: text($0.key), value: Double($0.value)) })
        }
    }
}
