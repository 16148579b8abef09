import LinAlg

/// One term A·Bᵀ of a group's similarity, A and B a tensor of each network unfolded along the
/// group's axis, with B's other axes permuted by the other groups. Between two visits of a
/// group only those permutations change, usually in a few places once the search settles, so
/// only a few columns of B differ: the product is updated by A[:, changed]·(ΔB[:, changed])ᵀ, a
/// product of rank the number of changed columns, instead of being formed again. (A tensor
/// that no other group touches, such as the first layer's, never changes at all.)
struct SimilarityTerm {
    private(set) var product: Matrix<Double>
    /// The permutations of the other groups that B was permuted by.
    private(set) var key: [[Int]]
    private var b: Matrix<Double>

    init(_ a: Matrix<Double>, _ b: Matrix<Double>, key: [[Int]]) {
        product = matmul(a, b, transposeB: true)
        self.b = b
        self.key = key
    }

    mutating func update(_ a: Matrix<Double>, _ newB: Matrix<Double>, key: [[Int]]) {
        var differs = [Bool](repeating: false, count: b.cols)
        b.withUnsafeBufferPointer { old in
            newB.withUnsafeBufferPointer { new in
                for i in 0..<old.count where old[i] != new[i] { differs[i % b.cols] = true }
            }
        }
        let changed = differs.indices.filter { differs[$0] }
        // Past a third of the columns the update costs about what forming the product again does.
        if 3 * changed.count > 2 * b.cols {
            self = SimilarityTerm(a, newB, key: key)
            return
        }
        if !changed.isEmpty {
            var delta = newB.columns(changed)
            delta.add(b.columns(changed), scaledBy: -1)
            gemm(into: &product, a.columns(changed), delta, transposeB: true, beta: 1)
        }
        b = newB
        self.key = key
    }
}
