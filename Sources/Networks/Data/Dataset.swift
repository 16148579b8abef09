import LinAlg

/// Samples (one per row, flattened in C·H·W order) with optional integer labels.
public struct Dataset: Sendable {
    /// How the user named it (`builtin:digits:test`, a path), for messages and reports.
    public var name: String
    public var x: Matrix<Float>
    public var labels: [Int]?
    /// One sample's shape as stored, e.g. [64] or [1, 8, 8].
    public var sampleShape: [Int]

    public init(name: String, x: Matrix<Float>, labels: [Int]?, sampleShape: [Int]) {
        precondition(labels == nil || labels!.count == x.rows, "Dataset: \(labels!.count) labels for \(x.rows) samples")
        self.name = name
        self.x = x
        self.labels = labels
        self.sampleShape = sampleShape
    }

    public var count: Int { x.rows }

    /// Labels are class indices; a million classes is beyond any data set Loupe reads, and the
    /// bound keeps a corrupt label from becoming a huge allocation (a one-hot, a class table).
    public static let maxLabel = 1_000_000

    public func subset(_ indices: [Int]) -> Dataset {
        Dataset(name: name, x: x.rows(indices), labels: labels.map { l in indices.map { l[$0] } }, sampleShape: sampleShape)
    }

    /// Refuses data that the network cannot take, naming both.
    public func check<T>(against network: Network<T>) throws {
        guard x.cols == network.inputSize else {
            throw NetworkError(
                "data '\(name)' has samples of \(x.cols) values \(shapeText(sampleShape)), but model '\(network.name)' expects input \(shapeText(network.input.shape))"
            )
        }
        if let k = network.firstInvalidTokenId(in: x.storage.map { T($0) }) {
            let vocabulary = network.tokenTables.map(\.vocabulary).min()!
            throw NetworkError(
                "data '\(name)': sample \(k / x.cols), position \(k % x.cols) holds \(x.storage[k]), but model '\(network.name)' reads token ids, whole numbers from 0 to \(vocabulary - 1)"
            )
        }
        if let labels, let bad = labels.first(where: { $0 < 0 || $0 >= network.outputSize }) {
            throw NetworkError("data '\(name)' has label \(bad), but model '\(network.name)' has \(network.outputSize) outputs")
        }
    }

    /// Index batches of `size` covering every sample once, shuffled when a generator is given.
    public func batches(size: Int, shuffledBy rng: inout SeededRandom?) -> [[Int]] {
        var order = Array(0..<count)
        if rng != nil { rng!.shuffle(&order) }
        return stride(from: 0, to: count, by: max(size, 1)).map { Array(order[$0..<min($0 + size, count)]) }
    }
}
