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
    /// Normalise with the batch's own statistics (training, torch's `model.train()`) instead of
    /// the running ones.
    public var usesBatchStatistics = false

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
        if usesBatchStatistics {
            let (mean, variance) = batchStatistics(x)
            let scale = (0..<channels).map { Double(weight[$0]) / (variance[$0] + eps).squareRoot() }
            y.scaleColumns(perColumn(scale))
            y.addToEachRow(perColumn((0..<channels).map { Double(bias[$0]) - mean[$0] * scale[$0] }))
        } else {
            y.scaleColumns(columnScale)
            y.addToEachRow(columnShift)
        }
        return y
    }

    /// Each channel's mean and biased variance over a batch (every row and position), in Float64.
    public func batchStatistics(_ x: Matrix<T>) -> (mean: [Double], variance: [Double]) {
        x.channelStatistics(channels: channels, positions: positions)
    }

    /// Moves the running statistics towards a batch's as torch does: r ← (1 − m)·r + m·batch,
    /// the batch's variance unbiased (× n/(n − 1), n its values per channel).
    public mutating func updateRunningStatistics(from x: Matrix<T>, momentum: Double) {
        let (mean, variance) = batchStatistics(x)
        let n = Double(x.rows * positions)
        let unbiased = n > 1 ? n / (n - 1) : 1
        for c in 0..<channels {
            runningMean[c] = T((1 - momentum) * Double(runningMean[c]) + momentum * mean[c])
            runningVar[c] = T((1 - momentum) * Double(runningVar[c]) + momentum * variance[c] * unbiased)
        }
    }

    /// With the running statistics: dx = g·scale; dγ_c = Σ g (x − μ_c) / √(σ²_c + ε),
    /// dβ_c = Σ g over samples and positions. With the batch's (μ_B, σ²_B, over m values per
    /// channel), which depend on x too: x̂ = (x − μ_B)/σ_B and
    /// dx = γ/σ_B · (g − Σg/m − x̂ · Σ(g x̂)/m), written as g·a + x·b + c per column.
    /// The running statistics are not learned (zero gradient; `updateRunningStatistics` moves them).
    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        let (mean, variance) =
            usesBatchStatistics ? batchStatistics(x) : (runningMean.map(Double.init), runningVar.map(Double.init))
        let gSums = g.channelSums(channels: channels, positions: positions)
        let gxSums = g.hadamard(x).channelSums(channels: channels, positions: positions)
        let m = Double(x.rows * positions)
        var gWeight = [T](repeating: 0, count: channels), gBias = gWeight
        var a = [Double](repeating: 0, count: channels), b = a, c = a
        for ch in 0..<channels {
            let (sumG, sumGX) = (gSums[ch], gxSums[ch])
            let inverseStd = 1 / (variance[ch] + eps).squareRoot()
            let sumGNormalized = (sumGX - mean[ch] * sumG) * inverseStd
            gWeight[ch] = T(sumGNormalized)
            gBias[ch] = T(sumG)
            let gamma = Double(weight[ch])
            a[ch] = gamma * inverseStd
            if usesBatchStatistics {
                b[ch] = -gamma * inverseStd * inverseStd * sumGNormalized / m
                c[ch] = gamma * inverseStd * (-sumG / m + mean[ch] * inverseStd * sumGNormalized / m)
            }
        }
        var gx = g
        gx.scaleColumns(perColumn(a))
        if usesBatchStatistics {
            var fromX = x
            fromX.scaleColumns(perColumn(b))
            gx.add(fromX)
            gx.addToEachRow(perColumn(c))
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
        var converted = BatchNorm<U>(
            weight: weight.map { U($0) }, bias: bias.map { U($0) }, runningMean: runningMean.map { U($0) },
            runningVar: runningVar.map { U($0) }, eps: eps, positions: positions)
        converted.usesBatchStatistics = usesBatchStatistics
        return converted
    }
}
