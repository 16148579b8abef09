import Foundation
import LinAlg

/// An n-dimensional array: a shape, an element type and the raw elements.
///
/// `bytes` holds exactly `elementCount * dtype.byteSize` bytes, little-endian, in C (row-major)
/// order. A tensor read from a file by `SafeTensors.read`, `NPY.read` or `IDX.read` may be a
/// zero-copy view of the memory-mapped file; it is still an ordinary `Data` that starts at
/// index 0, and the mapping is private and copy-on-write, so copying or mutating it never touches
/// the file. (Only a file larger than memory plus swap is mapped read-only; see `MappedFile`.)
/// As with any memory-mapped file, truncating the file while tensors from it are alive is unsafe.
public struct Tensor: Sendable, Equatable, CustomStringConvertible {
    public let shape: [Int]
    public let dtype: DType
    public let bytes: Data

    /// A tensor over `bytes`; throws if a dimension is negative, the element count overflows, or
    /// `bytes` does not hold exactly `elementCount * dtype.byteSize` bytes.
    public init(shape: [Int], dtype: DType, bytes: Data) throws {
        try self.init(shape: shape, dtype: dtype, bytes: bytes, file: memoryLabel, name: nil)
    }

    /// The validating initialiser that the readers use, so errors name the file and tensor.
    init(shape: [Int], dtype: DType, bytes: Data, file: String, name: String?) throws {
        let prefix = name.map { "tensor '\($0)': " } ?? ""
        switch storageSize(of: shape, dtype: dtype) {
        case .bad(let message):
            throw TensorIOError(file: file, message: prefix + message)
        case .ok(_, let n):
            guard bytes.count == n else {
                throw TensorIOError(
                    file: file, message: prefix + "\(dtype.rawValue) \(shapeString(shape)) needs \(n) bytes, found \(bytes.count)")
            }
        }
        self.init(unchecked: shape, dtype: dtype, bytes: bytes)
    }

    init(unchecked shape: [Int], dtype: DType, bytes: Data) {
        self.shape = shape
        self.dtype = dtype
        self.bytes = bytes.startIndex == 0 ? bytes : Data(bytes)
    }

    /// An F32 tensor. The number of values must equal the product of `shape`.
    public init(_ values: [Float], shape: [Int]) { self.init(array: values, shape: shape, dtype: .f32) }
    /// An F64 tensor.
    public init(_ values: [Double], shape: [Int]) { self.init(array: values, shape: shape, dtype: .f64) }
    /// An I64 tensor.
    public init(_ values: [Int64], shape: [Int]) { self.init(array: values, shape: shape, dtype: .i64) }
    /// An I32 tensor.
    public init(_ values: [Int32], shape: [Int]) { self.init(array: values, shape: shape, dtype: .i32) }

    /// A 2-d tensor [rows, cols]: F32 for `Matrix<Float>`, F64 for `Matrix<Double>`
    /// (any other `BLASScalar` is stored as F64).
    public init<T: BLASScalar>(_ m: Matrix<T>) {
        if T.self == Float.self {
            self.init(array: m.storage, shape: [m.rows, m.cols], dtype: .f32)
        } else if T.self == Double.self {
            self.init(array: m.storage, shape: [m.rows, m.cols], dtype: .f64)
        } else {
            self.init(array: m.storage.map { Double($0) }, shape: [m.rows, m.cols], dtype: .f64)
        }
    }

    private init<T>(array values: [T], shape: [Int], dtype: DType) {
        guard case .success(let n) = shapeElementCount(of: shape), n == values.count else {
            preconditionFailure("Tensor: \(values.count) values cannot fill shape \(shapeString(shape))")
        }
        self.init(unchecked: shape, dtype: dtype, bytes: values.withUnsafeBytes { Data($0) })
    }

    /// The product of the shape (1 for a 0-d tensor).
    public var elementCount: Int { bytes.count / dtype.byteSize }

