import LinAlg
import Networks

/// How the layers are compared: CKA and how it is computed, or mutual k-NN alignment.
public struct CKAOptions: Codable, Equatable, Sendable {
    /// What a layer-by-layer matrix holds.
    public enum Measure: String, Codable, CaseIterable, Sendable {
        /// Centred kernel alignment (Kornblith et al. 2019).
        case cka
        /// Mutual k-nearest-neighbour alignment (Huh et al. 2024): the share of each sample's
        /// k nearest neighbours that both representations agree on.
        case mutualKNN = "mutual-knn"
    }

    public var measure: Measure
    /// k of mutual k-NN.
    public var neighbours: Int
    public var kernel: CKAKernel
    /// The unbiased HSIC estimator (Song et al. 2007) instead of the biased one.
    public var debiased: Bool
    /// nil: every sample at once. A size: minibatch CKA, HSIC averaged over shuffled batches
    /// of about this many samples; minibatches always use the unbiased estimator, the only
    /// one whose batch average converges to the full-data value.
    public var batchSize: Int?
    /// Passes over the shuffled samples in minibatch mode.
    public var epochs: Int
    /// Shuffles of the permutation null beside every value (0: none). Each shuffles the
    /// samples of the column side (within each minibatch in minibatch mode).
    public var permutations: Int
    /// Orders the samples into minibatches and draws the shuffles.
    public var seed: UInt64

    /// k of mutual k-NN by default: the reference code's choice for its figures.
    public static let defaultNeighbours = 10

    public init(
        measure: Measure = .cka, neighbours: Int = CKAOptions.defaultNeighbours, kernel: CKAKernel = .linear, debiased: Bool = false,
        batchSize: Int? = nil, epochs: Int = 1, permutations: Int = 0, seed: UInt64 = 0
    ) {
        self.measure = measure
        self.neighbours = neighbours
        self.kernel = kernel
        self.debiased = debiased
        self.batchSize = batchSize
        self.epochs = epochs
        self.permutations = permutations
        self.seed = seed
    }

    /// The estimator actually used.
    public var usesUnbiasedEstimator: Bool { debiased || batchSize != nil }

    /// k when the measure is mutual k-NN, as a result records it.
    var knnNeighbours: Int? { measure == .mutualKNN ? neighbours : nil }

    public func validate() throws {
        if measure == .mutualKNN {
            guard neighbours >= 1 else { throw InterpretError("mutual k-NN needs at least 1 neighbour, got \(neighbours)") }
            guard batchSize == nil else {
                throw InterpretError("mutual k-NN compares neighbours among all the samples at once; it has no minibatch form")
            }
            guard kernel == .linear, !debiased else {
                throw InterpretError("the kernel and the HSIC estimator are CKA's; mutual k-NN ranks cosine similarities")
            }
        }
        if case .rbf(let t) = kernel, !(t > 0 && t.isFinite) {
            throw InterpretError("the RBF threshold must be a positive fraction of the median distance, got \(t)")
        }
        if let b = batchSize, b < CKAAccumulator.minimumSamples {
            throw InterpretError("the CKA batch size must be at least \(CKAAccumulator.minimumSamples), got \(b)")
        }
        guard epochs >= 1 else { throw InterpretError("the number of epochs must be at least 1, got \(epochs)") }
        try PermutationNull.validate(permutations: permutations)
    }
}

/// CKA between the layers of one model, or of two: the heatmap of Kornblith et al.'s figures.
public struct CKAMatrix: Codable, Equatable, Sendable {
    public var modelA: String
    /// nil when the layers of one model are compared with each other.
    public var modelB: String?
    public var rowLayers: [String]
    public var columnLayers: [String]
    /// values[i][j] = CKA(row layer i, column layer j).
    public var values: [[Double]]
    public var kernel: CKAKernel
    public var debiased: Bool
    public var batchSize: Int?
    public var batches: Int
    /// Distinct samples compared.
    public var samples: Int
    public var data: String
    /// null[i][j]: the value of row layer i against column layer j with the samples shuffled,
    /// when permutations were asked for.
    public var null: [[PermutationNull]]?
    /// k when the values are mutual k-NN alignments rather than CKA.
    public var neighbours: Int?

    public var measure: CKAOptions.Measure { neighbours == nil ? .cka : .mutualKNN }

    /// For each row layer, the column layer most similar to it (the "diagonal" of two models).
    public var bestColumnForRow: [Int] {
        values.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
    }
}

