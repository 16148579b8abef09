import LinAlg

/// Max or average pooling over [C, H, W] samples, as torch's MaxPool2d / AvgPool2d (max
/// pooling may pad, as torch does with −∞; average pooling has no padding). Average pooling is
/// linear; max pooling routes everything through the winner of each window (the first maximum,
/// as torch picks it).
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
    /// that wins its window (max pooling): the first maximum, or the last NaN, as torch picks.
    /// Padding never wins (torch pads with −∞): a window is searched where it overlaps the
    /// input, from its first cell there, as torch's kernel does.
    public func winners<T: BLASScalar>(_ x: Matrix<T>) -> [Int32] {
        // Without NaNs a single comparison decides, which compiles to selects rather than
        // branches: on real data which element wins is a coin toss the predictor loses.
        x.storage.contains { $0.isNaN } ? winners(x, nans: true) : winners(x, nans: false)
    }

    @inline(__always)
    private func winners<T: BLASScalar>(_ x: Matrix<T>, nans: Bool) -> [Int32] {
        let g = geometry
        let (ho, wo, kh, kw) = (g.outHeight, g.outWidth, g.kernel.h, g.kernel.w)
        // Each output row's and column's first input row and column, and the kernel rows and
        // columns inside the input.
        func span(_ o: Int, stride: Int, padding: Int, kernel: Int, size: Int) -> (start: Int, taps: Range<Int>) {
            let first = o * stride - padding
            return (first, max(0, -first)..<min(kernel, size - first))
        }
        let rows = (0..<ho).map { span($0, stride: g.stride.h, padding: g.padding.h, kernel: kh, size: g.height) }
        let cols = (0..<wo).map { span($0, stride: g.stride.w, padding: g.padding.w, kernel: kw, size: g.width) }
        let count = x.rows * outputSize
        return [Int32](unsafeUninitializedCapacity: count) { out, initialized in
            x.withUnsafeBufferPointer { src in
                // Samples are independent: both cores.
                parallelChunks(x.rows) { _, samples in
                    var o = samples.lowerBound * outputSize
                    for n in samples {
                        let sample = src.baseAddress! + n * g.inputSize
                        for c in 0..<g.channels {
                            for (y0, ys) in rows {
                                for (x0, xs) in cols {
                                    var best = (c * g.height + y0 + ys.lowerBound) * g.width + x0 + xs.lowerBound
                                    var bestValue = sample[best]
                                    for ky in ys {
                                        let row = (c * g.height + y0 + ky) * g.width + x0
                                        for kx in xs {
                                            let v = sample[row + kx]
                                            let wins = v > bestValue || (nans && v.isNaN)
                                            best = wins ? row + kx : best
                                            bestValue = wins ? v : bestValue
                                        }
                                    }
                                    out[o] = Int32(best)
                                    o += 1
                                }
                            }
                        }
                    }
                }
            }
            initialized = count
        }
    }

    /// Each output element's winning input (`winners`): the max-pooled output.
    public func gather<T: BLASScalar>(_ x: Matrix<T>, winners: [Int32]) -> Matrix<T> {
        precondition(winners.count == x.rows * outputSize, "Pool2d.gather: \(winners.count) winners for \(x.rows) samples")
        var out = Matrix<T>(rows: x.rows, cols: outputSize)
        let inSize = geometry.inputSize
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                winners.withUnsafeBufferPointer { win in
                    for n in 0..<x.rows {
                        for o in 0..<outputSize { dst[n * outputSize + o] = src[n * inSize + Int(win[n * outputSize + o])] }
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
        if mode == .max { return gather(x, winners: winners(x)) }
        var out = Matrix<T>(rows: x.rows, cols: outputSize)
        let inSize = geometry.inputSize
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
