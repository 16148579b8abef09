import Foundation
import LinAlg

/// Elementwise nonlinearities, with PyTorch's definitions: GELU is the exact (erf) form,
/// torch's default, and gelu_tanh its tanh approximation (GPT-2's "gelu_new"); SiLU is x·σ(x);
/// ELU is x for x > 0 and α(eˣ − 1) otherwise; leaky ReLU is x for x > 0 and s·x otherwise;
/// dropout is the identity, as at evaluation.
public enum Activation: Equatable, Sendable {
    case relu, tanh, sigmoid, gelu, geluTanh, silu, identity, dropout
    case elu(alpha: Double)
    case leakyReLU(slope: Double)

    /// Every activation, with torch's defaults for its parameters (ELU's α = 1, leaky ReLU's
    /// slope 0.01), in the order docs/formats.md lists them.
    public static let all: [Activation] = [
        .relu, .tanh, .sigmoid, .gelu, .geluTanh, .silu, .elu(alpha: 1), .leakyReLU(slope: 0.01), .identity, .dropout
    ]

    /// √(2/π), the scale inside gelu_tanh.
    static let tanhScale = (2 / Double.pi).squareRoot()

    /// The JSON kinds.
    public static var kinds: [String] { all.map(\.kind) }

    /// The activation a JSON layer of `kind` names; `alpha` (ELU) and `slope` (leaky ReLU) as the
    /// layer gives them, nil for torch's defaults.
    public init?(kind: String, alpha: Double? = nil, slope: Double? = nil) {
        guard let standard = Self.all.first(where: { $0.kind == kind }) else { return nil }
        switch standard {
        case .elu(let a): self = .elu(alpha: alpha ?? a)
        case .leakyReLU(let s): self = .leakyReLU(slope: slope ?? s)
        default: self = standard
        }
    }

    /// The JSON kind.
    public var kind: String {
        switch self {
        case .relu: return "relu"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .gelu: return "gelu"
        case .geluTanh: return "gelu_tanh"
        case .silu: return "silu"
        case .elu: return "elu"
        case .leakyReLU: return "leaky_relu"
        case .identity: return "identity"
        case .dropout: return "dropout"
        }
    }

    /// Whether the function is linear on each side of 0, so that a network of them, linear
    /// layers and pooling is exactly a linear map around each input (the linear interpreter).
    public var isPiecewiseLinear: Bool {
        switch self {
        case .relu, .leakyReLU, .identity, .dropout: return true
        case .tanh, .sigmoid, .gelu, .geluTanh, .silu, .elu: return false
        }
    }

    /// For the ReLU family, the slope left of 0 (0 for ReLU); nil for any other activation.
    public var slopeBelowZero: Double? {
        switch self {
        case .relu: return 0
        case .leakyReLU(let slope): return slope
        default: return nil
        }
    }

    public func apply<T: BLASScalar>(_ x: Matrix<T>) -> Matrix<T> {
        // Float in Float arithmetic (what torch computes in), on both cores.
        if let xf = x as? Matrix<Float>, let smooth = floatForm { return xf.parallelMap(smooth) as! Matrix<T> }
        switch self {
        case .relu: return x.map { $0 > 0 ? $0 : 0 }
        case .tanh: return x.parallelMap { T(Foundation.tanh(Double($0))) }
        case .sigmoid: return x.parallelMap { T(1 / (1 + exp(-Double($0)))) }
        case .gelu:
            return x.parallelMap { v in
                let d = Double(v); return T(0.5 * d * (1 + erf(d / 2.0.squareRoot())))
            }
        case .geluTanh:
            return x.parallelMap { v in
                let d = Double(v)
                return T(0.5 * d * (1 + Foundation.tanh(Activation.tanhScale * (d + 0.044715 * d * d * d))))
            }
        case .silu:
            return x.parallelMap { v in
                let d = Double(v); return T(d / (1 + exp(-d)))
            }
        case .elu(let alpha): return x.parallelMap { v in v > 0 ? v : T(alpha * expm1(Double(v))) }
        case .leakyReLU(let slope):
            let s = T(slope)
            return x.map { v in v > 0 ? v : s * v }
        case .identity, .dropout: return x
        }
    }

    /// The smooth activations in Float arithmetic; nil for the piecewise-linear ones.
    private var floatForm: ((Float) -> Float)? {
        let scale = Float(Activation.tanhScale)
        switch self {
        case .tanh: return { Foundation.tanh($0) }
        case .sigmoid: return { 1 / (1 + Foundation.exp(-$0)) }
        case .gelu: return { 0.5 * $0 * (1 + Foundation.erf($0 * Float(0.5.squareRoot()))) }
        // ½v(1 + tanh u) = v·σ(2u): one exp instead of tanh's two.
        case .geluTanh: return { v in v / (1 + Foundation.exp(-2 * scale * (v + 0.044715 * v * v * v))) }
        case .silu: return { $0 / (1 + Foundation.exp(-$0)) }
        case .elu(let alpha): return { v in v > 0 ? v : Float(alpha) * Foundation.expm1(v) }
        case .relu, .leakyReLU, .identity, .dropout: return nil
        }
    }

    /// dL/dx = dL/dy ⊙ f′(x); the transcendental ones on both cores.
    public func backward<T: BLASScalar>(input x: Matrix<T>, gradOutput g: Matrix<T>) -> Matrix<T> {
        switch self {
        case .relu: return x.zipMap(g) { v, d in v > 0 ? d : 0 }
        case .tanh:
            return x.parallelZipMap(g) { v, d in
                let t = Foundation.tanh(Double(v)); return d * T(1 - t * t)
            }
        case .sigmoid:
            return x.parallelZipMap(g) { v, d in
                let s = 1 / (1 + exp(-Double(v))); return d * T(s * (1 - s))
            }
        case .gelu:
            return x.parallelZipMap(g) { v, d in
                let z = Double(v)
                let cdf = 0.5 * (1 + erf(z / 2.0.squareRoot()))
                let pdf = exp(-z * z / 2) / (2 * Double.pi).squareRoot()
                return d * T(cdf + z * pdf)
            }
        case .geluTanh:
            return x.parallelZipMap(g) { v, d in
                let z = Double(v)
                let t = Foundation.tanh(Activation.tanhScale * (z + 0.044715 * z * z * z))
                return d * T(0.5 * (1 + t) + 0.5 * z * (1 - t * t) * Activation.tanhScale * (1 + 3 * 0.044715 * z * z))
            }
        case .silu:
            return x.parallelZipMap(g) { v, d in
                let z = Double(v)
                let s = 1 / (1 + exp(-z))
                return d * T(s * (1 + z * (1 - s)))
            }
        case .elu(let alpha): return x.zipMap(g) { v, d in v > 0 ? d : d * T(alpha * exp(Double(v))) }
        case .leakyReLU(let slope):
            let s = T(slope)
            return x.zipMap(g) { v, d in v > 0 ? d : s * d }
        case .identity, .dropout: return g
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
