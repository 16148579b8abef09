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
    public func topActivations(
        on source: ActivationSource, count: Int, batchSize: Int = 1024,
        progress: ProgressHandler = { _, _ in true }
    ) throws -> [[LatentActivation]] {
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
    /// the change its removal from the reconstruction makes. Nil when it never fires there, or
    /// when the layer is not a cut of the network (`Network.isCut`).
    public func logitEffect(
        of latent: Int, on source: LayerActivationSource, maxSamples: Int = 256,
        batchSize: Int = 1024
    ) throws -> [Double]? {
        guard latent >= 0 && latent < latentCount else {
            throw InterpretError("latent \(latent) does not exist (d_sae = \(latentCount))")
        }
        return try logitEffects(on: source, latents: [latent], maxSamples: maxSamples, batchSize: batchSize)[latent]
    }

    /// `logitEffect(of:on:)` of every latent in `latents` (nil: all of them) in one pass over the
    /// source: element j is latent j's effect, nil when it never fires there or was not asked for.
    /// Each batch is encoded once; the rest of the network runs once on x̂ and once on every
    /// (sample, latent) pair with the latent removed. Throws `CancellationError` when `progress` says stop.
    public func logitEffects(
        on source: LayerActivationSource, latents: [Int]? = nil, maxSamples: Int = 256,
        batchSize: Int = 1024, progress: ProgressHandler = { _, _ in true }
    ) throws -> [[Double]?] {
        guard source.dimension == inputSize else {
            throw InterpretError("\(source.name) has \(source.dimension) features per sample, the SAE takes d_in = \(inputSize)")
        }
        var wanted = [Bool](repeating: latents == nil, count: latentCount)
        for j in latents ?? [] where wanted.indices.contains(j) { wanted[j] = true }
        let network = source.network
        // Past the scores, or inside a residual block (where the scores also depend on activations
        // before the layer), the effect is not the layer's alone.
        guard source.traceIndex <= network.scoreIndex, network.isCut(source.traceIndex) else {
            return [[Double]?](repeating: nil, count: latentCount)
        }
        func rest(_ activation: Matrix<Float>) -> Matrix<Float> {
            network.forward(from: source.traceIndex, activation, to: network.scoreIndex)
        }
        let prepared = atomGram()
        var sums = [[Double]](repeating: [], count: latentCount)
        var used = [Int](repeating: 0, count: latentCount)
        var collecting = wanted.filter { $0 }.count
        var start = 0
        while start < source.count && collecting > 0 {
            let codes = encode(try source.rows(in: start..<min(start + batchSize, source.count)), atomGram: prepared)
            // Every (sample, latent, value) still wanted, in sample order.
            var samples: [Int] = [], owners: [Int] = [], values: [Float] = []
            for b in 0..<codes.count {
                for e in codes.range(b) where wanted[codes.indices[e]] && used[codes.indices[e]] < maxSamples {
                    let j = codes.indices[e]
                    samples.append(b)
                    owners.append(j)
                    values.append(codes.values[e])
                    used[j] += 1
                    if used[j] == maxSamples { collecting -= 1 }
                }
            }
            if !samples.isEmpty {
                let reconstruction = decode(codes)
                let withLatent = rest(reconstruction)
                // Removing a latent from x̂, a bounded block of pairs at a time.
                for block in stride(from: 0, to: samples.count, by: 4096) {
                    let pairs = block..<min(block + 4096, samples.count)
                    var without = reconstruction.rows(Array(samples[pairs]))
                    for (r, p) in pairs.enumerated() {
                        without.setRow(r, zip(without.row(r), decoder.row(owners[p])).map { $0 - values[p] * $1 })
                    }
                    let scores = rest(without)
                    for (r, p) in pairs.enumerated() {
                        let difference = zip(withLatent.row(samples[p]), scores.row(r)).map { Double($0 - $1) }
                        let j = owners[p]
                        sums[j] = sums[j].isEmpty ? difference : zip(sums[j], difference).map { $0 + $1 }
                    }
                }
            }
            start += codes.count
            if !progress(Double(start) / Double(source.count), "logit effects") { throw CancellationError() }
        }
        return sums.indices.map { j in used[j] > 0 ? sums[j].map { $0 / Double(used[j]) } : nil }
    }
}