/// CKA over the layers of networks on a data set.
public enum LayerCKA {
    /// The layers compared by default: every layer output except flatten, reshape and dropout
    /// (copies of their input) and a final softmax (the logits before it are compared instead).
    public static func defaultLayers<T>(_ network: Network<T>) -> [String] {
        network.layers.compactMap { layer in
            switch layer.operation {
            case .flatten, .reshape, .permute, .activation(.dropout), .softmax: return nil
            default: return layer.name
            }
        }
    }

    /// The layer × layer CKA of model A against model B, or of A against itself when `b` is nil.
    /// Rows are `layersA`, columns `layersB` (of B, or of A again); both default to
    /// `defaultLayers`.
    public static func compute(
        _ a: Network<Float>, _ b: Network<Float>? = nil, data: Dataset,
        layersA: [String]? = nil, layersB: [String]? = nil,
        options: CKAOptions = CKAOptions(), progress: ProgressHandler? = nil
    ) throws -> CKAMatrix {
        try options.validate()
        let columnNetwork = b ?? a
        let rows = layersA ?? defaultLayers(a)
        let columns = layersB ?? (b == nil ? rows : defaultLayers(columnNetwork))
        guard !rows.isEmpty, !columns.isEmpty else { throw InterpretError("CKA: no layers to compare") }
        for name in rows { _ = try a.traceIndex(of: name) }
        for name in columns { _ = try columnNetwork.traceIndex(of: name) }
        let symmetric = b == nil && rows == columns
        let label = { (net: Network<Float>, layer: String) in "\(net.name) \(layer)" }
        let m = try measure(
            rows: rows.map { label(a, $0) }, columns: symmetric ? nil : columns.map { label(columnNetwork, $0) },
            samples: data.count, options: options, progress: progress
        ) { indices in
            let x = indices.map { data.x.rows($0) } ?? data.x
            let r = try LayerActivations.collect(a, x, layers: rows)
            return (r, symmetric ? nil : try LayerActivations.collect(columnNetwork, x, layers: columns))
        }
        return CKAMatrix(
            modelA: a.name, modelB: b?.name, rowLayers: rows, columnLayers: columns,
            values: m.values, kernel: options.kernel,
            debiased: options.usesUnbiasedEstimator, batchSize: options.batchSize,
            batches: m.batches, samples: data.count, data: data.name, null: m.null, neighbours: options.knnNeighbours)
    }

    /// CKA between two activation matrices of the same samples (e.g. dumped from PyTorch), as a
    /// 1 × 1 matrix whose "models" and "layers" are the two names.
    public static func compute(
        _ x: Matrix<Float>, _ y: Matrix<Float>, names: (String, String) = ("X", "Y"),
        options: CKAOptions = CKAOptions(), progress: ProgressHandler? = nil
    ) throws -> CKAMatrix {
        try compute(
            rows: [(names.0, x)], columns: [(names.1, y)], models: (names.0, names.1), data: "\(names.0), \(names.1)",
            options: options, progress: progress)
    }

    /// CKA between named activation matrices of the same samples: `rows` against `columns`, or
    /// against each other when `columns` is nil (a transformer's hook points on a text).
    public static func compute(
        rows: [(name: String, values: Matrix<Float>)], columns: [(name: String, values: Matrix<Float>)]?,
        models: (a: String, b: String?), data: String, options: CKAOptions = CKAOptions(), progress: ProgressHandler? = nil
    ) throws -> CKAMatrix {
        try options.validate()
        let all = rows + (columns ?? [])
        guard let first = all.first, !rows.isEmpty, columns.map({ !$0.isEmpty }) ?? true else {
            throw InterpretError("CKA: no layers to compare")
        }
        if let other = all.first(where: { $0.values.rows != first.values.rows }) {
            throw InterpretError(
                "CKA: '\(first.name)' has \(first.values.rows) samples, '\(other.name)' has \(other.values.rows); both must hold the same samples"
            )
        }
        let m = try measure(
            rows: rows.map(\.name), columns: columns?.map(\.name), samples: first.values.rows, options: options, progress: progress
        ) { indices in
            func pick(_ m: Matrix<Float>) -> Matrix<Float> { indices.map { m.rows($0) } ?? m }
            return (rows.map { pick($0.values) }, columns?.map { pick($0.values) })
        }
        return CKAMatrix(
            modelA: models.a, modelB: models.b, rowLayers: rows.map(\.name), columnLayers: (columns ?? rows).map(\.name),
            values: m.values, kernel: options.kernel,
            debiased: options.usesUnbiasedEstimator, batchSize: options.batchSize,
            batches: m.batches, samples: first.values.rows, data: data, null: m.null, neighbours: options.knnNeighbours)
    }

