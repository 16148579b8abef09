import Foundation

#if _endian(big)
    #error("TensorIO stores tensors little-endian in memory and assumes a little-endian host")
#endif

/// The element types a `Tensor` can hold. Raw values are the safetensors spellings.
public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool: return 1
        }
    }

    /// True for F64, F32, F16 and BF16.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16: return true
        default: return false
        }
    }
}

/// A refused file or value: one line that names the file and, where relevant, the tensor and
/// what was expected against what was found.
public struct TensorIOError: Error, CustomStringConvertible, Equatable, LocalizedError {
    /// The file (path, or a label such as `<tensor>` for values in memory).
    public let file: String
    public let message: String

    public init(file: String, message: String) {
        self.file = file.oneLine
        self.message = message.oneLine
    }

    public var description: String { "\(file): \(message)" }
    public var errorDescription: String? { description }
}

/// The label used in errors about tensors that are not (yet) tied to a file.
let memoryLabel = "<tensor>"

// MARK: - Shapes

/// "[3, 4]"
func shapeString(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }

/// The element count of `shape`, or a message saying why the shape is unusable
/// (a negative dimension, or a product that does not fit in an Int).
func shapeElementCount(of shape: [Int]) -> Result<Int, ShapeProblem> {
    for d in shape where d < 0 { return .failure(.negative(d)) }
    if shape.contains(0) { return .success(0) }
    var n = 1
    for d in shape {
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow { return .failure(.overflow) }
        n = p
    }
    return .success(n)
}

enum ShapeProblem: Error {
    case negative(Int)
    case overflow

    func message(_ shape: [Int]) -> String {
        switch self {
        case .negative(let d): return "shape \(shapeString(shape)) has a negative dimension \(d)"
        case .overflow: return "shape \(shapeString(shape)) has more elements than can be addressed (the product overflows)"
        }
    }
}

/// Element count and byte count of `shape` × `dtype`, overflow-checked, or the reason they are unusable.
func storageSize(of shape: [Int], dtype: DType) -> SizeCheck {
    switch shapeElementCount(of: shape) {
    case .failure(let p): return .bad(p.message(shape))
    case .success(let n):
        let (b, overflow) = n.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow {
            return .bad("shape \(shapeString(shape)) of \(dtype.rawValue) needs more bytes than can be addressed (the product overflows)")
        }
        return .ok(elements: n, bytes: b)
    }
}

enum SizeCheck {
    case ok(elements: Int, bytes: Int)
    case bad(String)
}