    public var description: String { "Tensor(\(dtype.rawValue) \(shapeString(shape)))" }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) throws -> Tensor {
        guard case .success(let n) = shapeElementCount(of: newShape), n == elementCount else {
            throw TensorIOError(
                file: memoryLabel,
                message:
                    "cannot reshape \(dtype.rawValue) \(shapeString(shape)) (\(elementCount) elements) to \(shapeString(newShape))")
        }
        return Tensor(unchecked: newShape, dtype: dtype, bytes: bytes)
    }

    // MARK: Reading the elements

    /// All elements as Float: F16 and BF16 widen exactly, F64 rounds, integers and BOOL (0/1)
    /// convert. F32 is a straight copy.
    public func floats() -> [Float] {
        let n = elementCount
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            bytes.withUnsafeBytes { raw in convertToFloatingPoint(raw, dtype: dtype, count: n, into: out.baseAddress!) }
            count = n
        }
    }

    /// All elements as Double (exact for every dtype but I64 beyond 2^53).
    public func doubles() -> [Double] {
        let n = elementCount
        return [Double](unsafeUninitializedCapacity: n) { out, count in
            bytes.withUnsafeBytes { raw in convertToFloatingPoint(raw, dtype: dtype, count: n, into: out.baseAddress!) }
            count = n
        }
    }

    /// All elements as Int64. Integer and BOOL tensors always convert; a floating-point tensor
    /// converts only if every element is an integer in Int64's range, otherwise this throws
    /// naming the first element that is not.
    public func int64s() throws -> [Int64] {
        let n = elementCount
        var bad: (index: Int, value: Double)?
        let result = [Int64](unsafeUninitializedCapacity: n) { out, count in
            bytes.withUnsafeBytes { raw in bad = convertToInt64(raw, dtype: dtype, count: n, into: out.baseAddress!) }
            count = n
        }
        if let bad {
            throw TensorIOError(
                file: memoryLabel,
                message:
                    "\(dtype.rawValue) \(shapeString(shape)) element \(bad.index) is \(bad.value), not an integer in Int64's range")
        }
        return result
    }

    /// The tensor as a matrix: the first dimension gives the rows and the rest is flattened into
    /// the columns. A 1-d tensor [n] gives an n×1 matrix, a 0-d tensor a 1×1 matrix.
    public func matrix<T: BLASScalar>(_: T.Type = T.self) -> Matrix<T> {
        let rows = shape.first ?? 1
        let cols = shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *)
        let storage: [T]
        if T.self == Float.self {
            storage = unsafeBitCast(floats(), to: [T].self)
        } else if T.self == Double.self {
            storage = unsafeBitCast(doubles(), to: [T].self)
        } else {
            storage = doubles().map { T($0) }
        }
        return Matrix(rows: rows, cols: cols, storage: storage)
    }

    /// The same values in another element type.
    ///
    /// Floating-point targets round to nearest even (BF16 as torch does; F64 → BF16 goes through
    /// F32). Integer targets truncate toward zero and saturate at the type's range; NaN becomes 0.
    /// BOOL is `value != 0` (NaN is true, as in numpy). Integer → integer goes through Int64 exactly.
    public func converted(to target: DType) -> Tensor {
        if target == dtype { return self }
        let n = elementCount
        let out: Data
        if dtype.isFloatingPoint || target.isFloatingPoint {
            if target == .f32 || target == .bf16 || (target == .f16 && dtype != .f64) {
                out = encodeFloats(floats(), as: target)
            } else {
                out = encodeDoubles(doubles(), as: target)
            }
        } else {
            let ints = [Int64](unsafeUninitializedCapacity: n) { buf, count in
                bytes.withUnsafeBytes { raw in _ = convertToInt64(raw, dtype: dtype, count: n, into: buf.baseAddress!) }
                count = n
            }
            out = encodeInt64s(ints, as: target)
        }
        return Tensor(unchecked: shape, dtype: target, bytes: out)
    }
}

