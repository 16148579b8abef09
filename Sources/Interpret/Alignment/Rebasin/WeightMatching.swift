import LinAlg

/// Permutations of B's hidden units that bring its weights closest to A's: maximise
/// Σ ⟨θ_A, π(θ_B)⟩ over all groups at once by coordinate descent (Git Re-Basin, Algorithm 1).
/// Each step fixes every permutation but one, whose best value is then a linear assignment
/// on Σ_axes W_A W_Bᵀ (both unfolded along the axis, B's other axes already permuted). Groups
/// are visited in a fresh random order every sweep; the search stops when a sweep gains nothing.
public enum WeightMatching {
    public struct Result: Sendable {
        public var permutations: [[Int]]
        public var sweeps: Int
    }

    /// `a` and `b` are the tensors of two networks of one architecture, in `parameterSlots` order.
    public static func run(
        _ spec: PermutationSpec, a: [[Float]], b: [[Float]], seed: UInt64 = 0,
        maximumSweeps: Int = 100, progress: ProgressHandler? = nil
    ) throws -> Result {
        var permutations = spec.groups.map { Array(0..<$0.size) }
        // For each tensor, the (group, axis) pairs that touch it: at most its input and output.
        var axesOfSlot = [[(group: Int, axis: PermutationSpec.Axis)]](repeating: [], count: a.count)
        for (g, group) in spec.groups.enumerated() {
            for axis in group.axes { axesOfSlot[axis.slot].append((g, axis)) }
        }
        // Every tensor unfolded along each of its groups' axes, once: A's side never changes,
        // and B's changes only by the order of its columns.
        let unfoldedA = spec.groups.map { group in
            group.axes.map { PermutationSpec.unfold(a[$0.slot], along: $0, units: group.size) }
        }
        let unfoldedB = spec.groups.map { group in
            group.axes.map { PermutationSpec.unfold(b[$0.slot], along: $0, units: group.size) }
        }
        var rng = SeededRandom(seed: seed)
        // One term of a group's similarity per axis, kept between steps and updated only where
        // the permutations it depends on moved its columns (see SimilarityTerm).
        var terms: [[SimilarityTerm?]] = spec.groups.map { [SimilarityTerm?](repeating: nil, count: $0.axes.count) }
        var sweeps = 0
        while sweeps < maximumSweeps {
            sweeps += 1
            var improved = false
            for g in rng.permutation(spec.groups.count) {
                let n = spec.groups[g].size
                var similarity = Matrix<Double>(rows: n, cols: n)
                for (k, axis) in spec.groups[g].axes.enumerated() {
                    let others = axesOfSlot[axis.slot].filter { $0.group != g }.map { ($0.axis, permutations[$0.group]) }
                    let columns = axis.unfoldedColumns(units: n, permutedBy: others)
                    if terms[g][k] == nil {
                        terms[g][k] = SimilarityTerm(unfoldedA[g][k], unfoldedB[g][k], columns: columns)
                    } else if terms[g][k]!.columns != columns {
                        terms[g][k]!.update(columns: columns)
                    }
                    similarity.add(terms[g][k]!.product)
                }
                let assignment = try LinearAssignment(cost: similarity, maximize: true).permutation
                let before = (0..<n).reduce(0.0) { $0 + similarity[$1, permutations[g][$1]] }
                let after = (0..<n).reduce(0.0) { $0 + similarity[$1, assignment[$1]] }
                if after > before + 1e-12 * max(1, abs(before)) { improved = true }
                permutations[g] = assignment
            }
            if let progress, !progress(Double(sweeps) / Double(maximumSweeps), "weight matching sweep \(sweeps)") {
                throw CancellationError()
            }
            if !improved { break }
        }
        return Result(permutations: permutations, sweeps: sweeps)
    }
}
