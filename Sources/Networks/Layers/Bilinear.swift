import LinAlg

/// g(x) = (L x + b_l) ⊙ (R x + b_r): the bilinear layer of Pearce et al. (2024), whose
/// every output is a quadratic form in x (docs/methods.md).
public struct Bilinear<T: BLASScalar>: Sendable {
    public var left: Matrix<T>
    public var right: Matrix<T>
    public var leftBias: [T]?
    public var rightBias: [T]?

    public init(left: Matrix<T>, right: Matrix<T>, leftBias: [T]? = nil, rightBias: [T]? = nil) {
        precondition(
            left.rows == right.rows && left.cols == right.cols,
            "Bilinear: left is \(left.shapeDescription), right is \(right.shapeDescription)")
        self.left = left
        self.right = right
        self.leftBias = leftBias
        self.rightBias = rightBias
    }

    public var inFeatures: Int { left.cols }
    public var outFeatures: Int { left.rows }

    /// The two halves before they are multiplied: L x + b_l and R x + b_r.
    public func halves(_ x: Matrix<T>) -> (left: Matrix<T>, right: Matrix<T>) {
        var l = matmul(x, left, transposeB: true)
        var r = matmul(x, right, transposeB: true)
        if let leftBias { l.addToEachRow(leftBias) }
        if let rightBias { r.addToEachRow(rightBias) }
        return (l, r)
    }

    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        let (l, r) = halves(x)
        return l.hadamard(r)
    }

    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        let (l, r) = halves(x)
        let gl = g.hadamard(r)  // dL/d(Lx + b_l)
        let gr = g.hadamard(l)  // dL/d(Rx + b_r)
        var gx = matmul(gl, left)
        gemm(into: &gx, gr, right, beta: 1)
        var grads = [matmul(gl, x, transposeA: true).storage, matmul(gr, x, transposeA: true).storage]
        if leftBias != nil { grads.append(gl.columnSums()) }
        if rightBias != nil { grads.append(gr.columnSums()) }
        return (gx, grads)
    }

    var parameters: [(role: String, shape: [Int], values: [T])] {
        var p: [(role: String, shape: [Int], values: [T])] = [
            ("left", [left.rows, left.cols], left.storage), ("right", [right.rows, right.cols], right.storage)
        ]
        if let leftBias { p.append(("left_bias", [leftBias.count], leftBias)) }
        if let rightBias { p.append(("right_bias", [rightBias.count], rightBias)) }
        return p
    }

    mutating func setParameters(_ values: [[T]]) {
        left.replaceStorage(values[0])
        right.replaceStorage(values[1])
        var next = 2
        if leftBias != nil { leftBias = values[next]; next += 1 }
        if rightBias != nil { rightBias = values[next] }
    }
}