// MARK: - Element conversions (little-endian raw bytes)

@inline(__always) func bf16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

/// Float → BF16 bits, round to nearest even; NaN becomes the canonical quiet NaN 0x7FC0 (as torch).
@inline(__always) func floatToBF16(_ f: Float) -> UInt16 {
    if f.isNaN { return 0x7FC0 }
    let b = f.bitPattern
    let rounded = b &+ 0x7FFF &+ ((b >> 16) & 1)
    return UInt16(truncatingIfNeeded: rounded >> 16)
}

/// `n` elements of `dtype` as floating-point numbers (copied as they are when `dtype` is the
/// target's own format; integers and F16/BF16 are exact in both targets).
func convertToFloatingPoint<F: BinaryFloatingPoint>(
    _ raw: UnsafeRawBufferPointer, dtype: DType, count n: Int, into out: UnsafeMutablePointer<F>
) {
    guard n > 0 else { return }
    @inline(__always) func load<S>(_: S.Type, _ convert: (S) -> F) {
        let width = MemoryLayout<S>.size
        for i in 0..<n { out[i] = convert(raw.loadUnaligned(fromByteOffset: i * width, as: S.self)) }
    }
    switch dtype {
    case .f32 where F.self == Float.self, .f64 where F.self == Double.self:
        UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress!, byteCount: n * dtype.byteSize)
    case .f32: load(Float.self) { F($0) }
    case .f64: load(Double.self) { F($0) }
    case .f16: load(UInt16.self) { F(Float16(bitPattern: $0)) }
    case .bf16: load(UInt16.self) { F(bf16ToFloat($0)) }
    case .i64: load(Int64.self) { F($0) }
    case .i32: load(Int32.self) { F($0) }
    case .i16: load(Int16.self) { F($0) }
    case .i8: load(Int8.self) { F($0) }
    case .u8: load(UInt8.self) { F($0) }
    case .bool: load(UInt8.self) { $0 != 0 ? 1 : 0 }
    }
}

/// Converts to Int64; for floating-point input returns the first element that is not an integer
/// in range (those elements are written as 0).
func convertToInt64(
    _ raw: UnsafeRawBufferPointer, dtype: DType, count n: Int,
    into out: UnsafeMutablePointer<Int64>
) -> (index: Int, value: Double)? {
    guard n > 0 else { return nil }
    switch dtype {
    case .i64:
        UnsafeMutableRawPointer(out).copyMemory(from: raw.baseAddress!, byteCount: n * 8)
    case .i32:
        for i in 0..<n { out[i] = Int64(raw.loadUnaligned(fromByteOffset: i * 4, as: Int32.self)) }
    case .i16:
        for i in 0..<n { out[i] = Int64(raw.loadUnaligned(fromByteOffset: i * 2, as: Int16.self)) }
    case .i8:
        for i in 0..<n { out[i] = Int64(Int8(bitPattern: raw[i])) }
    case .u8:
        for i in 0..<n { out[i] = Int64(raw[i]) }
    case .bool:
        for i in 0..<n { out[i] = raw[i] != 0 ? 1 : 0 }
    case .f64, .f32, .f16, .bf16:
        var doubles = [Double](repeating: 0, count: n)
        doubles.withUnsafeMutableBufferPointer { convertToFloatingPoint(raw, dtype: dtype, count: n, into: $0.baseAddress!) }
        var firstBad: (Int, Double)?
        for i in 0..<n {
            if let v = Int64(exactly: doubles[i]) {
                out[i] = v
            } else {
                out[i] = 0
                if firstBad == nil { firstBad = (i, doubles[i]) }
            }
        }
        return firstBad
    }
    return nil
}

/// A number an integer tensor can be written from: converted to an integer type by saturating
/// (and, from a Double, truncating toward zero; NaN becomes 0).
protocol SaturatingSource {
    func saturating<I: FixedWidthInteger>(_: I.Type) -> I
    var isNonZero: Bool { get }
}

