import LinAlg

/// A unit of A and its partner in B.
public struct UnitPair: Codable, Equatable, Sendable {
    public var unitA: Int
    public var unitB: Int
    public var correlation: Double
}

/// Units of A paired with units of B by correlation (Li et al. 2016, §3): one-to-one by a
/// maximum-weight bipartite matching, or each unit with its best partner (semi-matching, where
/// a unit of B may be chosen many times). Constant units take no part.
public struct UnitMatching: Codable, Equatable, Sendable {
    public enum Kind: String, Codable, Sendable { case bipartite, semi }
    public var kind: Kind
    /// One pair per live unit of A that has a partner, in A's unit order.
    public var pairs: [UnitPair]
    /// The matched correlations from highest to lowest: the curve of Li et al.'s Figure 3.
    public var sortedCorrelations: [Double]
    public var meanCorrelation: Double
    /// How many different units of B are partners (fewer than the pairs when semi-matching
    /// picks a unit twice).
    public var distinctUnitsB: Int
    /// B's units in the order that puts each unit of A's partner on the diagonal (column i
    /// holds the partner of A's unit i): the column order of the aligned correlation matrix.
    /// The places of A's units with no partner of their own (constant units, or a partner
    /// semi-matching already placed) take the units no one picked, in order; any left over
    /// come last.
    public var columnOrder: [Int]
    /// The mean correlation of the same matching with B's samples shuffled, when asked for:
    /// matching picks the largest of many correlations, so even unrelated units have a mean
    /// well above 0, and this says how far above.
    public var null: PermutationNull?

    init(kind: Kind, pairs: [UnitPair], unitsA: Int, unitsB: Int) {
        self.kind = kind
        self.pairs = pairs
        sortedCorrelations = pairs.map(\.correlation).sorted(by: >)
        meanCorrelation = pairs.isEmpty ? 0 : sortedCorrelations.reduce(0, +) / Double(pairs.count)
        var seen = Set<Int>()
        var places = [Int?](repeating: nil, count: unitsA)
        for pair in pairs where seen.insert(pair.unitB).inserted { places[pair.unitA] = pair.unitB }
        distinctUnitsB = seen.count
        var unpicked = (0..<unitsB).filter { !seen.contains($0) }[...]
        columnOrder = places.compactMap { $0 ?? unpicked.popFirst() } + unpicked
    }

    /// The one-to-one matching of largest total correlation (a linear assignment; with unequal
    /// widths the smaller layer's units are all matched).
    public static func bipartite(_ c: UnitCorrelation) throws -> UnitMatching {
        let (m, rows, columns) = c.liveMatrix()
        let assignment = try LinearAssignment(cost: m, maximize: true)
        let pairs = assignment.columnForRow.enumerated().compactMap { i, j in
            j.map { UnitPair(unitA: rows[i], unitB: columns[$0], correlation: m[i, $0]) }
        }
        return UnitMatching(kind: .bipartite, pairs: pairs, unitsA: c.unitsA, unitsB: c.unitsB)
    }

    /// Each live unit of A with the live unit of B it correlates with most.
    public static func semi(_ c: UnitCorrelation) -> UnitMatching {
        let (m, rows, columns) = c.liveMatrix()
        let best = m.rowArgmax()
        let pairs = rows.indices.map { UnitPair(unitA: rows[$0], unitB: columns[best[$0]], correlation: m[$0, best[$0]]) }
        return UnitMatching(kind: .semi, pairs: pairs, unitsA: c.unitsA, unitsB: c.unitsB)
    }
}
