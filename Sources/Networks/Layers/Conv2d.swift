import LinAlg
import TensorIO

/// The sizes of a 2-d convolution or pooling window over a [C, H, W] input.
public struct WindowGeometry: Equatable, Sendable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public let kernel: IntPair
    public let stride: IntPair
    public let padding: IntPair
    /// The spacing of a window's taps (torch's `dilation`; 1 for adjacent taps).
    public let dilation: IntPair

    public init(
        channels: Int, height: Int, width: Int, kernel: IntPair, stride: IntPair, padding: IntPair,
        dilation: IntPair = IntPair(1)
    ) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
    }

    /// "3×3 kernel", or "5×5 span of the 3×3 kernel dilated 2×2".
    private var kernelText: String {
        let k = "\(kernel.h)×\(kernel.w) kernel"
        return dilation == IntPair(1) ? k : "\(span.h)×\(span.w) span of the \(k) dilated \(dilation.h)×\(dilation.w)"
    }

    /// The height and width a window spans: d·(k − 1) + 1.
    public var span: IntPair { IntPair(dilation.h * (kernel.h - 1) + 1, dilation.w * (kernel.w - 1) + 1) }
    /// Output height and width, as torch computes them (floor).
    public var outHeight: Int { (height + 2 * padding.h - span.h) / stride.h + 1 }
    public var outWidth: Int { (width + 2 * padding.w - span.w) / stride.w + 1 }
    public var outPositions: Int { outHeight * outWidth }
    public var inputSize: Int { channels * height * width }
    /// Elements of one patch: C·kh·kw, in the order of torch's flattened [out, in, kh, kw] weight.
    public var patchSize: Int { channels * kernel.h * kernel.w }
    /// Why these numbers cannot describe a window (nil when they can), checked without overflow
    /// before anything uses them: sizes come from files.
    public var problem: String? {
        guard kernel.h > 0, kernel.w > 0 else { return "the kernel \(kernel.h)×\(kernel.w) must be positive" }
        guard stride.h > 0, stride.w > 0 else { return "the stride \(stride.h)×\(stride.w) must be positive" }
        guard padding.h >= 0, padding.w >= 0 else { return "the padding \(padding.h)×\(padding.w) must not be negative" }
        // Bounded so that the span, and twice the padding below it, cannot overflow.
        let limit = 1 << 24
        guard dilation.h > 0, dilation.w > 0, dilation.h <= limit, dilation.w <= limit, kernel.h <= limit, kernel.w <= limit
        else { return "the dilation \(dilation.h)×\(dilation.w) must be positive (kernel and dilation at most 2²⁴)" }
        // A window that lies wholly in the padding sees no input at all: padding as wide as the
        // kernel's span has no use. (A dilated span can still make the output larger than the
        // input; its size is checked below, and against the memory budget by the builder.)
        guard padding.h < span.h, padding.w < span.w else {
            return
                "the padding \(padding.h)×\(padding.w) must be smaller than the \(kernelText) (wider padding adds windows that see only padding)"
        }
        guard let size = MemoryBudget.product([channels, height, width]), size <= Int(Int32.max) else {
            return "the input [\(channels), \(height), \(width)] has more than \(Int32.max) elements"
        }
        guard height + 2 * padding.h >= span.h, width + 2 * padding.w >= span.w else {
            return
                "a \(kernel.h)×\(kernel.w) kernel\(dilation == IntPair(1) ? "" : " dilated \(dilation.h)×\(dilation.w)") with padding \(padding.h)×\(padding.w) does not fit the \(height)×\(width) input"
        }
        guard let cells = MemoryBudget.product([outHeight, outWidth, patchSize]), cells <= Int(Int32.max) else {
            return "the output \(outHeight)×\(outWidth) with patches of \(patchSize) values is larger than \(Int32.max) entries"
        }
        return nil
    }
}

/// Cross-correlation as torch's Conv2d computes it, through im2col and one gemm per batch; or,
/// on a small feature map (the last stages of a ResNet), as the dense matrix it is, when that
/// has no more entries than the patches and weight multiply out to (`prefersDense`).
public struct Conv2d<T: BLASScalar>: Sendable {
    /// [out, in·kh·kw]: torch's [out, in, kh, kw] weight with the last three axes flattened.
    public var weight: Matrix<T> {
        didSet { dense = Self.prefersDense(geometry, outChannels: weight.rows) ? unrolled(weight) : nil }
    }
    public var bias: [T]?
    /// `unrolled(weight)` where one product with it costs no more than im2col's (the input's
    /// C·H·W values times the output's, against the output positions × patch × channels).
    private var dense: Matrix<T>?
    public let geometry: WindowGeometry
    /// torch's `groups`: the channels split into this many groups, each output channel seeing
    /// only its group's inputs (a depthwise convolution has one group per channel). The weight
    /// is held whole, [out, in·kh·kw] with zeros outside each output's group, so that every
    /// method treats it as any convolution; only its tensor is torch's [out, in/groups, kh, kw].
    public let groups: Int
    /// For output position p and patch element e, the input element (within a sample) that
    /// entry (p, e) of the patch matrix reads, or −1 where the window lies on the padding.
    /// im2col gathers through it and col2im scatters back through it. It costs what one
    /// sample's patch matrix costs, and saves recomputing the window arithmetic per sample.
    private let patchSource: [Int32]

