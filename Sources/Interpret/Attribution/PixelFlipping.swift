import Foundation
import LinAlg
import Networks

/// What a removed input is set to.
public enum FlippingBaseline: Equatable, Sendable, CustomStringConvertible {
    /// One value for every input (0 is the digits' background).
    case value(Double)
    /// Each input's mean over the whole data set.
    case dataMean

    /// `mean`, or a number.
    public static func parse(_ text: String) throws -> FlippingBaseline {
        if text.lowercased() == "mean" { return .dataMean }
        guard let v = Double(text), v.isFinite else {
            throw InterpretError("--baseline \(text): expected a number or 'mean'")
        }
        return .value(v)
    }

    public var description: String {
        switch self {
        case .value(let v): return "\(v)"
        case .dataMean: return "mean"
        }
    }
}

extension FlippingBaseline: TextCodable {
    public init(text: String) throws { self = try FlippingBaseline.parse(text) }
}

public struct PixelFlippingOptions: Equatable, Sendable, Codable {
    /// The curve has `steps + 1` points, from nothing removed to everything removed.
    public var steps: Int
    public var baseline: FlippingBaseline
    /// Random orders per sample; the random curve is their mean.
    public var randomOrders: Int
    public var seed: UInt64
    public var batchSize: Int

    public init(
        steps: Int = 16, baseline: FlippingBaseline = .value(0), randomOrders: Int = 10, seed: UInt64 = 1,
        batchSize: Int = 256
    ) {
        self.steps = steps
        self.baseline = baseline
        self.randomOrders = randomOrders
        self.seed = seed
        self.batchSize = batchSize
    }
}

/// One removal order's curve: the mean explained score after each step, and the area under it.
public struct FlippingCurve: Equatable, Sendable, Codable {
    /// An LRP configuration's name, `gradient×input` or `random`.
    public var method: String
    /// The mean over the samples of u·f(x) after each step (u the target's direction).
    public var meanScore: [Double]
    /// The area under `meanScore` over the removed fraction (trapezoids on [0, 1]); lower means
    /// the order found the inputs the score depends on sooner.
    public var auc: Double
    /// Each sample's own area.
    public var sampleAUC: [Double]
}

/// Pixel flipping (docs/methods.md): remove each sample's inputs most-relevant-first, a fixed
/// number per step, setting them to the baseline, and follow the explained score. Every LRP
/// configuration asked for is compared with gradient × input and with random orders.
/// Inputs are removed one element at a time (channels separately); ties in relevance go in
/// index order.
public struct PixelFlippingResult: Sendable, Codable {
    public var model: String
    public var data: String
    public var target: AttributionTarget
    public var options: PixelFlippingOptions
    public var samples: [Int]
    public var classes: [Int?]
    /// The fraction of inputs removed at each point of the curves.
    public var fractions: [Double]
    /// The LRP configurations in the order given, then `gradient×input`, then `random`.
    public var curves: [FlippingCurve]

    public static let gradientMethod = "gradient×input"
    public static let randomMethod = "random"

    public func curve(_ method: String) -> FlippingCurve? { curves.first { $0.method == method } }

