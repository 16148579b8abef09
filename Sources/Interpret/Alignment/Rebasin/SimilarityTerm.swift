import LinAlg

/// One term A·Bᵀ of a group's similarity, A and B a tensor of each network unfolded along the
/// group's axis, B's columns in the order the other groups' permutations put them: column c
/// of the permuted B is column `columns[c]` of the unpermuted one, which is unfolded once.
/// Between two visits of a group only those permutations change, usually in a few places once
/// the search settles, so only a few columns differ: the product is updated by
/// A[:, changed]·(ΔB[:, changed])ᵀ, a product of rank the number of changed columns, instead of
/// being formed again. (A tensor that no other group touches, such as the first layer's, never
/// changes at all.)
struct SimilarityTerm {
    private(set) var product: Matrix<Double>
    private(set) var columns: [Int]
    private let a: Matrix<Double>
    private let b: Matrix<Double>

    /// `b` unpermuted; `columns` as above.
    init(_ a: Matrix<Double>, _ b: Matrix<Double>, columns: [Int]) {
        product = matmul(a, b.columns(columns), transposeB: true)
        self.a = a
        self.b = b
        self.columns = columns
    }

    mutating func update(columns new: [Int]) {
        let changed = new.indices.filter { new[$0] != columns[$0] }
        // Past a third of the columns the update costs about what forming the product again does.
        if 3 * changed.count > 2 * columns.count {
            self = SimilarityTerm(a, b, columns: new)
            return
        }
        if !changed.isEmpty {
            var delta = b.columns(changed.map { new[$0] })
            delta.add(b.columns(changed.map { columns[$0] }), scaledBy: -1)
            gemm(into: &product, a.columns(changed), delta, transposeB: true, beta: 1)
        }
        columns = new
    }
}
