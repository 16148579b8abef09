import Foundation
import LinAlg

/// The kernel CKA compares samples with (Kornblith et al. 2019, "Similarity of Neural Network
/// Representations Revisited").
public enum CKAKernel: Hashable, Sendable, CustomStringConvertible {
    /// k(x, x') = x·x'. CKA is then computed in feature space, without an n × n matrix.
    case linear
    /// k(x, x') = exp(−‖x − x'‖² / (2σ²)) with σ² = threshold² · median of the squared
    /// distances between all pairs of samples (the paper's heuristic; 0.5 in its demo).
    case rbf(threshold: Double)

    /// The kernels by name, as the command line, probes and the workbench name them.
    public enum Kind: String, Codable, CaseIterable, Sendable {
        case linear, rbf
    }

    public var kind: Kind {
        switch self {
        case .linear: return .linear
        case .rbf: return .rbf
        }
    }

    /// The kernel of `kind`, with `threshold` for the RBF bandwidth.
    public init(_ kind: Kind, threshold: Double = CKAKernel.defaultThreshold) {
        self = kind == .linear ? .linear : .rbf(threshold: threshold)
    }

    /// The RBF bandwidth as a fraction of the median distance: the paper's demo's 0.5.
    public static let defaultThreshold = 0.5

    public var description: String {
        switch self {
        case .linear: return "linear"
        case .rbf(let t): return "rbf(\(t))"
        }
    }

    /// The n × n Gram matrix of the samples (rows) of `x`. `what` names x in errors.
    func gram(_ x: Matrix<Double>, what: String) throws -> Matrix<Double> {
        switch self {
        case .linear:
            return LinAlg.gram(x, transpose: false)
        case .rbf(let threshold):
            return try Self.rbfGram(x, threshold: threshold, what: what)
        }
    }

    /// exp(−d²_ij / (2 t² m)) with m the median of all n² squared distances, the zero diagonal
    /// included, exactly as the reference demo's `gram_rbf` computes it.
    private static func rbfGram(_ x: Matrix<Double>, threshold: Double, what: String) throws -> Matrix<Double> {
        let n = x.rows
        var d = LinAlg.gram(x, transpose: false)
        let squaredNorms = (0..<n).map { d[$0, $0] }
        d.withUnsafeMutableBufferPointer { p in
            for i in 0..<n { for j in 0..<n { p[i * n + j] = squaredNorms[i] + squaredNorms[j] - 2 * p[i * n + j] } }
        }
        let median = Self.median(d.storage)
        guard median > 0 else {
            throw InterpretError(
                "RBF CKA: \(what) has a median distance of 0 between its \(n) samples (most samples coincide), so the kernel bandwidth is 0"
            )
        }
        let scale = -1 / (2 * threshold * threshold * median)
        return d.map { Foundation.exp($0 * scale) }
    }

    /// The median as numpy defines it (the mean of the two middle values for an even count),
    /// by quickselect: the n² distances need not be sorted.
    static func median(_ values: [Double]) -> Double {
        precondition(!values.isEmpty, "median of no values")
        var a = values
        let k = a.count / 2
        a.withUnsafeMutableBufferPointer { select(k, in: $0) }
        return a.count % 2 == 1 ? a[k] : (a[..<k].max()! + a[k]) / 2
    }

    /// Reorders `p` so that p[k] is its k-th smallest value and nothing before it is larger
    /// (Hoare's FIND, as Wirth writes it).
    private static func select(_ k: Int, in p: UnsafeMutableBufferPointer<Double>) {
        var (lo, hi) = (0, p.count - 1)
        while lo < hi {
            let pivot = p[lo + (hi - lo) / 2]
            var (i, j) = (lo, hi)
            while i <= j {
                while p[i] < pivot { i += 1 }
                while pivot < p[j] { j -= 1 }
                if i <= j {
                    p.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if k <= j { hi = j } else if k >= i { lo = i } else { return }
        }
    }
}

extension CKAKernel: Codable {
    private enum CodingKeys: String, CodingKey { case kind, threshold }

    /// Written as {"kind": "linear"} or {"kind": "rbf", "threshold": 0.5}.
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .linear:
            try c.encode("linear", forKey: .kind)
        case .rbf(let t):
            try c.encode("rbf", forKey: .kind)
            try c.encode(t, forKey: .threshold)
        }
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .kind) {
        case "linear": self = .linear
        case "rbf": self = .rbf(threshold: try c.decode(Double.self, forKey: .threshold))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: c, debugDescription: "unknown CKA kernel '\(other)'; use linear or rbf")
        }
    }
}
