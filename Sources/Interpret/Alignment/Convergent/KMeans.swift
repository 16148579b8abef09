import LinAlg

/// Lloyd's k-means with k-means++ seeding (Arthur & Vassilvitskii 2007), keeping the best of
/// several seeded restarts.
enum KMeans {
    /// Cluster labels of the rows of `x`, and the within-cluster sum of squares.
    static func fit(
        _ x: Matrix<Double>, k: Int, restarts: Int, rng: inout SeededRandom,
        maximumIterations: Int = 300
    ) -> (labels: [Int], inertia: Double) {
        precondition(k >= 1 && k <= x.rows, "KMeans: \(k) clusters for \(x.rows) points")
        var best: (labels: [Int], inertia: Double) = ([], .infinity)
        for _ in 0..<max(restarts, 1) {
            var centers = seed(x, k: k, rng: &rng)
            var labels = [Int](repeating: -1, count: x.rows)
            var inertia = 0.0
            for _ in 0..<maximumIterations {
                let (assigned, distances) = nearest(x, centers)
                inertia = distances.reduce(0, +)
                if assigned == labels { break }
                labels = assigned
                centers = means(x, labels: labels, k: k, distances: distances)
            }
            if inertia < best.inertia { best = (labels, inertia) }
        }
        return best
    }

    /// k-means++: each next center drawn with probability proportional to the squared
    /// distance to the nearest center so far.
    private static func seed(_ x: Matrix<Double>, k: Int, rng: inout SeededRandom) -> Matrix<Double> {
        var chosen = [rng.int(below: x.rows)]
        var d2 = nearest(x, x.rows(chosen)).distances
        while chosen.count < k {
            let total = d2.reduce(0, +)
            var next: Int
            if total > 0 {
                var target = rng.uniform() * total
                next = d2.count - 1
                for (i, d) in d2.enumerated() {
                    target -= d
                    if target < 0 { next = i; break }
                }
            } else {
                // Every point coincides with a center: any unused point will do.
                next = (0..<x.rows).first { !chosen.contains($0) } ?? 0
            }
            chosen.append(next)
            let fresh = nearest(x, x.rows([next])).distances
            d2 = zip(d2, fresh).map { min($0, $1) }
        }
        return x.rows(chosen)
    }

    /// Each point's nearest center and squared distance, from ‖x‖² − 2x·c + ‖c‖² (one gemm).
    private static func nearest(_ x: Matrix<Double>, _ centers: Matrix<Double>) -> (labels: [Int], distances: [Double]) {
        let products = matmul(x, centers, transposeB: true)
        let xn = x.rowNorms().map { $0 * $0 }, cn = centers.rowNorms().map { $0 * $0 }
        var labels = [Int](repeating: 0, count: x.rows)
        var distances = [Double](repeating: 0, count: x.rows)
        for i in 0..<x.rows {
            var bestDistance = Double.infinity
            for c in 0..<centers.rows {
                let d = max(0, xn[i] - 2 * products[i, c] + cn[c])
                if d < bestDistance { bestDistance = d; labels[i] = c }
            }
            distances[i] = bestDistance
        }
        return (labels, distances)
    }

    /// The mean of each cluster; an empty cluster restarts at the point farthest from its center.
    private static func means(_ x: Matrix<Double>, labels: [Int], k: Int, distances: [Double]) -> Matrix<Double> {
        var sums = Matrix<Double>(rows: k, cols: x.cols)
        var counts = [Int](repeating: 0, count: k)
        for (i, c) in labels.enumerated() {
            counts[c] += 1
            for j in 0..<x.cols { sums[c, j] += x[i, j] }
        }
        var farthest = distances.indices.sorted { distances[$0] > distances[$1] }.makeIterator()
        for c in 0..<k {
            if counts[c] == 0, let i = farthest.next() {
                sums.setRow(c, x.row(i))
            } else if counts[c] > 0 {
                for j in 0..<x.cols { sums[c, j] /= Double(counts[c]) }
            }
        }
        return sums
    }
}
