import LinAlg

/// Normalised spectral clustering (Ng, Jordan & Weiss 2002) of a symmetric nonnegative
/// affinity matrix: the leading eigenvectors of D^{-1/2} A D^{-1/2} (A with a zero diagonal),
/// rows scaled to unit length, grouped by k-means.
public enum SpectralClustering {
    public struct Result: Sendable {
        /// The cluster of each node, 0..<clusterCount.
        public var labels: [Int]
        public var clusterCount: Int
        /// The largest eigenvalues of the normalised affinity, descending (1 first): a gap after
        /// the k-th suggests k clusters.
        public var eigenvalues: [Double]
        public var chosenByEigengap: Bool
    }

    /// Clusters the nodes of `affinity` into `clusters` groups, or as many as the largest gap
    /// between consecutive eigenvalues suggests (2 to `maximumClusters`) when nil.
    public static func cluster(
        affinity: Matrix<Double>, clusters: Int?, maximumClusters: Int = 50,
        seed: UInt64 = 0, restarts: Int = 10
    ) throws -> Result {
        let n = affinity.rows
        precondition(affinity.cols == n, "SpectralClustering: affinity is \(affinity.shapeDescription), not square")
        guard n >= 2 else { throw InterpretError("spectral clustering needs at least 2 units, got \(n)") }
        if let k = clusters, !(1...n).contains(k) {
            throw InterpretError("spectral clustering: \(k) clusters asked for \(n) units")
        }
        guard !affinity.storage.contains(where: { $0 < 0 || !$0.isFinite }) else {
            throw InterpretError("spectral clustering needs a finite, nonnegative affinity matrix")
        }
        var a = affinity
        for i in 0..<n { a[i, i] = 0 }
        let degrees = a.rowSums()
        // An isolated node (degree 0) keeps a zero row rather than dividing by zero.
        let inverseRoot = degrees.map { $0 > 0 ? 1 / $0.squareRoot() : 0 }
        let normalized = Matrix(rows: n, cols: n) { i, j in inverseRoot[i] * a[i, j] * inverseRoot[j] }
        let eigen = try SymmetricEigen(normalized)
        let descending = eigen.descendingOrder
        let shown = min(n, maximumClusters + 1)
        let leading = descending.prefix(shown).map { eigen.values[$0] }
        let k = clusters ?? eigengap(leading, maximum: min(maximumClusters, n - 1))

        var embedding = eigen.vectors.columns(Array(descending.prefix(k)))
        let norms = embedding.rowNorms()
        for i in 0..<n where norms[i] > 0 {
            for j in 0..<k { embedding[i, j] /= norms[i] }
        }
        var rng = SeededRandom(seed: seed)
        let labels = KMeans.fit(embedding, k: k, restarts: restarts, rng: &rng).labels
        return Result(labels: relabelled(labels), clusterCount: k, eigenvalues: leading, chosenByEigengap: clusters == nil)
    }

    /// The k in 2…maximum after which the descending eigenvalues drop most.
    static func eigengap(_ values: [Double], maximum: Int) -> Int {
        guard maximum >= 2, values.count > 2 else { return min(2, max(values.count, 1)) }
        let upper = min(maximum, values.count - 1)
        func gap(after k: Int) -> Double { values[k - 1] - values[k] }
        return (2...upper).max { gap(after: $0) < gap(after: $1) } ?? 2
    }

    /// Labels renumbered in order of first appearance, so equal clusterings read the same.
    static func relabelled(_ labels: [Int]) -> [Int] {
        var map: [Int: Int] = [:]
        return labels.map { l in
            if let m = map[l] { return m }
            map[l] = map.count
            return map[l]!
        }
    }
}
