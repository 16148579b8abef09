import Foundation
import LinAlg
import Networks
import TensorIO

/// Activations an SAE trains on or is evaluated on: `count` samples of `dimension` values, read a
/// block of rows at a time so that a source may be larger than memory.
public protocol ActivationSource: Sendable {
    /// What the user called it (a file, "demo:mlp-1 relu1 on builtin:digits"), for messages.
    var name: String { get }
    var count: Int { get }
    var dimension: Int { get }
    /// Rows `range` as Float, one sample per row.
    func rows(in range: Range<Int>) throws -> Matrix<Float>
}

extension ActivationSource {
    /// Every sample, in order (for sources that fit in memory).
    public func all() throws -> Matrix<Float> { try rows(in: 0..<count) }

    /// The rows at `indices` (read block by block, so scattered indices cost a block each).
    func rows(at indices: [Int]) throws -> Matrix<Float> {
        Matrix.vstack(try indices.map { try rows(in: $0..<($0 + 1)) })
    }
}

/// Activations held in memory.
public struct ActivationMatrix: ActivationSource, Sendable {
    public let name: String
    public let values: Matrix<Float>

    public init(_ values: Matrix<Float>, name: String) {
        self.values = values
        self.name = name
    }

    public var count: Int { values.rows }
    public var dimension: Int { values.cols }
    public func rows(in range: Range<Int>) throws -> Matrix<Float> { values.rows(in: range) }
}

/// A `.npy` file of activations [N, …] dumped from any framework, memory-mapped and read a block
/// of rows at a time (it may be larger than memory). Each sample is its row, flattened.
public struct NPYActivations: ActivationSource, Sendable {
    public let file: NPYFile
    public var name: String { file.url.path }

    public init(_ url: URL) throws {
        file = try NPYFile(url)
        guard file.shape.count >= 2, file.rowCount > 0, file.rowLength > 0 else {
            throw InterpretError(
                "\(url.path): activations have shape \(shapeText(file.shape)), expected [samples, features] with at least one sample")
        }
        guard file.dtype.isFloatingPoint else {
            throw InterpretError("\(url.path): activations are \(file.dtype.rawValue), expected floating-point values")
        }
    }

    public var count: Int { file.rowCount }
    public var dimension: Int { file.rowLength }

    public func rows(in range: Range<Int>) throws -> Matrix<Float> {
        let block = file.rows(range)
        if let bad = block.storage.firstIndex(where: { !$0.isFinite }) {
            throw InterpretError("\(name): sample \(range.lowerBound + bad / dimension) contains NaN or infinity")
        }
        return block
    }
}

/// One layer's activations of a network over a data set, computed a block at a time. Each sample
/// is the layer's output flattened (C·H·W for a convolution).
public struct LayerActivationSource: ActivationSource, Sendable {
    public let network: Network<Float>
    public let layer: String
    public let data: Dataset
    /// The position of the layer in a trace (0 is the input).
    public let traceIndex: Int
    public let dimension: Int

    public init(network: Network<Float>, layer: String, data: Dataset) throws {
        try data.check(against: network)
        traceIndex = try network.traceIndex(of: layer)
        dimension = try network.shape(of: layer).reduce(1, *)
        self.network = network
        self.layer = layer
        self.data = data
    }

    public var name: String { "\(network.name) \(layer) on \(data.name)" }
    public var count: Int { data.count }

    public func rows(in range: Range<Int>) throws -> Matrix<Float> {
        let x = data.x.rows(in: range)
        return network.forward(x, to: traceIndex)
    }
}

extension SparseAutoencoder where T == Float {
    /// The codes of every sample of a source, a batch at a time. Throws `CancellationError` when
    /// `progress` says stop.
    public func encode(
        _ source: ActivationSource, batchSize: Int = 1024,
        progress: ProgressHandler = { _, _ in true }
    ) throws -> SparseCodes<Float> {
        guard source.dimension == inputSize else {
            throw InterpretError("\(source.name) has \(source.dimension) features per sample, the SAE takes d_in = \(inputSize)")
        }
        let prepared = atomGram()
        var codes = SparseCodes<Float>(width: latentCount)
        for start in stride(from: 0, to: source.count, by: batchSize) {
            let end = min(start + batchSize, source.count)
            codes.append(encode(try source.rows(in: start..<end), atomGram: prepared))
            if !progress(Double(end) / Double(source.count), "encoding") { throw CancellationError() }
        }
        return codes
    }
}
