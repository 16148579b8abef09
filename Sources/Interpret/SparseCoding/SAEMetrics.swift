import Foundation
import LinAlg
import Networks

/// How well an SAE reconstructs a set of activations and how its latents fire (docs/methods.md).
/// Every sum runs in Float64 over the whole set.
public struct SAEMetrics: Codable, Sendable, Equatable {
    public var samples: Int
    /// Mean number of active latents per sample.
    public var l0: Double
    /// l0Histogram[n] is the number of samples with n active latents (matching pursuit's
    /// adaptive stopping makes this a distribution worth reading).
    public var l0Histogram: [Int]
    /// 1 − Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean sample.
    public var explainedVariance: Double
    /// Σ‖x − x̂‖² / Σ‖x − x̄‖² = 1 − explained variance.
    public var fvu: Double
    /// Mean over samples and features of (x − x̂)².
    public var mse: Double
    /// Mean over samples of cos(x, x̂).
    public var cosine: Double
    /// Mean over samples of ‖x̂‖ / ‖x‖ (below 1: the SAE shrinks its reconstructions).
    public var shrinkage: Double
    /// Fraction of latents that never fire on these samples.
    public var deadFraction: Double
    /// Fraction of latents that fire on more than `denseThreshold` of the samples.
    public var denseFraction: Double
    public var denseThreshold: Double
    public var density: DensityHistogram
    /// Per latent: the fraction of samples it fires on, and its mean value when it fires.
    public var latentFrequency: [Double]
    public var latentMeanActivation: [Double]
    /// For an SAE on a model layer with labelled data: what splicing it in does to the model.
    public var downstream: DownstreamEffect?
    /// For an SAE on a language model's hook point over text: what splicing it in does to the
    /// next-token predictions.
    public var languageModel: LanguageModelEffect?
}

/// The distribution of latent firing frequencies on a log10 scale, dead latents apart.
public struct DensityHistogram: Codable, Sendable, Equatable {
    /// Bin b covers log10 frequencies [edges[b], edges[b + 1]); the last bin includes 0 (= always).
    public var edges: [Double]
    public var counts: [Int]
    /// Latents that never fired (log10 0 = −∞).
    public var dead: Int

    /// Bins of width 0.25 from below 1/samples up to 10⁰.
    init(frequencies: [Double], samples: Int) {
        let width = 0.25
        let low = (log10(1 / Double(max(samples, 1))) / width).rounded(.down) * width
        let binCount = max(Int((-low / width).rounded()), 1)
        edges = (0...binCount).map { low + Double($0) * width }
        counts = [Int](repeating: 0, count: binCount)
        dead = 0
        for f in frequencies {
            guard f > 0 else { dead += 1; continue }
            counts[min(max(Int((log10(f) - low) / width), 0), binCount - 1)] += 1
        }
    }
}

/// The effect of replacing a layer's activations by the SAE's reconstruction on the rest of the
/// network (the SAELens "CE loss score"), on labelled data.
public struct DownstreamEffect: Codable, Sendable, Equatable {
    public var layer: String
    public var samples: Int
    /// Accuracy and mean cross-entropy with the layer as it is…
    public var cleanAccuracy: Double
    public var cleanLoss: Double
    /// …with its activations replaced by x̂…
    public var splicedAccuracy: Double
    public var splicedLoss: Double
    /// …and replaced by zeros, the baseline of `lossRecovered`.
    public var zeroAblatedAccuracy: Double
    public var zeroAblatedLoss: Double
    /// (L_zero − L_spliced) / (L_zero − L_clean): 1 when splicing costs nothing.
    public var lossRecovered: Double
    /// Fraction of samples whose predicted class is unchanged by splicing.
    public var agreement: Double
}

/// Σ_b ‖x_b − x̄‖² in Float64, accumulated over batches.
struct VarianceAccumulator {
    private(set) var count = 0
    private var sums: [Double]
    private var squares = 0.0

    init(dimension: Int) { sums = [Double](repeating: 0, count: dimension) }

    mutating func add<T: BLASScalar>(_ x: Matrix<T>) {
        count += x.rows
        x.withUnsafeBufferPointer { p in
            for b in 0..<x.rows {
                for i in 0..<x.cols {
                    let v = Double(p[b * x.cols + i])
                    sums[i] += v
                    squares += v * v
                }
            }
        }
    }

    /// Σ‖x‖² − n‖x̄‖².
    var total: Double {
        guard count > 0 else { return 0 }
        return max(squares - sums.reduce(0) { $0 + $1 * $1 } / Double(count), 0)
    }
}

/// Σ_b ‖x_b − x̄‖² of one batch.
func totalVariance<T: BLASScalar>(_ x: Matrix<T>) -> Double {
    var v = VarianceAccumulator(dimension: x.cols)
    v.add(x)
    return v.total
}

