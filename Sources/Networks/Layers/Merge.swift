import LinAlg

/// How a node with several inputs combines them into one activation.
public enum Merge: Sendable, Equatable {
    /// The elementwise sum of two or more inputs of one shape: a residual connection.
    case add
    /// The elementwise product of two inputs of one shape: a gate.
    case mul
    /// The inputs side by side along their first axis (torch's `cat(dim=1)`: channels, or
    /// features), given each input's values per sample. In C order a sample's values are its
    /// channels one after another, so each output row is the input rows one after another.
    case concat(sizes: [Int])

    public var kind: String {
        switch self {
        case .add: return "add"
        case .mul: return "mul"
        case .concat: return "concat"
        }
    }

    public func forward<T: BLASScalar>(_ xs: [Matrix<T>]) -> Matrix<T> {
        switch self {
        case .add:
            var sum = xs[0]
            for x in xs.dropFirst() { sum.add(x) }
            return sum
        case .mul:
            return xs[0].hadamard(xs[1])
        case .concat:
            return Matrix.hstack(xs)
        }
    }

    /// dL/d(each input) from dL/d(output): the sum passes the gradient to every input, the
    /// product scales it by the other factor, the concatenation splits it.
    public func backward<T: BLASScalar>(inputs xs: [Matrix<T>], gradOutput g: Matrix<T>) -> [Matrix<T>] {
        switch self {
        case .add:
            return [Matrix<T>](repeating: g, count: xs.count)
        case .mul:
            return [g.hadamard(xs[1]), g.hadamard(xs[0])]
        case .concat(let sizes):
            var start = 0
            return sizes.map { size in
                defer { start += size }
                return g.columns(Array(start..<(start + size)))
            }
        }
    }
}
