/// Two layouts of image activations. Channels first is PyTorch's [N, C, H, W]: a row per sample
/// holding C blocks of P = H·W values. Channels last puts a row per (sample, position) holding
/// its C channel values, (N·P) × C: the layout in which a convolution is one product, and in
/// which channels are the units that convergent learning and activation matching compare.
extension Matrix {
    /// N × (C·P) channels first as (N·P) × C channels last.
    public func channelsLast(channels c: Int, positions p: Int) -> Matrix {
        precondition(cols == c * p, "Matrix.channelsLast: \(cols) columns are not \(c) channels × \(p) positions")
        var out = Matrix(rows: rows * p, cols: c)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for n in 0..<rows {
                    for ch in 0..<c {
                        for pos in 0..<p { dst[(n * p + pos) * c + ch] = src[(n * c + ch) * p + pos] }
                    }
                }
            }
        }
        return out
    }

    /// (N·P) × C channels last back to N × (C·P) channels first.
    public func channelsFirst(positions p: Int) -> Matrix {
        precondition(rows % max(p, 1) == 0, "Matrix.channelsFirst: \(rows) rows are not a whole number of samples × \(p) positions")
        let (samples, c) = (rows / max(p, 1), cols)
        var out = Matrix(rows: samples, cols: c * p)
        withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for n in 0..<samples {
                    for pos in 0..<p {
                        for ch in 0..<c { dst[(n * c + ch) * p + pos] = src[(n * p + pos) * c + ch] }
                    }
                }
            }
        }
        return out
    }
}
