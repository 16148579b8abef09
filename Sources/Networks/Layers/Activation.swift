import Foundation
import LinAlg

/// Elementwise nonlinearities. GELU is the exact (erf) form, torch's default.
public enum Activation: String, CaseIterable, Sendable {
    case relu, tanh, sigmoid, gelu, identity

    public func apply<T: BLASScalar>(_ x: Matrix<T>) -> Matrix<T> {
        switch self {
        case .relu: return x.map { $0 > 0 ? $0 : 0 }
        case .tanh: return x.map { T(Foundation.tanh(Double($0))) }
        case .sigmoid: return x.map { T(1 / (1 + exp(-Double($0)))) }
        case .gelu:
            return x.map { v in
                let d = Double(v); return T(0.5 * d * (1 + erf(d / 2.0.squareRoot())))
            }
        case .identity: return x
        }
    }

    /// dL/dx = dL/dy ⊙ f′(x).
    public func backward<T: BLASScalar>(input x: Matrix<T>, gradOutput g: Matrix<T>) -> Matrix<T> {
        switch self {
        case .relu: return x.zipMap(g) { v, d in v > 0 ? d : 0 }
        case .tanh:
            return x.zipMap(g) { v, d in
                let t = Foundation.tanh(Double(v)); return d * T(1 - t * t)
            }
        case .sigmoid:
            return x.zipMap(g) { v, d in
                let s = 1 / (1 + exp(-Double(v))); return d * T(s * (1 - s))
            }
        case .gelu:
            return x.zipMap(g) { v, d in
                let z = Double(v)
                let cdf = 0.5 * (1 + erf(z / 2.0.squareRoot()))
                let pdf = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
                return d * T(cdf + z * pdf)
            }
        case .identity: return g
        }
    }
}

/// Row-wise softmax, computed stably (the row maximum is subtracted first).
public func softmax<T: BLASScalar>(_ x: Matrix<T>) -> Matrix<T> {
    var out = x
    out.withUnsafeMutableBufferPointer { p in
        for r in 0..<x.rows {
            let base = r * x.cols
            var m = -T.infinity
            for c in 0..<x.cols { m = max(m, p[base + c]) }
            var s: T = 0
            for c in 0..<x.cols { let e = T(exp(Double(p[base + c] - m))); p[base + c] = e; s += e }
            for c in 0..<x.cols { p[base + c] /= s }
        }
    }
    return out
}

/// dL/dx for y = softmax(x): y ⊙ (g − (g·y)).
public func softmaxBackward<T: BLASScalar>(output y: Matrix<T>, gradOutput g: Matrix<T>) -> Matrix<T> {
    var out = g
    out.withUnsafeMutableBufferPointer { p in
        for r in 0..<y.rows {
            let base = r * y.cols
            var s: T = 0
            for c in 0..<y.cols { s += g[r, c] * y[r, c] }
            for c in 0..<y.cols { p[base + c] = y[r, c] * (g[r, c] - s) }
        }
    }
    return out
}
