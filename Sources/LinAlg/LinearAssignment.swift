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
                        var freeRows = Array(0..<nr)
                        if nr == nc {
                            freeRows = reduce(cost, n: nr, v: v, colForRow: colForRow, rowForCol: rowForCol)
                            // Each assigned row's column is one of its cheapest in c − v: with u its
                            // reduced cost there, every reduced cost is ≥ 0 and 0 on the assignment,
                            // which is all the searches below need.
                            for i in 0..<nr where colForRow[i] >= 0 { u[i] = cost[i * nc + colForRow[i]] - v[colForRow[i]] }
                        }
                        for currentRow in freeRows {
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
        // The start may leave positive column potentials; on a square problem shifting every u
        // up and every v down by the same amount changes no reduced cost and not Σu + Σv, and
        // gives the v ≤ 0 the certificate documents.
        if let shift = v.max(), shift > 0, nr == nc {
            for j in 0..<nc { v[j] -= shift }
            for i in 0..<nr { u[i] += shift }
        }
        return (colForRow, u, v)
    }

    /// Jonker and Volgenant's (1987) start for a square problem: column reduction, reduction
    /// transfer and two passes of augmenting row reduction. It sets the column potentials `v`
    /// and assigns most rows, each to a column of least c − v in its row; the rows it leaves free
    /// are returned for the shortest-path searches, which then have far fewer and shorter paths
    /// to find. Row reduction is an auction with no minimum bid, so on near ties it could bid for
    /// a long time: it stops after 4n bids and leaves the rest to the searches, which are exact.
    private static func reduce(
        _ cost: UnsafeBufferPointer<Double>, n: Int, v: UnsafeMutableBufferPointer<Double>,
        colForRow: UnsafeMutableBufferPointer<Int>, rowForCol: UnsafeMutableBufferPointer<Int>
    ) -> [Int] {
        // Column reduction: each column's potential is its least cost; a row that is the least of
        // one column takes it (of several, the column with the least cost).
        // The least of each column (its first row on ties), found row by row: a column-wise scan
        // of the row-major matrix would stride across memory.
        var leastRow = [Int](repeating: 0, count: n)
        for j in 0..<n { v[j] = cost[j] }
        for i in stride(from: 1, to: n, by: 1) {
            let row = cost.baseAddress! + i * n
            for j in 0..<n where row[j] < v[j] {
                v[j] = row[j]
                leastRow[j] = i
            }
        }
        var matches = [Int](repeating: 0, count: n)
        for j in stride(from: n - 1, through: 0, by: -1) {
            let best = leastRow[j]
            matches[best] += 1
            if matches[best] == 1 {
                colForRow[best] = j
                rowForCol[j] = best
            } else if v[j] < v[colForRow[best]] {
                rowForCol[colForRow[best]] = -1
                colForRow[best] = j
                rowForCol[j] = best
            }
        }
        // Reduction transfer: a row matched once lowers its column's potential until its
        // second-best column is as cheap, which leaves other rows more room.
        var free: [Int] = []
        for i in 0..<n {
            if matches[i] == 0 {
                free.append(i)
            } else if matches[i] == 1 {
                let j1 = colForRow[i]
                var least = Double.infinity
                for j in 0..<n where j != j1 { least = min(least, cost[i * n + j] - v[j]) }
                if least.isFinite { v[j1] -= least }
            }
        }
        // Augmenting row reduction: each free row takes its cheapest column, lowering its
        // potential to the second-cheapest, and the row it displaces bids next.
        var bids = 0
        for _ in 0..<2 {
            var k = 0
            let pending = free
            free = []
            var queue = pending
            while k < queue.count, bids < 4 * n {
                let i = queue[k]
                k += 1
                bids += 1
                var (least, second) = (cost[i * n] - v[0], Double.infinity)
                var (j1, j2) = (0, -1)
                for j in 1..<n {
                    let h = cost[i * n + j] - v[j]
                    if h < second {
                        if h >= least {
                            second = h
                            j2 = j
                        } else {
                            (second, least, j2, j1) = (least, h, j1, j)
                        }
                    }
                }
                var displaced = rowForCol[j1]
                if least < second {
                    v[j1] -= second - least
                } else if displaced >= 0, j2 >= 0 {
                    j1 = j2
                    displaced = rowForCol[j2]
                }
                colForRow[i] = j1
                rowForCol[j1] = i
                if displaced >= 0 {
                    colForRow[displaced] = -1
                    if least < second {
                        queue.insert(displaced, at: k)  // it bids again at once
                    } else {
                        free.append(displaced)
                    }
                }
            }
            free += queue[k...]
        }
        return free
    }
}
