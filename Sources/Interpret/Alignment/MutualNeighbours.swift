import LinAlg

/// Each sample's k nearest neighbours among the others by cosine similarity: one side of the
/// mutual k-nearest-neighbour alignment of Huh, Cheung, Wang & Isola (2024), "The Platonic
/// Representation Hypothesis", whose reference code ranks the inner products of L2-normalised
/// features with the diagonal excluded. Ties are broken arbitrarily, as there.
public struct NearestNeighbours: Sendable {
    public let k: Int
    public let samples: Int
    /// neighbours[i * k ..< (i + 1) * k]: the samples most similar to sample i, in no order.
    let neighbours: [Int]

    /// Rows of similarities formed at once: bounds the memory to block × n.
    static let block = 512

    /// The neighbours of every row of `x`; `what` names x in errors.
    public init<T: BLASScalar>(_ x: Matrix<T>, k: Int, what: String) throws {
        let n = x.rows
        guard k >= 1, k < n else {
            throw InterpretError("mutual k-NN over \(n) samples of \(what) needs 1 ≤ k < \(n), got k = \(k)")
        }
        guard !x.hasNonFinite else { throw InterpretError("mutual k-NN: \(what) contains NaN or infinity") }
        var unit = x.converted(to: Double.self)
        let d = x.cols
        unit.withUnsafeMutableBufferPointer { p in
            for i in 0..<n {
                let row = p.baseAddress! + i * d
                var s = 0.0
                for c in 0..<d { s += row[c] * row[c] }
                // F.normalize's floor: an all-zero sample stays zero, similar to nothing.
                let scale = 1 / max(s.squareRoot(), 1e-12)
                for c in 0..<d { row[c] *= scale }
            }
        }
        var found = [Int](repeating: 0, count: n * k)
        for start in stride(from: 0, to: n, by: Self.block) {
            let rows = start..<min(n, start + Self.block)
            var similarity = matmul(unit.rows(in: rows), unit, transposeB: true)
            similarity.withUnsafeMutableBufferPointer { s in
                for (r, i) in rows.enumerated() {
                    let row = s.baseAddress! + r * n
                    row[i] = -.infinity
                    let best = TopKSelection.largest(UnsafePointer(row), count: n, k: k)
                    for (t, j) in best.enumerated() { found[i * k + t] = j }
                }
            }
        }
        self.k = k
        samples = n
        neighbours = found
    }

    /// The mutual k-NN alignment with `other` (the same samples seen by another model): the
    /// mean over samples of |N_self(i) ∩ N_other(i)| / k. With `order`, other's samples are
    /// taken in that order (sample i of other is its sample order[i]), which is what the
    /// permutation null needs: neighbours are relabelled, not searched again.
    public func alignment(with other: NearestNeighbours, order: [Int]? = nil) -> Double {
        precondition(other.samples == samples && other.k == k, "NearestNeighbours.alignment: different samples or k")
        var relabel = Array(0..<samples)
        if let order { for (i, o) in order.enumerated() { relabel[o] = i } }
        var mark = [Int](repeating: -1, count: samples)
        var shared = 0
        for i in 0..<samples {
            for t in 0..<k { mark[neighbours[i * k + t]] = i }
            let source = order?[i] ?? i
            for t in 0..<k where mark[relabel[other.neighbours[source * k + t]]] == i { shared += 1 }
        }
        return Double(shared) / Double(samples * k)
    }
}