extension Double: SaturatingSource {
    @inline(__always) func saturating<I: FixedWidthInteger>(_: I.Type) -> I {
        if isNaN { return 0 }
        if self <= Double(I.min) { return I.min }
        if self >= Double(I.max) { return I.max }
        return I(rounded(.towardZero))
    }
    var isNonZero: Bool { self != 0 }
}

extension Int64: SaturatingSource {
    @inline(__always) func saturating<I: FixedWidthInteger>(_: I.Type) -> I { I(clamping: self) }
    var isNonZero: Bool { self != 0 }
}

private func makeData(count: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> Data {
    var d = Data(count: count)
    d.withUnsafeMutableBytes(fill)
    return d
}

/// Float values encoded as `dtype` (F32, F16, BF16 exactly or by rounding; others via Double).
func encodeFloats(_ v: [Float], as dtype: DType) -> Data {
    let n = v.count
    switch dtype {
    case .f32:
        return v.withUnsafeBytes { Data($0) }
    case .f16:
        return makeData(count: n * 2) { raw in
            for i in 0..<n { raw.storeBytes(of: Float16(v[i]).bitPattern, toByteOffset: i * 2, as: UInt16.self) }
        }
    case .bf16:
        return makeData(count: n * 2) { raw in
            for i in 0..<n { raw.storeBytes(of: floatToBF16(v[i]), toByteOffset: i * 2, as: UInt16.self) }
        }
    default:
        return encodeDoubles(v.map(Double.init), as: dtype)
    }
}

/// Double values encoded as `dtype` (see `Tensor.converted(to:)` for the rounding rules).
func encodeDoubles(_ v: [Double], as dtype: DType) -> Data {
    switch dtype {
    case .f64: return v.withUnsafeBytes { Data($0) }
    case .f32: return encodeFloats(v.map(Float.init), as: .f32)
    case .bf16: return encodeFloats(v.map(Float.init), as: .bf16)
    case .f16:
        return makeData(count: v.count * 2) { raw in
            for i in v.indices { raw.storeBytes(of: Float16(v[i]).bitPattern, toByteOffset: i * 2, as: UInt16.self) }
        }
    case .i64, .i32, .i16, .i8, .u8, .bool: return encodeIntegers(v, as: dtype)
    }
}

/// Int64 values encoded as an integer dtype (saturating) or BOOL; float targets go through Double.
func encodeInt64s(_ v: [Int64], as dtype: DType) -> Data {
    switch dtype {
    case .i64: return v.withUnsafeBytes { Data($0) }
    case .i32, .i16, .i8, .u8, .bool: return encodeIntegers(v, as: dtype)
    case .f64, .f32, .f16, .bf16: return encodeDoubles(v.map(Double.init), as: dtype)
    }
}

/// Numbers encoded as an integer dtype, each saturated to its range, or as BOOL (1 where
/// non-zero). `dtype` must be one of those.
private func encodeIntegers<S: SaturatingSource>(_ v: [S], as dtype: DType) -> Data {
    func encode<I: FixedWidthInteger>(_: I.Type, _ value: (S) -> I = { $0.saturating(I.self) }) -> Data {
        let width = MemoryLayout<I>.size
        return makeData(count: v.count * width) { raw in
            for i in v.indices { raw.storeBytes(of: value(v[i]).littleEndian, toByteOffset: i * width, as: I.self) }
        }
    }
    switch dtype {
    case .i64: return encode(Int64.self)
    case .i32: return encode(Int32.self)
    case .i16: return encode(Int16.self)
    case .i8: return encode(Int8.self)
    case .u8: return encode(UInt8.self)
    case .bool: return encode(UInt8.self) { $0.isNonZero ? 1 : 0 }
    case .f64, .f32, .f16, .bf16: preconditionFailure("encodeIntegers: \(dtype) is not an integer dtype")
    }
}