    public init(weight: Matrix<T>, bias: [T]?, geometry: WindowGeometry, groups: Int = 1) {
        precondition(weight.cols == geometry.patchSize, "Conv2d: weight \(weight.shapeDescription) for patches of \(geometry.patchSize)")
        precondition(
            groups >= 1 && geometry.channels % groups == 0 && weight.rows % groups == 0,
            "Conv2d: \(groups) groups for \(geometry.channels) → \(weight.rows) channels")
        self.weight = weight
        self.bias = bias
        self.groups = groups
        self.geometry = geometry
        let g = geometry
        var source = [Int32](repeating: -1, count: g.outPositions * g.patchSize)
        for oy in 0..<g.outHeight {
            for ox in 0..<g.outWidth {
                let row = (oy * g.outWidth + ox) * g.patchSize
                for c in 0..<g.channels {
                    for ky in 0..<g.kernel.h {
                        for kx in 0..<g.kernel.w {
                            let iy = oy * g.stride.h - g.padding.h + ky * g.dilation.h
                            let ix = ox * g.stride.w - g.padding.w + kx * g.dilation.w
                            if iy >= 0 && iy < g.height && ix >= 0 && ix < g.width {
                                source[row + (c * g.kernel.h + ky) * g.kernel.w + kx] = Int32((c * g.height + iy) * g.width + ix)
                            }
                        }
                    }
                }
            }
        }
        patchSource = source
        dense = Self.prefersDense(geometry, outChannels: weight.rows) ? unrolled(weight) : nil
    }

    /// Whether the dense form has no more entries than a product through patches costs, and few
    /// enough to keep (2²²).
    static func prefersDense(_ g: WindowGeometry, outChannels: Int) -> Bool {
        let entries = g.inputSize * outChannels * g.outPositions
        return entries <= g.outPositions * g.patchSize * outChannels && entries <= 1 << 22
    }

    public var outChannels: Int { weight.rows }
    public var outputSize: Int { outChannels * geometry.outPositions }

