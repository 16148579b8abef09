import Foundation
import LinAlg
import Networks

/// What a model is and how it behaves on data: the architecture, parameter counts, accuracy and
/// loss, and per-layer weight norms and activation statistics. The workbench's Overview and the
/// `summary` probe run show this.
public struct ModelSummary: Codable, Equatable, Sendable {
    public struct Layer: Codable, Equatable, Sendable {
        public var name: String
        public var kind: String
        public var inputShape: [Int]
        public var outputShape: [Int]
        public var parameters: Int
        /// ‖W‖_F of the layer's first tensor (weight, or the left matrix of a bilinear layer).
        public var weightNorm: Double?
        /// ‖b‖₂ of its bias, when it has one.
        public var biasNorm: Double?
        /// Statistics of the layer's output over the data, when data was given.
        public var activations: ActivationStatistics?
        /// What the layer reads when it is not the layer before it (a graph's merges and
        /// branches), by name.
        public var inputs: [String]?
        /// True when it lies off the network's main path (`Network.mainPath`), on a shortcut or
        /// a gate; nil on the main path (a summary saved before graphs reads as all main path).
        public var branch: Bool?
    }

    public var model: String
    public var name: String
    public var parameters: Int
    public var inputShape: [Int]
    public var classes: [String]
    public var data: String?
    public var samples: Int
    public var evaluation: Evaluation?
    public var layers: [Layer]
}

/// Statistics of one activation over a data set, accumulated in Float64.
public struct ActivationStatistics: Codable, Equatable, Sendable {
    public var mean: Double
    public var std: Double
    public var min: Double
    public var max: Double
    /// Fraction of all values that are exactly zero.
    public var zeroFraction: Double
    /// Units (flattened positions) that are zero on every sample.
    public var deadUnits: Int
    public var units: Int
    public var deadFraction: Double

    public init(mean: Double, std: Double, min: Double, max: Double, zeroFraction: Double, deadUnits: Int, units: Int) {
        self.mean = mean
        self.std = std
        self.min = min
        self.max = max
        self.zeroFraction = zeroFraction
        self.deadUnits = deadUnits
        self.units = units
        self.deadFraction = units > 0 ? Double(deadUnits) / Double(units) : 0
    }
}

/// Accumulates ActivationStatistics batch by batch.
struct ActivationAccumulator {
    private var count = 0
    private var sum = 0.0
    private var sumSquares = 0.0
    private var zeros = 0
    private var low = Double.infinity
    private var high = -Double.infinity
    /// Per unit: has it ever been nonzero?
    private var alive: [Bool]

    init(units: Int) { alive = [Bool](repeating: false, count: units) }

    mutating func add(_ a: Matrix<Float>) {
        let units = a.cols
        a.withUnsafeBufferPointer { p in
            var s = 0.0, ss = 0.0, lo = low, hi = high, z = 0
            for r in 0..<a.rows {
                let base = r * units
                for u in 0..<units {
                    let v = p[base + u]
                    if v == 0 { z += 1 } else { alive[u] = true }
                    let d = Double(v)
                    s += d
                    ss += d * d
                    lo = Swift.min(lo, d)
                    hi = Swift.max(hi, d)
                }
            }
            sum += s
            sumSquares += ss
            zeros += z
            low = lo
            high = hi
        }
        count += a.count
    }

    var statistics: ActivationStatistics {
        let n = Double(Swift.max(count, 1))
        let mean = sum / n
        return ActivationStatistics(
            mean: mean, std: Swift.max(0, sumSquares / n - mean * mean).squareRoot(),
            min: count > 0 ? low : 0, max: count > 0 ? high : 0,
            zeroFraction: Double(zeros) / n, deadUnits: alive.filter { !$0 }.count, units: alive.count)
    }
}

extension ModelSummary {
    /// Summarises `network` (named `reference` as the user gave it), on `data` when given.
    public static func compute(
        _ network: Network<Float>, reference: String, data: Dataset? = nil,
        batchSize: Int = 512, progress: (Double) -> Void = { _ in }
    ) throws -> ModelSummary {
        if let data { try data.check(against: network) }
        var accumulators = network.layers.map { ActivationAccumulator(units: $0.outputSize) }
        if let data {
            for start in stride(from: 0, to: data.count, by: batchSize) {
                let trace = network.trace(data.x.rows(in: start..<Swift.min(start + batchSize, data.count)))
                for i in network.layers.indices { accumulators[i].add(trace[i + 1]) }
                progress(Double(Swift.min(start + batchSize, data.count)) / Double(data.count))
            }
        }
        let mainPath = network.mainPath
        let layers = network.layers.enumerated().map { i, layer -> Layer in
            let params = layer.parameters
            let bias = params.first { $0.role == "bias" }
            return Layer(
                name: layer.name, kind: layer.operation.kind, inputShape: layer.inputShape, outputShape: layer.outputShape,
                parameters: layer.learnedParameterCount,
                weightNorm: params.first.map { Double(norm($0.values)) },
                biasNorm: bias.map { Double(norm($0.values)) },
                activations: data == nil ? nil : accumulators[i].statistics,
                inputs: layer.inputs?.map(network.activationName(at:)), branch: mainPath.contains(i) ? nil : true)
        }
        return ModelSummary(
            model: reference, name: network.name, parameters: network.learnedParameterCount, inputShape: network.input.shape,
            classes: network.classNames, data: data?.name, samples: data?.count ?? 0,
            evaluation: data.flatMap { network.evaluate($0.x, labels: $0.labels) }, layers: layers)
    }
}