    /// Flips `samples` in batches of `options.batchSize`. After each batch `partial` (when
    /// given) receives the result over the samples done so far, so a view can draw the curves
    /// as they form; the last one it receives is the result returned.
    public static func compute(
        network: Network<Float>, data: Dataset, samples: [Int], methods: [LRPConfiguration],
        target: AttributionTarget = .predicted, options: PixelFlippingOptions = PixelFlippingOptions(),
        progress: ProgressHandler? = nil,
        partial: ((PixelFlippingResult) -> Void)? = nil
    ) throws -> PixelFlippingResult {
        try data.check(against: network)
        try Attribution.checkSamples(samples, in: data)
        guard options.steps >= 1, options.randomOrders >= 1, options.batchSize >= 1 else {
            throw InterpretError("pixel flipping needs at least one step, one random order and a positive batch size")
        }
        let d = network.inputSize
        // Each step removes at least one input; more steps than inputs would only repeat work.
        guard options.steps <= d else {
            throw InterpretError("pixel flipping in \(options.steps) steps: the model has \(d) inputs, so at most \(d) steps")
        }
        let explainers = try methods.map { try LRP(network: network, configuration: $0) }
        let baseline: [Float]
        switch options.baseline {
        case .value(let v): baseline = [Float](repeating: Float(v), count: d)
        case .dataMean: baseline = data.x.columnMeans()
        }
        // Flipped inputs of a model that reads token ids must stay ids.
        if let k = network.firstInvalidTokenId(in: baseline) {
            throw InterpretError(
                "pixel flipping: the baseline \(baseline[k]) is not a token id of model '\(network.name)'; give --baseline a whole number inside its table"
            )
        }
        let flipper = Flipper(network: network, baseline: baseline, steps: options.steps)
        let names = methods.map(\.name) + [gradientMethod, randomMethod]
        var perSample = [[[Double]]](repeating: [], count: names.count)  // method → sample → curve
        var classes: [Int?] = []
        var rng = SeededRandom(seed: options.seed)
        let batches = stride(from: 0, to: samples.count, by: options.batchSize).map {
            Array(samples[$0..<min($0 + options.batchSize, samples.count)])
        }
        let fractions = flipper.removedCounts.map { Double($0) / Double(d) }
        func summary() -> PixelFlippingResult {
            let curves = zip(names, perSample).map { name, sampleCurves in
                let mean = (0...options.steps).map { k in sampleCurves.reduce(0.0) { $0 + $1[k] } / Double(sampleCurves.count) }
                return FlippingCurve(
                    method: name, meanScore: mean, auc: area(mean, over: fractions),
                    sampleAUC: sampleCurves.map { area($0, over: fractions) })
            }
            return PixelFlippingResult(
                model: network.name, data: data.name, target: target, options: options,
                samples: Array(samples.prefix(classes.count)), classes: classes, fractions: fractions, curves: curves)
        }
        for (b, batch) in batches.enumerated() {
            let x = data.x.rows(batch)
            let labels = data.labels.map { l in batch.map { l[$0] } }
            let (directions, batchClasses) = try target.directions(scores: network.scores(x), labels: labels)
            classes += batchClasses
            for (m, lrp) in explainers.enumerated() {
                let relevance = try lrp.explain(x, directions: directions).relevance
                perSample[m] += flipper.curves(x, directions: directions, orders: mostRelevantFirst(relevance))
                try Attribution.report(
                    progress, (Double(b) + Double(m + 1) / Double(names.count)) / Double(batches.count), "flipping \(names[m])")
            }
            let gradient = GradientTimesInput.explain(network: network, x: x, directions: directions)
            perSample[methods.count] += flipper.curves(x, directions: directions, orders: mostRelevantFirst(gradient))
            var random = [[Double]](repeating: [Double](repeating: 0, count: options.steps + 1), count: batch.count)
            for _ in 0..<options.randomOrders {
                let orders = batch.map { _ in rng.permutation(d) }
                for (n, curve) in flipper.curves(x, directions: directions, orders: orders).enumerated() {
                    for k in curve.indices { random[n][k] += curve[k] / Double(options.randomOrders) }
                }
            }
            perSample[methods.count + 1] += random
            try Attribution.report(progress, Double(b + 1) / Double(batches.count), "flipping random orders")
            partial?(summary())
        }
        return summary()
    }

    /// Each row's indices sorted by decreasing relevance, ties in index order.
    static func mostRelevantFirst(_ relevance: Matrix<Float>) -> [[Int]] {
        (0..<relevance.rows).map { n in
            let r = relevance.row(n)
            let base = r.startIndex
            return r.indices.map { $0 - base }.sorted { r[base + $0] > r[base + $1] || (r[base + $0] == r[base + $1] && $0 < $1) }
        }
    }

    /// The trapezoid area under y over x.
    static func area(_ y: [Double], over x: [Double]) -> Double {
        var total = 0.0
        for k in 1..<min(x.count, y.count) { total += (x[k] - x[k - 1]) * (y[k] + y[k - 1]) / 2 }
        return total
    }
}

/// Runs the removal: for each step, one forward pass over the batch with that step's inputs
/// set to the baseline.
struct Flipper {
    let network: Network<Float>
    let baseline: [Float]
    /// How many inputs are removed at each of the steps + 1 points.
    let removedCounts: [Int]

    init(network: Network<Float>, baseline: [Float], steps: Int) {
        self.network = network
        self.baseline = baseline
        let d = baseline.count
        removedCounts = (0...steps).map { Int((Double($0) * Double(d) / Double(steps)).rounded()) }
    }

    /// Per sample, u·f(x) after each step of removing inputs in `orders` (one per sample).
    func curves(_ x: Matrix<Float>, directions: Matrix<Float>, orders: [[Int]]) -> [[Double]] {
        var current = x
        var curves = [[Double]](repeating: [], count: x.rows)
        var removed = 0
        for count in removedCounts {
            for n in 0..<x.rows {
                for i in orders[n][removed..<count] { current[n, i] = baseline[i] }
            }
            removed = count
            let scores = network.scores(current)
            for n in 0..<x.rows {
                curves[n].append(zip(scores.row(n), directions.row(n)).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
            }
        }
        return curves
    }
}
