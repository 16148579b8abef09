import LinAlg

/// Max or average pooling over [C, H, W] samples, as torch's MaxPool2d / AvgPool2d with
/// no padding. Average pooling is linear; max pooling routes everything through the winner
/// of each window (the first maximum, as torch picks it).
public struct Pool2d: Equatable, Sendable {
    public enum Mode: String, Sendable { case max, average }
    public let mode: Mode
    public let geometry: WindowGeometry

    public init(mode: Mode, geometry: WindowGeometry) {
        self.mode = mode
        self.geometry = geometry
    }

    public var outputSize: Int { geometry.channels * geometry.outPositions }

    /// For each output element of each sample, the within-sample index of the input element
    /// that wins its window (max pooling).
    public func winners<T: BLASScalar>(_ x: Matrix<T>) -> [Int32] {
        let g = geometry
        let (ho, wo) = (g.outHeight, g.outWidth)
        var out = [Int32](repeating: 0, count: x.rows * outputSize)
        x.withUnsafeBufferPointer { src in
            for n in 0..<x.rows {
                let sample = n * g.inputSize
                for c in 0..<g.channels {
                    for oy in 0..<ho {
                        for ox in 0..<wo {
                            var best = -1
                            var bestValue = -T.infinity
                            for ky in 0..<g.kernel.h {
                                let rowStart = (c * g.height + oy * g.stride.h + ky) * g.width + ox * g.stride.w
                                for kx in 0..<g.kernel.w {
                                    let v = src[sample + rowStart + kx]
                                    if best < 0 || v > bestValue || v.isNaN { best = rowStart + kx; bestValue = v }
                                }
                            }
                            out[n * outputSize + (c * ho + oy) * wo + ox] = Int32(best)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The window's input indices (within a sample) for output element `o`.
    public func window(ofOutput o: Int) -> [Int] {
        let g = geometry
        let c = o / g.outPositions
        let oy = (o % g.outPositions) / g.outWidth
        let ox = o % g.outWidth
        var idx: [Int] = []
        for ky in 0..<g.kernel.h {
            for kx in 0..<g.kernel.w {
                idx.append((c * g.height + oy * g.stride.h + ky) * g.width + ox * g.stride.w + kx)
            }
        }
        return idx
    }

    public func forward<T: BLASScalar>(_ x: Matrix<T>) -> Matrix<T> {
        var out = Matrix<T>(rows: x.rows, cols: outputSize)
        let inSize = geometry.inputSize
        switch mode {
        case .max:
            let win = winners(x)
            x.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for n in 0..<x.rows {
                        for o in 0..<outputSize {
                            dst[n * outputSize + o] = src[n * inSize + Int(win[n * outputSize + o])]
                        }
                    }
                }
            }
        case .average:
            let windows = (0..<outputSize).map(window(ofOutput:))
            let scale = 1 / T(geometry.kernel.h * geometry.kernel.w)
            x.withUnsafeBufferPointer { src in
                out.withUnsafeMutableBufferPointer { dst in
                    for n in 0..<x.rows {
                        for o in 0..<outputSize {
                            var s: T = 0
                            for i in windows[o] { s += src[n * inSize + i] }
                            dst[n * outputSize + o] = s * scale
                        }
                    }
                }
            }
        }
        return out
    }

    /// dL/dx from dL/dy: to the winner (max), or spread evenly over the window (average).
    public func backward<T: BLASScalar>(input x: Matrix<T>, gradOutput g: Matrix<T>) -> Matrix<T> {
        distribute(g, samples: x.rows, winners: mode == .max ? winners(x) : nil)
    }

    /// Spreads output-shaped values back over the inputs: all to the winner when `winners` is
    /// given, else evenly over each window. LRP passes relevance through pooling the same way.
    public func distribute<T: BLASScalar>(_ g: Matrix<T>, samples: Int, winners: [Int32]?) -> Matrix<T> {
        let inSize = geometry.inputSize
        var out = Matrix<T>(rows: samples, cols: inSize)
        g.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                if let winners {
                    for n in 0..<samples {
                        for o in 0..<outputSize {
                            dst[n * inSize + Int(winners[n * outputSize + o])] += src[n * outputSize + o]
                        }
                    }
                } else {
                    let windows = (0..<outputSize).map(window(ofOutput:))
                    let scale = 1 / T(geometry.kernel.h * geometry.kernel.w)
                    for n in 0..<samples {
                        for o in 0..<outputSize {
                            let v = src[n * outputSize + o] * scale
                            for i in windows[o] { dst[n * inSize + i] += v }
                        }
                    }
                }
            }
        }
        return out
    }
}
