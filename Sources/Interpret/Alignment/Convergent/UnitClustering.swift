import LinAlg

/// A group of units of A and B that correlate with each other more than with the rest.
public struct UnitCluster: Codable, Equatable, Sendable {
    public var unitsA: [Int]
    public var unitsB: [Int]
    /// Mean |correlation| over the distinct pairs of units in the cluster (0 for a single unit).
    public var meanAbsoluteCorrelation: Double
}

/// Many-to-many groups of units (Li et al. 2016, §5): spectral clustering of the units of both
/// layers together on the joint correlation matrix [[C_AA, C_AB], [C_BA, C_BB]], with |r| as
/// affinity (a unit and its negation carry the same signal). Constant units are left out.
public struct UnitClustering: Codable, Equatable, Sendable {
    /// Largest first.
    public var clusters: [UnitCluster]
    /// Leading eigenvalues of the normalised affinity, descending.
    public var eigenvalues: [Double]
    public var chosenByEigengap: Bool
    /// Clusters that hold units of both layers.
    public var sharedClusters: Int { clusters.filter { !$0.unitsA.isEmpty && !$0.unitsB.isEmpty }.count }

    /// Clusters the live units (columns) of `a` and `b`, observed on the same rows.
    public static func compute(
        _ a: Matrix<Double>, _ b: Matrix<Double>, liveA: [Int], liveB: [Int],
        clusters: Int?, seed: UInt64 = 0
    ) throws -> UnitClustering {
        guard a.rows == b.rows else {
            throw InterpretError("unit clustering: \(a.rows) observations of A's units against \(b.rows) of B's")
        }
        let joint = Matrix.hstack([a.columns(liveA), b.columns(liveB)]).correlation()
        let affinity = joint.map { Swift.abs($0) }
        let result = try SpectralClustering.cluster(affinity: affinity, clusters: clusters, seed: seed)
        var members = [[Int]](repeating: [], count: result.clusterCount)
        for (node, label) in result.labels.enumerated() { members[label].append(node) }
        let list = members.filter { !$0.isEmpty }.map { nodes -> UnitCluster in
            var sum = 0.0
            for (x, i) in nodes.enumerated() { for j in nodes[(x + 1)...] { sum += affinity[i, j] } }
            let pairs = nodes.count * (nodes.count - 1) / 2
            return UnitCluster(
                unitsA: nodes.filter { $0 < liveA.count }.map { liveA[$0] },
                unitsB: nodes.filter { $0 >= liveA.count }.map { liveB[$0 - liveA.count] },
                meanAbsoluteCorrelation: pairs > 0 ? sum / Double(pairs) : 0)
        }
        let sorted = list.enumerated().sorted { l, r in
            let (sl, sr) = (l.element.unitsA.count + l.element.unitsB.count, r.element.unitsA.count + r.element.unitsB.count)
            return sl != sr ? sl > sr : l.offset < r.offset
        }.map(\.element)
        return UnitClustering(clusters: sorted, eigenvalues: result.eigenvalues, chosenByEigengap: result.chosenByEigengap)
    }
}
