import Foundation
import LinAlg

/// Gradient-descent rules over a network's flat parameter vector.
public enum OptimizerKind: Sendable, Equatable {
    /// Adam (Kingma & Ba) with PyTorch's defaults for betas and ε; decoupled weight decay (AdamW) when > 0.
    case adam(learningRate: Double, weightDecay: Double = 0)
    /// SGD with (heavy-ball) momentum, as torch.optim.SGD.
    case sgd(learningRate: Double, momentum: Double = 0.9)
}

/// The state of an optimizer across steps: moment estimates for Adam, velocity for SGD.
public struct Optimizer: Sendable {
    public let kind: OptimizerKind
    private var first: [Float]
    private var second: [Float]
    private var step = 0
    private let beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8
    /// The parameters Adam's weight decay shrinks (nil: all of them).
    private let decayed: [Range<Int>]?

    /// `decaying` limits Adam's decoupled weight decay to those index ranges (a language
    /// model's matrices, not its biases, norm scales or embeddings); nil decays every parameter.
    public init(_ kind: OptimizerKind, parameterCount: Int, decaying: [Range<Int>]? = nil) {
        self.kind = kind
        decayed = decaying
        first = [Float](repeating: 0, count: parameterCount)
        second = kind.isAdam ? [Float](repeating: 0, count: parameterCount) : []
    }

    /// θ ← θ − update(∇); a learning-rate multiplier supports warm-up and decay schedules.
    public mutating func update(_ theta: inout [Float], gradient g: [Float], learningRateScale: Double = 1) {
        precondition(theta.count == g.count && g.count == first.count, "Optimizer: sizes differ")
        step += 1
        let n = theta.count
        switch kind {
        case .adam(let lr0, let decay):
            let lr = lr0 * learningRateScale
            let c1 = 1 - pow(beta1, Double(step)), c2 = 1 - pow(beta2, Double(step))
            let stepSize = Float(lr / c1)
            let b1 = Float(beta1), b2 = Float(beta2), eps = Float(epsilon), sc2 = Float(c2.squareRoot())
            var shrink = Float(1 - lr * decay)
            // Decoupled decay of some parameters only: shrink those first, as torch's AdamW
            // does before its step (θ·(1 − lr·λ) − step is the same value either way).
            if let decayed, decay != 0 {
                theta.withUnsafeMutableBufferPointer { t in
                    for range in decayed { Float.scal(n: range.count, alpha: shrink, x: t.baseAddress! + range.lowerBound) }
                }
                shrink = 1
            }
            first.withUnsafeMutableBufferPointer { m in
                second.withUnsafeMutableBufferPointer { v in
                    theta.withUnsafeMutableBufferPointer { t in
                        g.withUnsafeBufferPointer { gp in
                            for i in 0..<n {
                                m[i] = b1 * m[i] + (1 - b1) * gp[i]
                                v[i] = b2 * v[i] + (1 - b2) * gp[i] * gp[i]
                                t[i] = t[i] * shrink - stepSize * m[i] / (v[i].squareRoot() / sc2 + eps)
                            }
                        }
                    }
                }
            }
        case .sgd(let lr0, let momentum):
            let lr = Float(lr0 * learningRateScale), mu = Float(momentum)
            let firstStep = step == 1
            first.withUnsafeMutableBufferPointer { b in
                theta.withUnsafeMutableBufferPointer { t in
                    g.withUnsafeBufferPointer { gp in
                        for i in 0..<n {
                            b[i] = firstStep ? gp[i] : mu * b[i] + gp[i]
                            t[i] -= lr * b[i]
                        }
                    }
                }
            }
        }
    }

    /// Forgets the moment estimates (Adam) or velocity (SGD) of the parameters in `range`, as
    /// after those parameters were re-initialised (a resampled SAE latent), so that their old
    /// gradients no longer steer them.
    public mutating func resetState(in range: Range<Int>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= first.count, "Optimizer.resetState: \(range) out of 0..<\(first.count)")
        for i in range { first[i] = 0 }
        if !second.isEmpty { for i in range { second[i] = 0 } }
    }
}

extension OptimizerKind {
    var isAdam: Bool { if case .adam = self { return true } else { return false } }
}

/// Scales `g` down so that ‖g‖₂ ≤ maxNorm; returns the norm before clipping.
@discardableResult
public func clipGradient(_ g: inout [Float], maxNorm: Double) -> Double {
    let n = Double(norm(g))
    if n > maxNorm && n > 0 {
        let s = Float(maxNorm / n)
        g.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= s } }
    }
    return n
}
