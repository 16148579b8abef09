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
    public func winners<T: BLASScalar>(_ x: Matrix<T>) -> [Int32] {
        if geometry.padding != IntPair(0) { return paddedWinners(x) }
        // Without NaNs a single comparison decides, which compiles to selects rather than
        // branches: on real data which element wins is a coin toss the predictor loses.
        return x.storage.contains { $0.isNaN }
            ? winners(x) { v, best in v > best || v.isNaN }
            : winners(x) { v, best in v > best }
    }

    @inline(__always)
    private func winners<T: BLASScalar>(_ x: Matrix<T>, beats: (T, T) -> Bool) -> [Int32] {
        let g = geometry
        let (ho, wo, kh, kw) = (g.outHeight, g.outWidth, g.kernel.h, g.kernel.w)
        let count = x.rows * outputSize
        return [Int32](unsafeUninitializedCapacity: count) { out, initialized in
            x.withUnsafeBufferPointer { src in
                var o = 0
                for n in 0..<x.rows {
                    let sample = src.baseAddress! + n * g.inputSize
                    for c in 0..<g.channels {
                        for oy in 0..<ho {
                            let top = (c * g.height + oy * g.stride.h) * g.width
                            for ox in 0..<wo {
                                let corner = top + ox * g.stride.w
                                var best = corner
                                var bestValue = sample[corner]
                                for ky in 0..<kh {
                                    let row = corner + ky * g.width
                                    for kx in (ky == 0 ? 1 : 0)..<kw {
                                        let v = sample[row + kx]
                                        let wins = beats(v, bestValue)
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
            initialized = count
        }
    }

    /// `winners` when windows reach into the padding, which never wins (torch pads with −∞):
    /// the input is copied into a −∞ frame, searched as unpadded, and each winner's index moved
    /// back. (A padding cell can only come first in a window of −∞ or NaN; it is moved to the
    /// nearest input cell, which lies in the same window since every window holds one.)
    private func paddedWinners<T: BLASScalar>(_ x: Matrix<T>) -> [Int32] {
        let g = geometry
        let (ph, pw) = (g.padding.h, g.padding.w)
        let (height, width) = (g.height + 2 * ph, g.width + 2 * pw)
        let framed = WindowGeometry(
            channels: g.channels, height: height, width: width, kernel: g.kernel, stride: g.stride, padding: IntPair(0))
        var padded = Matrix<T>(rows: x.rows, cols: framed.inputSize, repeating: -T.infinity)
        x.withUnsafeBufferPointer { src in
            padded.withUnsafeMutableBufferPointer { dst in
                for n in 0..<x.rows {
                    for c in 0..<g.channels {
                        for y in 0..<g.height {
                            let from = src.baseAddress! + n * g.inputSize + (c * g.height + y) * g.width
                            let to = dst.baseAddress! + n * framed.inputSize + (c * height + y + ph) * width + pw
                            to.update(from: from, count: g.width)
                        }
                    }
                }
            }
        }
        var winners = Pool2d(mode: .max, geometry: framed).winners(padded)
        for k in winners.indices {
            let i = Int(winners[k])
            let (c, y, x) = (i / (height * width), (i / width) % height, i % width)
            let (yy, xx) = (min(max(y - ph, 0), g.height - 1), min(max(x - pw, 0), g.width - 1))
            winners[k] = Int32((c * g.height + yy) * g.width + xx)
        }
        return winners
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
