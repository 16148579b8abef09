/// The linear assignment problem: pick one column for each row (or one row for each column
/// when there are fewer columns) so that no column is used twice and the total cost is
/// smallest (or largest). Git Re-Basin, convergent learning and SAE evaluation all reduce
/// to it.
///
/// The solver is the shortest-augmenting-path method of Jonker and Volgenant in the form
/// given by Crouse (2016, "On implementing 2D rectangular assignment algorithms"), the one
/// scipy's `linear_sum_assignment` uses: O(n²m) for n ≤ m, in Float64, with dual potentials
/// that certify optimality.
public struct LinearAssignment: Sendable {
    /// For each row, its column, or nil when the matrix has more rows than columns and the
    /// row is left out.
    public let columnForRow: [Int?]
    /// Total cost (or gain, when maximising) of the assignment.
    public let cost: Double
    /// Dual potentials u (rows) and v (columns) of the minimisation problem that was solved
    /// (the negated matrix when maximising): every reduced cost c_ij − u_i − v_j ≥ 0, equality
    /// on assigned pairs, v ≤ 0, and Σu + Σv equals the optimal cost, which proves optimality.
    public let rowPotentials: [Double]
    public let columnPotentials: [Double]

    /// The assignment as a permutation, for square problems.
    public var permutation: [Int] {
        columnForRow.map { col in
            guard let col else { preconditionFailure("LinearAssignment.permutation: the problem was not square") }
            return col
        }
    }

    /// Solves the problem for `cost` (rows × columns, any shape). Every entry must be finite.
    public init(cost matrix: Matrix<Double>, maximize: Bool = false) throws {
        if matrix.hasNonFinite {
            throw LinAlgError.invalidInput("linear assignment: the cost matrix contains NaN or infinity")
        }
        // The core works on n ≤ m and minimises; transpose and negate to get there.
        let transposed = matrix.rows > matrix.cols
        var work = transposed ? matrix.transposed() : matrix
        if maximize { work = work.map { -$0 } }
        let core = Self.solveWide(work)

        var columnForRow = [Int?](repeating: nil, count: matrix.rows)
        if transposed {
            for (j, i) in core.colForRow.enumerated() { columnForRow[i] = j }
        } else {
            for (i, j) in core.colForRow.enumerated() { columnForRow[i] = j }
        }
        self.columnForRow = columnForRow
        self.cost = columnForRow.enumerated().reduce(0.0) { acc, pair in
            guard let j = pair.element else { return acc }
            return acc + matrix[pair.offset, j]
        }
        self.rowPotentials = transposed ? core.v : core.u
        self.columnPotentials = transposed ? core.u : core.v
    }

    /// Minimum-cost assignment of every row of an n × m cost matrix, n ≤ m.
    private static func solveWide(_ c: Matrix<Double>) -> (colForRow: [Int], u: [Double], v: [Double]) {
        let (nr, nc) = (c.rows, c.cols)
        var u = [Double](repeating: 0, count: nr)
        var v = [Double](repeating: 0, count: nc)
        var colForRow = [Int](repeating: -1, count: nr)
        // The search's working arrays, touched O(n²m) times: raw memory, allocated once, so the
        // inner loop has neither bounds checks nor the boxes of captured arrays.
        let rowForCol = UnsafeMutableBufferPointer<Int>.allocate(capacity: nc)
        let path = UnsafeMutableBufferPointer<Int>.allocate(capacity: nc)
        let remaining = UnsafeMutableBufferPointer<Int>.allocate(capacity: nc)
        let shortest = UnsafeMutableBufferPointer<Double>.allocate(capacity: nc)
        let scannedCol = UnsafeMutableBufferPointer<Bool>.allocate(capacity: nc)
        let scannedRow = UnsafeMutableBufferPointer<Bool>.allocate(capacity: nr)
        defer {
            for p in [rowForCol, path, remaining] { p.deallocate() }
            shortest.deallocate()
            scannedCol.deallocate()
            scannedRow.deallocate()
        }
        rowForCol.initialize(repeating: -1)
        path.initialize(repeating: -1)

        c.withUnsafeBufferPointer { cost in
            u.withUnsafeMutableBufferPointer { u in
                v.withUnsafeMutableBufferPointer { v in
                    colForRow.withUnsafeMutableBufferPointer { colForRow in
                        for currentRow in 0..<nr {
                            // Dijkstra-like search for the shortest augmenting path from currentRow
                            // in the graph of reduced costs.
                            var minVal = 0.0
                            var numRemaining = nc
                            for it in 0..<nc { remaining[it] = nc - it - 1 }
                            scannedRow.initialize(repeating: false)
                            scannedCol.initialize(repeating: false)
                            shortest.initialize(repeating: .infinity)
                            var i = currentRow
                            var sink = -1
                            while sink == -1 {
                                var index = -1
                                var lowest = Double.infinity
                                scannedRow[i] = true
                                let row = cost.baseAddress! + i * nc
                                let offset = minVal - u[i]
                                for it in 0..<numRemaining {
                                    let j = remaining[it]
                                    let r = offset + row[j] - v[j]
                                    if r < shortest[j] { path[j] = i; shortest[j] = r }
                                    // On ties prefer a free column: it ends the search sooner.
                                    if shortest[j] < lowest || (shortest[j] == lowest && rowForCol[j] == -1) {
                                        lowest = shortest[j]
                                        index = it
                                    }
                                }
                                minVal = lowest
                                let j = remaining[index]
                                if rowForCol[j] == -1 { sink = j } else { i = rowForCol[j] }
                                scannedCol[j] = true
                                numRemaining -= 1
                                remaining[index] = remaining[numRemaining]
                            }
                            // Update the duals so reduced costs stay nonnegative, then augment along the path.
                            u[currentRow] += minVal
                            for r in 0..<nr where scannedRow[r] && r != currentRow {
                                u[r] += minVal - shortest[colForRow[r]]
                            }
                            for j in 0..<nc where scannedCol[j] { v[j] -= minVal - shortest[j] }
                            var j = sink
                            while true {
                                let r = path[j]
                                rowForCol[j] = r
                                swap(&colForRow[r], &j)
                                if r == currentRow { break }
                            }
                        }
                    }
                }
            }
        }
        return (colForRow, u, v)
    }
}
