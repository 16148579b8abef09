import LinAlg

/// The Pearson correlation of every unit of one layer with every unit of another over the same
/// samples: the between-network correlation matrix of Li et al. (2016, "Convergent Learning: Do
/// different neural networks learn the same representations?").
public struct UnitCorrelation: Codable, Equatable, Sendable {
    public var layerA: String
    public var layerB: String
    /// Rows the correlations were computed over: samples, or samples × positions for channels.
    public var observations: Int
    /// matrix[i][j] = corr(unit i of A, unit j of B); 0 in the row or column of a constant unit.
    public var matrix: [[Double]]
    /// Units that never change over the data (dead ReLUs, say): they have no correlation and
    /// take no part in matching or clustering.
    public var constantUnitsA: [Int]
    public var constantUnitsB: [Int]

    /// Correlates the columns of `a` with those of `b` (same observations as rows).
    public init(_ a: Matrix<Double>, _ b: Matrix<Double>, layerA: String, layerB: String) throws {
        guard a.rows == b.rows else {
            throw InterpretError("unit correlation: '\(layerA)' has \(a.rows) observations, '\(layerB)' has \(b.rows)")
        }
        guard a.rows >= 3 else { throw InterpretError("unit correlation needs at least 3 samples, got \(a.rows)") }
        for (m, name) in [(a, layerA), (b, layerB)] where m.hasNonFinite {
            throw InterpretError("unit correlation: '\(name)' contains NaN or infinity")
        }
        var c = crossCorrelation(a, b)
        constantUnitsA = a.constantColumns()
        constantUnitsB = b.constantColumns()
        // Exactly 0, not the rounding noise of centring a constant column.
        for i in constantUnitsA { for j in 0..<c.cols { c[i, j] = 0 } }
        for j in constantUnitsB { for i in 0..<c.rows { c[i, j] = 0 } }
        self.layerA = layerA
        self.layerB = layerB
        observations = a.rows
        matrix = (0..<c.rows).map { Array(c.row($0)) }
        let liveA = a.cols - constantUnitsA.count, liveB = b.cols - constantUnitsB.count
        guard liveA > 0, liveB > 0 else {
            throw InterpretError("unit correlation: every unit of '\(liveA == 0 ? layerA : layerB)' is constant over the data")
        }
    }

    public var unitsA: Int { matrix.count }
    public var unitsB: Int { matrix.first?.count ?? 0 }
    public var liveUnitsA: [Int] { Self.complement(constantUnitsA, unitsA) }
    public var liveUnitsB: [Int] { Self.complement(constantUnitsB, unitsB) }

    /// The matrix with B's units (columns) in `order`: the aligned view when the order comes
    /// from a matching.
    public func reordered(columns order: [Int]) -> [[Double]] {
        matrix.map { row in order.map { row[$0] } }
    }

    /// The correlations among live units as a Float64 matrix (rows: live units of A).
    func liveMatrix() -> (matrix: Matrix<Double>, rows: [Int], columns: [Int]) {
        let rows = liveUnitsA, columns = liveUnitsB
        return (Matrix(rows: rows.count, cols: columns.count) { matrix[rows[$0]][columns[$1]] }, rows, columns)
    }

    static func complement(_ excluded: [Int], _ count: Int) -> [Int] {
        let set = Set(excluded)
        return (0..<count).filter { !set.contains($0) }
    }
}
