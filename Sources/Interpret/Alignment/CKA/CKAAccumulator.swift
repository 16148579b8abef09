import LinAlg

/// Sums HSIC estimates between every row representation and every column representation over
/// batches of the same samples, and turns the sums into CKA:
///
///     CKA_ij = Σ_b HSIC(X_i, Y_j) / √(Σ_b HSIC(X_i, X_i) · Σ_b HSIC(Y_j, Y_j))
///
/// One batch holding every sample gives the ordinary CKA of Kornblith et al. (2019). Many
/// batches give minibatch CKA (Nguyen, Raghu & Kornblith 2021): with the unbiased estimator each
/// batch's HSIC is an unbiased estimate, so the average converges to the full-data value (the
/// average over all batches of a given size equals it exactly, HSIC being a U-statistic).
///
/// Rows and columns are usually the layers of two models; with no separate columns the rows
/// are compared with themselves (the layers of one model).
///
/// With `permutations` > 0 it also accumulates a permutation null: the same sums with the
/// samples of each batch shuffled on the column side, once per shuffle, so every CKA value has
/// the CKA of unrelated samples beside it (`nulls()`). Shuffling within batches keeps minibatch
/// CKA one pass over the data; a shuffle within each part of a fixed partition is still a draw
/// from a group of permutations, which is all a permutation test needs.
public struct CKAAccumulator: Sendable {
    public let kernel: CKAKernel
    public let debiased: Bool
    public let rowNames: [String]
    public let columnNames: [String]
    /// Rows compared with themselves.
    public let symmetric: Bool
    /// Batches added so far, and the samples in them (a sample counts once per batch it is in).
    public private(set) var batches = 0
    public private(set) var samples = 0

    private var cross: Matrix<Double>
    private var rowSelf: [Double]
    private var columnSelf: [Double]
    /// Whether a representation has varied within some batch (a constant one has no CKA).
    private var rowVaried: [Bool]
    private var columnVaried: [Bool]
    /// The cross sums of each shuffle, and where the shuffles come from.
    private var nullCross: [Matrix<Double>]
    private var shuffles: SeededRandom

    /// The most samples of one batch for which an n × n Gram matrix is formed (8192² doubles
    /// are 512 MiB); the linear kernel avoids it in feature space.
    public static let maximumGramSamples = 8192
    public static let minimumSamples = 4

    public init(kernel: CKAKernel, debiased: Bool, rows: [String], columns: [String]? = nil, permutations: Int = 0, seed: UInt64 = 0) {
        self.kernel = kernel
        self.debiased = debiased
        rowNames = rows
        columnNames = columns ?? rows
        symmetric = columns == nil
        cross = Matrix(rows: rows.count, cols: columnNames.count)
        rowSelf = [Double](repeating: 0, count: rows.count)
        columnSelf = [Double](repeating: 0, count: columnNames.count)
        rowVaried = [Bool](repeating: false, count: rows.count)
        columnVaried = [Bool](repeating: false, count: columnNames.count)
        nullCross = [Matrix<Double>](repeating: Matrix(rows: rows.count, cols: columnNames.count), count: permutations)
        // A stream of its own, apart from the minibatch order drawn from the same seed.
        var base = SeededRandom(seed: seed)
        shuffles = base.fork(1)
    }

    /// Shuffles in the permutation null (0: none).
    public var permutations: Int { nullCross.count }

    /// Adds one batch: the same samples (rows) as seen by each row representation and each column
    /// representation (`columns` is nil for a symmetric accumulator).
    public mutating func add<T: BLASScalar>(
        rows: [Matrix<T>], columns: [Matrix<T>]? = nil,
        progress: ProgressHandler? = nil
    ) throws {
        precondition(
            rows.count == rowNames.count && (columns?.count ?? columnNames.count) == columnNames.count
                && (columns == nil) == symmetric,
            "CKAAccumulator.add: representations do not match the names given at init")
        let all = rows + (columns ?? [])
        let names = rowNames + (symmetric ? [] : columnNames)
        let n = all.first?.rows ?? 0
        for (m, name) in zip(all, names) {
            guard m.rows == n else {
                throw InterpretError("CKA: '\(name)' has \(m.rows) samples, '\(names[0])' has \(n); both must see the same samples")
            }
        }
        guard n >= Self.minimumSamples else {
            throw InterpretError("CKA needs at least \(Self.minimumSamples) samples per batch, got \(n)")
        }
        let varied = all.map(Self.varies)
        let rowCount = rowNames.count
        for i in 0..<rowCount where varied[i] { rowVaried[i] = true }
        for j in 0..<columnNames.count where varied[symmetric ? j : rowCount + j] { columnVaried[j] = true }

        // Feature space whenever it is cheaper or the Gram matrix would not fit.
        let widest = all.map(\.cols).max() ?? 0
        if case .linear = kernel, n > widest || n > Self.maximumGramSamples {
            // Centring finds NaN and infinity itself (in the column sums), saving a pass over the data.
            let features = try zip(all, names).map { m, name in
                guard let f = CenteredFeatures(m, unbiased: debiased) else { throw Self.nonFinite(name) }
                return f
            }
            try accumulate(features, varied: varied, progress: progress)
            try accumulateNull(features, varied: varied, samples: n, progress: progress)
        } else {
            guard n <= Self.maximumGramSamples else {
                throw InterpretError(
                    "\(kernel) CKA over \(n) samples at once needs a \(n)×\(n) Gram matrix per layer; use minibatch CKA with batches of at most \(Self.maximumGramSamples) samples"
                )
            }
            var grams: [CenteredGram] = []
            for (m, name) in zip(all, names) where m.hasNonFinite { throw Self.nonFinite(name) }
            for (k, m) in all.map({ $0.converted(to: Double.self) }).enumerated() {
                // A constant representation contributes nothing: its centred Gram matrix is 0.
                let k0 = varied[k] ? try kernel.gram(m, what: "'\(names[k])'") : Matrix(rows: n, cols: n)
                grams.append(CenteredGram(gram: k0, unbiased: debiased))
            }
            try accumulate(grams, varied: varied, progress: progress)
            try accumulateNull(grams, varied: varied, samples: n, progress: progress)
        }
        batches += 1
        samples += n
    }

