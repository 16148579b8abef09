import LinAlg

/// y = W x + b, with W stored [out, in] as in PyTorch.
public struct Linear<T: BLASScalar>: Sendable {
    public var weight: Matrix<T>
    public var bias: [T]?

    public init(weight: Matrix<T>, bias: [T]?) {
        precondition(bias == nil || bias!.count == weight.rows, "Linear: bias of \(bias!.count) for \(weight.rows) outputs")
        self.weight = weight
        self.bias = bias
    }

    public var inFeatures: Int { weight.cols }
    public var outFeatures: Int { weight.rows }

    /// A batch (one sample per row) through the layer.
    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        var y = matmul(x, weight, transposeB: true)
        if let bias { y.addToEachRow(bias) }
        return y
    }

    /// Gradients with respect to the input, W and b, given dL/dy for the batch.
    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        let gx = matmul(g, weight)
        let gw = matmul(g, x, transposeA: true)
        return (gx, bias == nil ? [gw.storage] : [gw.storage, g.columnSums()])
    }

    var parameters: [(role: String, shape: [Int], values: [T])] {
        var p: [(role: String, shape: [Int], values: [T])] = [("weight", [weight.rows, weight.cols], weight.storage)]
        if let bias { p.append(("bias", [bias.count], bias)) }
        return p
    }

    mutating func setParameters(_ values: [[T]]) {
        weight.replaceStorage(values[0])
        if bias != nil { bias = values[1] }
    }
}
