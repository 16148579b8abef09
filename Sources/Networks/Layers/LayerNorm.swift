import Foundation
import LinAlg

/// torch's LayerNorm: within each sample, every block of `normalizedSize` consecutive values
/// (the trailing `normalized_shape` axes, contiguous in C order: the whole sample, or each
/// position's features) is shifted to mean 0 and divided by √(variance + ε), the variance
/// biased (over the block's m values, not m − 1), then multiplied by `weight` and shifted by
/// `bias` elementwise. Means and variances are accumulated in Float64.
public struct LayerNorm<T: BLASScalar>: Sendable {
    public let normalizedShape: [Int]
    public let eps: Double
    /// [normalized], or nil without the elementwise affine map (`elementwise_affine=False`).
    public var weight: [T]?
    public var bias: [T]?

    public init(normalizedShape: [Int], eps: Double, weight: [T]?, bias: [T]?) {
        let m = normalizedShape.reduce(1, *)
        precondition(weight.map { $0.count == m } ?? true, "LayerNorm: weight of \(weight!.count) for \(m) values")
        precondition(bias.map { $0.count == m } ?? true, "LayerNorm: bias of \(bias!.count) for \(m) values")
        self.normalizedShape = normalizedShape
        self.eps = eps
        self.weight = weight
        self.bias = bias
    }

    public var normalizedSize: Int { normalizedShape.reduce(1, *) }

    /// Each block's mean and 1/√(variance + ε), block after block through the batch.
    private func statistics(_ x: Matrix<T>) -> (mean: [Double], inverseStd: [Double]) {
        let m = normalizedSize
        let blocks = x.count / m
        var mean = [Double](repeating: 0, count: blocks), inverseStd = mean
        x.withUnsafeBufferPointer { p in
            for k in 0..<blocks {
                let block = p.baseAddress! + k * m
                var sum = 0.0
                for i in 0..<m { sum += Double(block[i]) }
                let mu = sum / Double(m)
                var squares = 0.0
                for i in 0..<m {
                    let d = Double(block[i]) - mu
                    squares += d * d
                }
                mean[k] = mu
                inverseStd[k] = 1 / (squares / Double(m) + eps).squareRoot()
            }
        }
        return (mean, inverseStd)
    }

    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        let m = normalizedSize
        let (mean, inverseStd) = statistics(x)
        var out = x
        out.withUnsafeMutableBufferPointer { p in
            for k in mean.indices {
                let block = p.baseAddress! + k * m
                for i in 0..<m {
                    var v = T((Double(block[i]) - mean[k]) * inverseStd[k])
                    if let weight { v *= weight[i] }
                    if let bias { v += bias[i] }
                    block[i] = v
                }
            }
        }
        return out
    }

    /// With x̂ the normalised input and ĝ = g ⊙ weight, per block:
    /// dx = (ĝ − mean(ĝ) − x̂·mean(ĝ ⊙ x̂)) / √(variance + ε); dweight = Σ g ⊙ x̂, dbias = Σ g.
    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        let m = normalizedSize
        let (mean, inverseStd) = statistics(x)
        var gx = Matrix<T>(rows: x.rows, cols: x.cols)
        var gWeight = [Double](repeating: 0, count: m), gBias = gWeight
        var normalized = [Double](repeating: 0, count: m), scaled = normalized
        x.withUnsafeBufferPointer { xp in
            g.withUnsafeBufferPointer { gp in
                gx.withUnsafeMutableBufferPointer { out in
                    for k in mean.indices {
                        let (xs, gs, os) = (xp.baseAddress! + k * m, gp.baseAddress! + k * m, out.baseAddress! + k * m)
                        var (meanScaled, meanProduct) = (0.0, 0.0)
                        for i in 0..<m {
                            normalized[i] = (Double(xs[i]) - mean[k]) * inverseStd[k]
                            scaled[i] = Double(gs[i]) * (weight.map { Double($0[i]) } ?? 1)
                            meanScaled += scaled[i]
                            meanProduct += scaled[i] * normalized[i]
                            gWeight[i] += Double(gs[i]) * normalized[i]
                            gBias[i] += Double(gs[i])
                        }
                        meanScaled /= Double(m)
                        meanProduct /= Double(m)
                        for i in 0..<m { os[i] = T((scaled[i] - meanScaled - normalized[i] * meanProduct) * inverseStd[k]) }
                    }
                }
            }
        }
        var parameters: [[T]] = []
        if weight != nil { parameters.append(gWeight.map { T($0) }) }
        if bias != nil { parameters.append(gBias.map { T($0) }) }
        return (gx, parameters)
    }

    var parameters: [(role: String, shape: [Int], values: [T])] {
        var p: [(role: String, shape: [Int], values: [T])] = []
        if let weight { p.append(("weight", normalizedShape, weight)) }
        if let bias { p.append(("bias", normalizedShape, bias)) }
        return p
    }

    mutating func setParameters(_ values: [[T]]) {
        var next = 0
        if weight != nil { weight = values[next]; next += 1 }
        if bias != nil { bias = values[next] }
    }

    func converted<U: BLASScalar>(to: U.Type = U.self) -> LayerNorm<U> {
        LayerNorm<U>(normalizedShape: normalizedShape, eps: eps, weight: weight?.map { U($0) }, bias: bias?.map { U($0) })
    }
}