    /// Every patch of every sample as a row: (N·Ho·Wo) × (C·kh·kw); padding reads as 0.
    public func im2col(_ x: Matrix<T>) -> Matrix<T> {
        let perSample = patchSource.count, inputSize = geometry.inputSize
        // Every entry is written below: padding as a select, not a branch.
        var out = Matrix<T>(unsetRows: x.rows * geometry.outPositions, cols: geometry.patchSize)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                patchSource.withUnsafeBufferPointer { map in
                    // Samples are independent, and a gather is memory-bound: both cores.
                    parallelChunks(x.rows) { _, samples in
                        for n in samples {
                            let (from, to) = (src.baseAddress! + n * inputSize, dst.baseAddress! + n * perSample)
                            for i in 0..<perSample {
                                let m = Int(map[i])
                                let v = from[max(m, 0)]
                                to[i] = m >= 0 ? v : 0
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The adjoint of im2col: adds each patch row back into the [C, H, W] positions it came from.
    public func col2im(_ patches: Matrix<T>, samples: Int) -> Matrix<T> {
        let perSample = patchSource.count, inputSize = geometry.inputSize
        var out = Matrix<T>(rows: samples, cols: inputSize)
        patches.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                patchSource.withUnsafeBufferPointer { map in
                    for n in 0..<samples {
                        let (to, from) = (n * inputSize, n * perSample)
                        for i in 0..<perSample where map[i] >= 0 { dst[to + Int(map[i])] += src[from + i] }
                    }
                }
            }
        }
        return out
    }

    /// (N·Ho·Wo) × O, one row per output position, into torch's [N, O, Ho, Wo] layout.
    public func positionsToChannels(_ z: Matrix<T>, samples: Int) -> Matrix<T> {
        precondition(z.rows == samples * geometry.outPositions, "Conv2d.positionsToChannels: \(z.rows) rows for \(samples) samples")
        return z.channelsFirst(positions: geometry.outPositions)
    }

    /// The inverse of `positionsToChannels`.
    public func channelsToPositions(_ y: Matrix<T>) -> Matrix<T> {
        y.channelsLast(channels: outChannels, positions: geometry.outPositions)
    }

    /// The convolution of `x` with `w` (same geometry), bias left out: the building block that
    /// LRP rules reuse with modified weights.
    public func correlate(_ x: Matrix<T>, weight w: Matrix<T>) -> Matrix<T> {
        positionsToChannels(matmul(im2col(x), w, transposeB: true), samples: x.rows)
    }

    /// The convolution with `kernel` (this geometry's [out, in·kh·kw] shape) as the dense
    /// [out·Ho·Wo, in·H·W] matrix it is on flattened samples: entry (o·P + p, s) is the weight
    /// that output position p of channel o gives input element s, zero where the window does not
    /// reach s (padding included). Channels-first samples times its transpose equal the
    /// convolution without bias.
    public func unrolled(_ kernel: Matrix<T>) -> Matrix<T> {
        precondition(kernel.rows == outChannels && kernel.cols == geometry.patchSize, "Conv2d.unrolled: kernel \(kernel.shapeDescription)")
        let (positions, patch, inputSize) = (geometry.outPositions, geometry.patchSize, geometry.inputSize)
        var dense = Matrix<T>(rows: outChannels * positions, cols: inputSize)
        kernel.withUnsafeBufferPointer { w in
            dense.withUnsafeMutableBufferPointer { d in
                for o in 0..<outChannels {
                    for p in 0..<positions {
                        let row = (o * positions + p) * inputSize
                        for e in 0..<patch where patchSource[p * patch + e] >= 0 {
                            d[row + Int(patchSource[p * patch + e])] = w[o * patch + e]
                        }
                    }
                }
            }
        }
        return dense
    }

    /// A per-channel value (a bias) for every element of a channels-first output.
    public func perOutputElement(_ perChannel: [T]) -> [T] {
        perChannel.flatMap { repeatElement($0, count: geometry.outPositions) }
    }

    /// The adjoint of `correlate` in x: the transposed convolution of output-shaped `g`.
    public func correlateTransposed(_ g: Matrix<T>, weight w: Matrix<T>) -> Matrix<T> {
        col2im(matmul(channelsToPositions(g), w), samples: g.rows)
    }

    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        if let dense {
            // Channels first straight out of the product: no patches, no transpose.
            var y = matmul(x, dense, transposeB: true)
            if let bias { y.addToEachRow(perOutputElement(bias)) }
            return y
        }
        // One product gives each output channel's values at every sample's positions in a row
        // ([O, N·P]); each sample's run of P values is then copied into place with the bias,
        // rather than transposing element by element.
        let y = matmul(weight, im2col(x), transposeB: true)
        let (p, o) = (geometry.outPositions, outChannels)
        var out = Matrix<T>(unsetRows: x.rows, cols: o * p)
        y.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for n in 0..<x.rows {
                    for c in 0..<o {
                        let (from, to) = (src.baseAddress! + c * y.cols + n * p, dst.baseAddress! + (n * o + c) * p)
                        let b = bias?[c] ?? 0
                        for i in 0..<p { to[i] = from[i] + b }
                    }
                }
            }
        }
        return out
    }

    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        let patches = im2col(x)
        let gz = channelsToPositions(g)
        let gw = matmul(gz, patches, transposeA: true)
        let gx = col2im(matmul(gz, weight), samples: x.rows)
        // Only the entries inside each output's group are parameters.
        return (gx, bias == nil ? [compact(gw)] : [compact(gw), gz.columnSums()])
    }

    /// The same convolution with another weight (whole, [out, in·kh·kw]) and bias.
    public func replacing(weight: Matrix<T>, bias: [T]?) -> Conv2d {
        Conv2d(weight: weight, bias: bias, geometry: geometry, groups: groups)
    }

    /// The entries of a whole [out, in·kh·kw] matrix inside each output's group, in torch's
    /// [out, in/groups, kh, kw] order.
    private func compact(_ whole: Matrix<T>) -> [T] {
        guard groups > 1 else { return whole.storage }
        let width = geometry.patchSize / groups, perGroup = outChannels / groups
        return (0..<outChannels).flatMap { o in
            let start = o * geometry.patchSize + (o / perGroup) * width
            return whole.storage[start..<(start + width)]
        }
    }

    /// torch's [out, in/groups, kh, kw] weight as the whole matrix, zero outside the groups.
    public static func whole(_ compact: [T], outChannels: Int, geometry: WindowGeometry, groups: Int) -> Matrix<T> {
        guard groups > 1 else { return Matrix(rows: outChannels, cols: geometry.patchSize, storage: compact) }
        let width = geometry.patchSize / groups, perGroup = outChannels / groups
        var m = Matrix<T>(rows: outChannels, cols: geometry.patchSize)
        m.withUnsafeMutableBufferPointer { dst in
            for o in 0..<outChannels {
                let start = o * geometry.patchSize + (o / perGroup) * width
                for k in 0..<width { dst[start + k] = compact[o * width + k] }
            }
        }
        return m
    }

    var parameters: [(role: String, shape: [Int], values: [T])] {
        let g = geometry
        var p: [(role: String, shape: [Int], values: [T])] = [
            ("weight", [outChannels, g.channels / groups, g.kernel.h, g.kernel.w], compact(weight))
        ]
        if let bias { p.append(("bias", [bias.count], bias)) }
        return p
    }

    mutating func setParameters(_ values: [[T]]) {
        if groups == 1 {
            weight.replaceStorage(values[0])
        } else {
            weight = Self.whole(values[0], outChannels: outChannels, geometry: geometry, groups: groups)
        }
        if bias != nil { bias = values[1] }
    }
}
