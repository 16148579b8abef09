import LinAlg

/// torch's `permute` of one sample's axes (the batch axis stays first): output element i is the
/// input element `source[i]`. A gather one way, a scatter of the gradient the other.
public struct Permute: Equatable, Sendable {
    /// The input axis each output axis is (torch's dims without the batch, counted from 0).
    public let axes: [Int]
    private let source: [Int32]

    /// `axes` must be a permutation of the indices of `inputShape`.
    public init(axes: [Int], inputShape: [Int]) {
        precondition(axes.sorted() == Array(inputShape.indices), "Permute: axes \(axes) for \(inputShape.count) dimensions")
        self.axes = axes
        let outputShape = axes.map { inputShape[$0] }
        // C-order strides of the input, read in the output's axis order.
        var strides = [Int](repeating: 1, count: inputShape.count)
        for d in stride(from: inputShape.count - 2, through: 0, by: -1) { strides[d] = strides[d + 1] * inputShape[d + 1] }
        let moved = axes.map { strides[$0] }
        var source = [Int32](repeating: 0, count: inputShape.reduce(1, *))
        var index = [Int](repeating: 0, count: outputShape.count)
        for i in source.indices {
            source[i] = Int32(zip(index, moved).reduce(0) { $0 + $1.0 * $1.1 })
            // The next output index in C order.
            var d = outputShape.count - 1
            while d >= 0 {
                index[d] += 1
                if index[d] < outputShape[d] { break }
                index[d] = 0
                d -= 1
            }
        }
        self.source = source
    }

    public func outputShape(_ inputShape: [Int]) -> [Int] { axes.map { inputShape[$0] } }

    public func forward<T: BLASScalar>(_ x: Matrix<T>) -> Matrix<T> { moved(x, gathering: true) }

    /// Output-shaped values (a gradient, relevance) back in the input's order.
    public func backward<T: BLASScalar>(_ g: Matrix<T>) -> Matrix<T> { moved(g, gathering: false) }

    /// Each row reordered through `source`: gathered (out[i] = in[source[i]]) or scattered back
    /// (out[source[i]] = in[i]).
    private func moved<T: BLASScalar>(_ m: Matrix<T>, gathering: Bool) -> Matrix<T> {
        var out = Matrix<T>(rows: m.rows, cols: m.cols)
        m.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for n in 0..<m.rows {
                    let (from, to) = (src.baseAddress! + n * m.cols, dst.baseAddress! + n * m.cols)
                    if gathering {
                        for i in source.indices { to[i] = from[Int(source[i])] }
                    } else {
                        for i in source.indices { to[Int(source[i])] = from[i] }
                    }
                }
            }
        }
        return out
    }
}
