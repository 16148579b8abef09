import LinAlg

/// torch's BatchNorm1d/BatchNorm2d at evaluation: each channel c of every sample becomes
/// y = γ_c (x − μ_c) / √(σ²_c + ε) + β_c with the running statistics μ, σ². A batchnorm that
/// follows a linear or convolution layer is folded into it at load; this node holds the others
/// (after an add, or on the input). Its input is C channels of P values each (P = H·W for an
/// image, 1 for features), and it is the per-column affine map x·scale + shift on a row.
public struct BatchNorm<T: BLASScalar>: Sendable {
    public var weight: [T]
    public var bias: [T]
    public var runningMean: [T]
    public var runningVar: [T]
    public let eps: Double
    /// Values per channel in a sample.
    public let positions: Int

    public init(weight: [T], bias: [T], runningMean: [T], runningVar: [T], eps: Double, positions: Int) {
        let c = weight.count
        precondition(
            bias.count == c && runningMean.count == c && runningVar.count == c,
            "BatchNorm: weight, bias, running_mean and running_var must have one value per channel")
        self.weight = weight
        self.bias = bias
        self.runningMean = runningMean
        self.runningVar = runningVar
        self.eps = eps
        self.positions = positions
    }

    public var channels: Int { weight.count }

    /// γ / √(σ² + ε) per channel, in Float64.
    public var channelScale: [Double] {
        (0..<channels).map { Double(weight[$0]) / (Double(runningVar[$0]) + eps).squareRoot() }
    }

    /// β − μ·scale per channel.
    public var channelShift: [Double] {
        let scale = channelScale
        return (0..<channels).map { Double(bias[$0]) - Double(runningMean[$0]) * scale[$0] }
    }

    /// The scale of every value of a sample: each channel's repeated over its positions.
    public var columnScale: [T] { perColumn(channelScale) }

    /// The shift of every value of a sample.
    public var columnShift: [T] { perColumn(channelShift) }

    private func perColumn(_ values: [Double]) -> [T] {
        values.flatMap { v in [T](repeating: T(v), count: positions) }
    }

    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        var y = x
        y.scaleColumns(columnScale)
        y.addToEachRow(columnShift)
        return y
    }

    /// dx = g·scale; dγ_c = Σ g (x − μ_c) / √(σ²_c + ε), dβ_c = Σ g over samples and positions.
    /// The running statistics are not learned (zero gradient): Loupe trains a batchnorm node in
    /// evaluation mode.
    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        var gx = g
        gx.scaleColumns(columnScale)
        let gSums = g.columnSums(), gxSums = g.hadamard(x).columnSums()
        var gWeight = [T](repeating: 0, count: channels), gBias = gWeight
        for c in 0..<channels {
            var sumG = 0.0, sumGX = 0.0
            for p in (c * positions)..<((c + 1) * positions) {
                sumG += Double(gSums[p])
                sumGX += Double(gxSums[p])
            }
            let inverseStd = 1 / (Double(runningVar[c]) + eps).squareRoot()
            gWeight[c] = T((sumGX - Double(runningMean[c]) * sumG) * inverseStd)
            gBias[c] = T(sumG)
        }
        let still = [T](repeating: 0, count: channels)
        return (gx, [gWeight, gBias, still, still])
    }

    var parameters: [(role: String, shape: [Int], values: [T])] {
        [
            ("weight", [channels], weight), ("bias", [channels], bias),
            ("running_mean", [channels], runningMean), ("running_var", [channels], runningVar)
        ]
    }

    /// Replaces all four tensors (a permutation moves the running statistics with γ and β).
    mutating func setParameters(_ values: [[T]]) {
        weight = values[0]
        bias = values[1]
        runningMean = values[2]
        runningVar = values[3]
    }

    func converted<U: BLASScalar>(to: U.Type = U.self) -> BatchNorm<U> {
        BatchNorm<U>(
            weight: weight.map { U($0) }, bias: bias.map { U($0) }, runningMean: runningMean.map { U($0) },
            runningVar: runningVar.map { U($0) }, eps: eps, positions: positions)
    }
}