    private mutating func accumulate<Op: HSICOperand>(_ ops: [Op], varied: [Bool], progress: ProgressHandler?) throws {
        let rowCount = rowNames.count
        let columnOffset = symmetric ? 0 : rowCount
        let selfTerms = ops.indices.map { varied[$0] ? ops[$0].selfHSIC() : 0 }
        for i in 0..<rowCount { rowSelf[i] += selfTerms[i] }
        for j in 0..<columnNames.count { columnSelf[j] += selfTerms[columnOffset + j] }
        for i in 0..<rowCount {
            for j in 0..<columnNames.count {
                let a = i, b = columnOffset + j
                if symmetric && j < i { continue }
                let h = a == b ? selfTerms[a] : (varied[a] && varied[b] ? ops[a].hsic(with: ops[b]) : 0)
                cross[i, j] += h
                if symmetric { cross[j, i] = cross[i, j] }
            }
            if let progress, !progress(Double(i + 1) / Double(rowCount), "CKA row \(i + 1)/\(rowCount)") {
                throw CancellationError()
            }
        }
    }

    /// Adds each shuffle's cross terms: every row representation against every column
    /// representation with the batch's samples in a fresh random order.
    private mutating func accumulateNull<Op: HSICOperand>(_ ops: [Op], varied: [Bool], samples n: Int, progress: ProgressHandler?) throws {
        let rowCount = rowNames.count
        let columnOffset = symmetric ? 0 : rowCount
        for r in nullCross.indices {
            let order = shuffles.permutation(n)
            let shuffled = (0..<columnNames.count).map { ops[columnOffset + $0].permuted(order) }
            for i in 0..<rowCount where varied[i] {
                for j in 0..<columnNames.count where varied[columnOffset + j] {
                    nullCross[r][i, j] += ops[i].hsic(with: shuffled[j])
                }
            }
            if let progress, !progress(Double(r + 1) / Double(nullCross.count), "shuffle \(r + 1)/\(nullCross.count)") {
                throw CancellationError()
            }
        }
    }

    /// CKA for every row and column, rows × columns.
    public func values() throws -> Matrix<Double> {
        precondition(batches > 0, "CKAAccumulator.values: no batch was added")
        let names = rowNames + columnNames, varied = rowVaried + columnVaried, selfSums = rowSelf + columnSelf
        for (k, name) in names.enumerated() {
            let selfSum = selfSums[k]
            guard varied[k] else {
                throw InterpretError(
                    "CKA: '\(name)' is constant over the samples (every sample gives the same activations), so its CKA is undefined")
            }
            guard selfSum > 0 else {
                throw InterpretError(
                    "CKA: the \(debiased ? "unbiased " : "")HSIC of '\(name)' with itself is \(selfSum), not positive; use more samples per batch\(debiased ? " or the biased estimator" : "")"
                )
            }
        }
        return normalized(cross)
    }

    /// The permutation null of every value, rows × columns (nil without permutations).
    public func nulls() throws -> [[PermutationNull]]? {
        guard !nullCross.isEmpty else { return nil }
        let observed = try values()
        let shuffled = nullCross.map(normalized)
        return (0..<rowNames.count).map { i in
            (0..<columnNames.count).map { j in PermutationNull(observed: observed[i, j], null: shuffled.map { $0[i, j] }) }
        }
    }

    /// HSIC sums divided by the self terms' geometric mean: CKA.
    private func normalized(_ sums: Matrix<Double>) -> Matrix<Double> {
        Matrix(rows: rowNames.count, cols: columnNames.count) { i, j in sums[i, j] / (rowSelf[i] * columnSelf[j]).squareRoot() }
    }

    private static func nonFinite(_ name: String) -> InterpretError { InterpretError("CKA: '\(name)' contains NaN or infinity") }

    /// Whether any sample differs from the first (exactly: a constant layer is refused, a
    /// nearly constant one is a legitimate representation).
    private static func varies<T>(_ m: Matrix<T>) -> Bool {
        guard m.rows > 1 else { return false }
        let first = m.row(0)
        return (1..<m.rows).contains { !m.row($0).elementsEqual(first) }
    }
}

/// CKA between two representations of the same samples.
public enum CKA {
    /// CKA(X, Y) for samples as rows; `names` label X and Y in error messages.
    public static func similarity<T: BLASScalar>(
        _ x: Matrix<T>, _ y: Matrix<T>, kernel: CKAKernel = .linear,
        debiased: Bool = false, names: (String, String) = ("X", "Y")
    ) throws -> Double {
        var accumulator = CKAAccumulator(kernel: kernel, debiased: debiased, rows: [names.0], columns: [names.1])
        try accumulator.add(rows: [x], columns: [y])
        return try accumulator.values()[0, 0]
    }
}