extension SparseAutoencoder where T == Float {
    /// Every metric over a source, a batch at a time; the downstream effect too when the source
    /// is a model layer over labelled data. Throws `CancellationError` when `progress` says stop.
    public func evaluate(
        on source: ActivationSource, batchSize: Int = 1024, denseThreshold: Double = 0.1,
        progress: ProgressHandler = { _, _ in true }
    ) throws -> SAEMetrics {
        guard source.dimension == inputSize else {
            throw InterpretError("\(source.name) has \(source.dimension) features per sample, the SAE takes d_in = \(inputSize)")
        }
        guard source.count > 0 else { throw InterpretError("\(source.name): no samples to evaluate on") }
        let m = latentCount
        let prepared = atomGram()
        var variance = VarianceAccumulator(dimension: inputSize)
        var errorSquares = 0.0, cosineSum = 0.0, ratioSum = 0.0
        var firing = [Int](repeating: 0, count: m)
        var activationSums = [Double](repeating: 0, count: m)
        var histogram: [Int] = []
        var downstream = (source as? LayerActivationSource).flatMap { DownstreamAccumulator($0) }
        for start in stride(from: 0, to: source.count, by: batchSize) {
            let x = try source.rows(in: start..<min(start + batchSize, source.count))
            let codes = encode(x, atomGram: prepared)
            let xHat = decode(codes)
            variance.add(x)
            for b in 0..<x.rows {
                let (e, c, r) = Self.compare(x.row(b), xHat.row(b))
                errorSquares += e
                cosineSum += c
                ratioSum += r
            }
            for e in 0..<codes.nonzeroCount {
                firing[codes.indices[e]] += 1
                activationSums[codes.indices[e]] += Double(codes.values[e])
            }
            for n in codes.l0 {
                if n >= histogram.count { histogram += [Int](repeating: 0, count: n + 1 - histogram.count) }
                histogram[n] += 1
            }
            downstream?.add(clean: x, reconstruction: xHat, range: start..<(start + x.rows))
            if !progress(Double(start + x.rows) / Double(source.count), "evaluating") { throw CancellationError() }
        }
        let n = Double(source.count)
        let total = variance.total
        let frequency = firing.map { Double($0) / n }
        let l0 = Double(firing.reduce(0, +)) / n
        return SAEMetrics(
            samples: source.count, l0: l0, l0Histogram: histogram,
            explainedVariance: total > 0 ? 1 - errorSquares / total : .nan,
            fvu: total > 0 ? errorSquares / total : .nan,
            mse: errorSquares / (n * Double(inputSize)),
            cosine: cosineSum / n, shrinkage: ratioSum / n,
            deadFraction: Double(firing.filter { $0 == 0 }.count) / Double(m),
            denseFraction: Double(frequency.filter { $0 > denseThreshold }.count) / Double(m),
            denseThreshold: denseThreshold,
            density: DensityHistogram(frequencies: frequency, samples: source.count),
            latentFrequency: frequency,
            latentMeanActivation: zip(activationSums, firing).map { $1 > 0 ? $0 / Double($1) : 0 },
            downstream: downstream?.result)
    }

    /// ‖x − x̂‖², cos(x, x̂) and ‖x̂‖/‖x‖ of one sample (0 for the last two when x = 0).
    private static func compare(_ x: ArraySlice<Float>, _ xHat: ArraySlice<Float>) -> (Double, Double, Double) {
        var e = 0.0, xx = 0.0, hh = 0.0, xh = 0.0
        for (a, b) in zip(x, xHat) {
            let (a, b) = (Double(a), Double(b))
            e += (a - b) * (a - b)
            xx += a * a
            hh += b * b
            xh += a * b
        }
        let cosine = xx > 0 && hh > 0 ? xh / (xx * hh).squareRoot() : 0
        return (e, cosine, xx > 0 ? (hh / xx).squareRoot() : 0)
    }
}

/// Accuracy and loss of the rest of the network from a layer: clean, spliced, zero-ablated.
private struct DownstreamAccumulator {
    let network: Network<Float>
    let layer: String
    let start: Int
    let labels: [Int]
    var correct = [0, 0, 0]
    var lossSums = [0.0, 0.0, 0.0]
    var agreeing = 0
    var count = 0

    /// Nil when the data has no labels, the layer is past the scores a loss is taken on, or
    /// the rest of the network also reads activations before the layer (inside a residual
    /// block), so that the layer's activations alone do not determine the scores.
    init?(_ source: LayerActivationSource) {
        guard let labels = source.data.labels, source.traceIndex <= source.network.scoreIndex,
            source.network.isCut(source.traceIndex)
        else { return nil }
        network = source.network
        layer = source.layer
        start = source.traceIndex
        self.labels = labels
    }

    mutating func add(clean: Matrix<Float>, reconstruction: Matrix<Float>, range: Range<Int>) {
        let y = Array(labels[range])
        let variants = [clean, reconstruction, Matrix(rows: clean.rows, cols: clean.cols)]
        var predictions: [[Int]] = []
        for (v, activation) in variants.enumerated() {
            let scores = network.forward(from: start, activation, to: network.scoreIndex)
            lossSums[v] += crossEntropy(logits: scores, labels: y).loss * Double(y.count)
            let predicted = scores.rowArgmax()
            predictions.append(predicted)
            correct[v] += zip(predicted, y).filter { $0 == $1 }.count
        }
        agreeing += zip(predictions[0], predictions[1]).filter { $0 == $1 }.count
        count += y.count
    }

    var result: DownstreamEffect {
        let n = Double(max(count, 1))
        let accuracy = correct.map { Double($0) / n }, loss = lossSums.map { $0 / n }
        let gap = loss[2] - loss[0]
        return DownstreamEffect(
            layer: layer, samples: count, cleanAccuracy: accuracy[0], cleanLoss: loss[0],
            splicedAccuracy: accuracy[1], splicedLoss: loss[1],
            zeroAblatedAccuracy: accuracy[2], zeroAblatedLoss: loss[2],
            lossRecovered: gap != 0 ? (loss[2] - loss[1]) / gap : .nan,
            agreement: Double(agreeing) / n)
    }
}