    /// The measure of `options` between every row and column representation (columns nil: the
    /// rows against themselves), its permutation null, and the batches it took.
    private static func measure(
        rows: [String], columns: [String]?, samples n: Int, options: CKAOptions, progress: ProgressHandler?,
        fetch: ([Int]?) throws -> (rows: [Matrix<Float>], columns: [Matrix<Float>]?)
    ) throws -> (values: [[Double]], null: [[PermutationNull]]?, batches: Int) {
        guard options.measure == .cka else {
            return try mutualNeighbours(rows: rows, columns: columns, samples: n, options: options, progress: progress, fetch: fetch)
        }
        var accumulator = CKAAccumulator(
            kernel: options.kernel, debiased: options.usesUnbiasedEstimator, rows: rows, columns: columns,
            permutations: options.permutations, seed: options.seed)
        try run(&accumulator, samples: n, options: options, progress: progress, fetch: fetch)
        return (try rowsOf(accumulator.values()), try accumulator.nulls(), accumulator.batches)
    }

    /// Mutual k-NN alignment between every row and column representation over all samples at
    /// once (neighbours are a property of the whole sample, so there is no minibatch form).
    private static func mutualNeighbours(
        rows: [String], columns: [String]?, samples n: Int, options: CKAOptions, progress: ProgressHandler?,
        fetch: ([Int]?) throws -> (rows: [Matrix<Float>], columns: [Matrix<Float>]?)
    ) throws -> (values: [[Double]], null: [[PermutationNull]]?, batches: Int) {
        if let progress, !progress(0, "activations") { throw CancellationError() }
        let (r, c) = try fetch(nil)
        let names = rows + (columns ?? [])
        var found: [NearestNeighbours] = []
        for (k, m) in (r + (c ?? [])).enumerated() {
            found.append(try NearestNeighbours(m, k: options.neighbours, what: "'\(names[k])'"))
            if let progress, !progress(Double(k + 1) / Double(names.count), "neighbours of \(names[k])") { throw CancellationError() }
        }
        let rowSide = Array(found[0..<rows.count])
        let columnSide = columns == nil ? rowSide : Array(found[rows.count...])
        func scores(_ order: [Int]?) -> [Double] {
            rowSide.flatMap { a in columnSide.map { a.alignment(with: $0, order: order) } }
        }
        let observed = scores(nil)
        let width = columnSide.count
        let values = (0..<rowSide.count).map { Array(observed[($0 * width)..<(($0 + 1) * width)]) }
        guard options.permutations > 0 else { return (values, nil, 1) }
        let flat = try PermutationNull.test(
            observed: observed, samples: n, permutations: options.permutations, seed: options.seed, progress: progress
        ) { scores($0) }
        return (values, (0..<rowSide.count).map { Array(flat[($0 * width)..<(($0 + 1) * width)]) }, 1)
    }

    /// Feeds the accumulator every sample at once, or the minibatches of `options`.
    /// `fetch(nil)` returns the representations of every sample, `fetch(indices)` of a batch.
    private static func run(
        _ accumulator: inout CKAAccumulator, samples n: Int, options: CKAOptions,
        progress: ProgressHandler?,
        fetch: ([Int]?) throws -> (rows: [Matrix<Float>], columns: [Matrix<Float>]?)
    ) throws {
        guard let size = options.batchSize else {
            if let progress, !progress(0, "activations") { throw CancellationError() }
            let (rows, columns) = try fetch(nil)
            try accumulator.add(rows: rows, columns: columns, progress: progress)
            return
        }
        let batches = minibatches(samples: n, size: size, epochs: options.epochs, seed: options.seed)
        for (k, batch) in batches.enumerated() {
            let (rows, columns) = try fetch(batch)
            try accumulator.add(rows: rows, columns: columns)
            if let progress, !progress(Double(k + 1) / Double(batches.count), "batch \(k + 1)/\(batches.count)") {
                throw CancellationError()
            }
        }
    }

    /// Each epoch a fresh shuffle of 0..<n cut into ⌈n/size⌉ batches whose sizes differ by at
    /// most one, so no batch is left too small for the unbiased estimator.
    public static func minibatches(samples n: Int, size: Int, epochs: Int, seed: UInt64) -> [[Int]] {
        var rng = SeededRandom(seed: seed)
        let count = max(1, (n + size - 1) / size)
        var out: [[Int]] = []
        for _ in 0..<epochs {
            let order = rng.permutation(n)
            var start = 0
            for k in 0..<count {
                let length = n / count + (k < n % count ? 1 : 0)
                out.append(Array(order[start..<(start + length)]))
                start += length
            }
        }
        return out
    }

    private static func rowsOf(_ m: Matrix<Double>) -> [[Double]] { (0..<m.rows).map { Array(m.row($0)) } }
}
