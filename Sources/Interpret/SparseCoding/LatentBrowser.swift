import Foundation
import LinAlg
import Networks

/// One sample's value of a latent.
public struct LatentActivation: Codable, Sendable, Equatable {
    public var sample: Int
    public var value: Double

    public init(sample: Int, value: Double) {
        self.sample = sample
        self.value = value
    }
}

/// What a latent browser shows about each latent, and the effect of one latent on the model.
extension SparseAutoencoder where T == Float {
    /// The `count` samples each latent fires most strongly on, strongest first, in one pass over
    /// the source. Throws `CancellationError` when `progress` says stop.
    public func topActivations(on source: ActivationSource, count: Int, batchSize: Int = 1024,
                               progress: ProgressHandler = { _, _ in true }) throws -> [[LatentActivation]] {
        guard source.dimension == inputSize else {
            throw InterpretError("\(source.name) has \(source.dimension) features per sample, the SAE takes d_in = \(inputSize)")
        }
        let prepared = atomGram()
        // Per latent, its best `count` so far, the weakest first once full.
        var best = [[LatentActivation]](repeating: [], count: latentCount)
        for start in stride(from: 0, to: source.count, by: batchSize) {
            let codes = encode(try source.rows(in: start..<min(start + batchSize, source.count)), atomGram: prepared)
            for b in 0..<codes.count {
                for e in codes.range(b) {
                    let j = codes.indices[e]
                    let candidate = LatentActivation(sample: start + b, value: Double(codes.values[e]))
                    if best[j].count < count {
                        best[j].append(candidate)
                        if best[j].count == count { best[j].sort { $0.value < $1.value } }
                    } else if count > 0, candidate.value > best[j][0].value {
                        // Keep the list sorted ascending: drop the weakest, insert in place.
                        best[j].removeFirst()
                        let at = best[j].firstIndex { $0.value >= candidate.value } ?? best[j].count
                        best[j].insert(candidate, at: at)
                    }
                }
            }
            if !progress(Double(start + codes.count) / Double(source.count), "top activations") { throw CancellationError() }
        }
        return best.map { $0.sorted { $0.value > $1.value || ($0.value == $1.value && $0.sample < $1.sample) } }
    }

    /// The effect of latent `latent` on each class score through the rest of the network: over
    /// (at most `maxSamples` of) the samples it fires on, the mean of scores(x̂) − scores(x̂ − f_j d_j),
    /// the change its removal from the reconstruction makes. Nil when it never fires there.
    public func logitEffect(of latent: Int, on source: LayerActivationSource, maxSamples: Int = 256,
                            batchSize: Int = 1024) throws -> [Double]? {
        guard latent >= 0 && latent < latentCount else {
            throw InterpretError("latent \(latent) does not exist (d_sae = \(latentCount))")
        }
        guard source.dimension == inputSize else {
            throw InterpretError("\(source.name) has \(source.dimension) features per sample, the SAE takes d_in = \(inputSize)")
        }
        let network = source.network
        guard source.traceIndex <= network.scoreIndex else { return nil }
        let prepared = atomGram()
        let direction = Array(decoder.row(latent))
        var sums: [Double] = []
        var used = 0
        var start = 0
        while start < source.count && used < maxSamples {
            let codes = encode(try source.rows(in: start..<min(start + batchSize, source.count)), atomGram: prepared)
            var withLatent = decode(codes)
            var rows: [Int] = [], values: [Float] = []
            for b in 0..<codes.count where used + rows.count < maxSamples {
                if let e = codes.range(b).first(where: { codes.indices[$0] == latent }) {
                    rows.append(b)
                    values.append(codes.values[e])
                }
            }
            if !rows.isEmpty {
                withLatent = withLatent.rows(rows)
                var without = withLatent
                for (r, v) in values.enumerated() { without.setRow(r, zip(without.row(r), direction).map { $0 - v * $1 }) }
                let layers = network.layers[source.traceIndex..<network.scoreIndex]
                let difference = layers.reduce(withLatent) { $1.forward($0) } - layers.reduce(without) { $1.forward($0) }
                let columnSums = difference.converted(to: Double.self).columnSums()
                sums = sums.isEmpty ? columnSums : zip(sums, columnSums).map { $0 + $1 }
                used += rows.count
            }
            start += batchSize
        }
        return used > 0 ? sums.map { $0 / Double(used) } : nil
    }
}
