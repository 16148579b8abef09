import Foundation

/// Reader and writer for numpy's `.npy` format (versions 1.0, 2.0 and 3.0).
///
/// Reading accepts little- and big-endian (byte-swapped on read) and native dtypes f8 f4 f2 i8
/// i4 i2 i1 u1 b1, in C or Fortran order (Fortran order is rearranged into C order on read).
/// Writing produces exactly what `np.save` writes: a version 1.0 header (2.0 if it would not
/// fit), little-endian, C order. BF16 has no numpy dtype and is widened to `<f4` on write.
public enum NPY {
    /// Reads a file by memory-mapping it. A little-endian C-order array is a view of the mapping;
    /// big-endian or Fortran-order data is converted into a new buffer.
    public static func read(_ url: URL) throws -> Tensor {
        try decode(MappedFile.map(url), source: url.path)
    }

    /// Decodes `.npy` bytes; `source` names them in errors.
    public static func decode(_ data: Data, source: String) throws -> Tensor {
        try decode(ByteSource(data: data, owned: false), source: source)
    }

    static func decode(_ src: ByteSource, source: String) throws -> Tensor {
        let h = try NPYHeader.parse(src.data, source: source)
        let available = src.data.count - h.dataOffset
        guard available >= h.byteCount else {
            throw TensorIOError(
                file: source,
                message:
                    "truncated data: \(h.descr) \(shapeString(h.shape)) needs \(h.byteCount) bytes after the header, found \(available)")
        }
        guard available == h.byteCount else {
            throw TensorIOError(
                file: source,
                message:
                    "\(available - h.byteCount) unexpected bytes after the data of \(h.descr) \(shapeString(h.shape)) (corrupt file?)")
        }
        var bytes = src.piece(h.dataOffset, h.byteCount)
        if h.bigEndian { bytes = byteSwapped(bytes, elementSize: h.dtype.byteSize) }
        if h.fortranOrder && h.shape.count > 1 {
            bytes = fortranToC(bytes, shape: h.shape, elementSize: h.dtype.byteSize)
        }
        return Tensor(unchecked: h.shape, dtype: h.dtype, bytes: bytes)
    }

    /// The `.npy` bytes of `t`, as `np.save` writes them.
    public static func encode(_ t: Tensor) -> Data {
        let t = t.dtype == .bf16 ? t.converted(to: .f32) : t
        let descr: String
        switch t.dtype {
        case .f64: descr = "<f8"
        case .f32, .bf16: descr = "<f4"
        case .f16: descr = "<f2"
        case .i64: descr = "<i8"
        case .i32: descr = "<i4"
        case .i16: descr = "<i2"
        case .i8: descr = "|i1"
        case .u8: descr = "|u1"
        case .bool: descr = "|b1"
        }
        let shapeRepr: String
        switch t.shape.count {
        case 0: shapeRepr = "()"
        case 1: shapeRepr = "(\(t.shape[0]),)"
        default: shapeRepr = "(" + t.shape.map(String.init).joined(separator: ", ") + ")"
        }
        var dict = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeRepr), }"
        // numpy leaves room for the first dimension to grow to 21 digits.
        if let first = t.shape.first { dict += String(repeating: " ", count: max(0, 21 - String(first).count)) }
        var out = Data([0x93] + Array("NUMPY".utf8))
        // header + padding + "\n" makes the preamble a multiple of 64 bytes.
        func padded(_ prefix: Int) -> Int { dict.utf8.count + 1 + (64 - (prefix + dict.utf8.count + 1) % 64) }
        var headerLength = padded(10)
        if headerLength <= Int(UInt16.max) {
            out.append(contentsOf: [1, 0])
            out.appendLE(UInt16(headerLength))
        } else {
            headerLength = padded(12)
            out.append(contentsOf: [2, 0])
            out.appendLE(UInt32(headerLength))
        }
        out.append(contentsOf: Array(dict.utf8))
        out.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: headerLength - dict.utf8.count - 1))
        out.append(UInt8(ascii: "\n"))
        out.append(t.bytes)
        return out
    }

    /// Writes `t` atomically (BF16 is widened to F32; see `encode`).
    public static func write(_ t: Tensor, to url: URL) throws {
        try AtomicFile.write(encode(t), to: url)
    }
}

/// A parsed `.npy` preamble.
struct NPYHeader {
    var descr: String
    var dtype: DType
    var bigEndian: Bool
    var fortranOrder: Bool
    var shape: [Int]
    var elementCount: Int
    var byteCount: Int
    var dataOffset: Int

    static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)

    static func parse(_ data: Data, source: String) throws -> NPYHeader {
        func fail(_ message: String) -> TensorIOError { TensorIOError(file: source, message: message) }
        guard data.count >= 10, Array(data.prefix(6)) == magic else {
            throw fail("not a .npy file: it does not start with the magic bytes \\x93NUMPY")
        }
        let major = data[data.startIndex + 6], minor = data[data.startIndex + 7]
        let lengthSize: Int
        switch major {
        case 1: lengthSize = 2
        case 2, 3: lengthSize = 4
        default: throw fail("unsupported .npy format version \(major).\(minor) (supported: 1.0, 2.0, 3.0)")
        }
        guard data.count >= 8 + lengthSize else { throw fail("file ends inside the header length") }
        let headerLength = lengthSize == 2 ? Int(data.loadLE(8, as: UInt16.self)) : Int(data.loadLE(8, as: UInt32.self))
        let headerStart = 8 + lengthSize
        guard headerStart + headerLength <= data.count else {
            throw fail("header length \(headerLength) extends beyond the end of the file (\(data.count) bytes)")
        }
        let headerBytes = Array(data[data.startIndex + headerStart..<data.startIndex + headerStart + headerLength])
        if major == 3, String(bytes: headerBytes, encoding: .utf8) == nil {
            throw fail("header is not valid UTF-8")
        }
        let value: PyValue
        do {
            var parser = PyLiteralParser(headerBytes)
            value = try parser.parseTop()
        } catch let e as PyLiteralParser.Failure {
            throw fail("bad header dictionary: \(e.message)")
        }
        guard case .dict(let items) = value else { throw fail("bad header: expected a dictionary, found \(value.kind)") }
        var dict: [String: PyValue] = [:]
        for (k, v) in items { dict[k] = v }
        let keys = Set(dict.keys)
        guard keys == ["descr", "fortran_order", "shape"] else {
            throw fail("bad header: keys are \(keys.sorted()), expected ['descr', 'fortran_order', 'shape']")
        }
        let descr: String
        switch dict["descr"]! {
        case .str(let s): descr = s
        case .list: throw fail("structured dtypes (a list of fields in 'descr') are not supported; save a plain numeric array")
        case let other: throw fail("bad header: 'descr' must be a string, found \(other.kind)")
        }
        guard case .bool(let fortran) = dict["fortran_order"]! else {
            throw fail("bad header: 'fortran_order' must be True or False, found \(dict["fortran_order"]!.kind)")
        }
        guard case .tuple(let dims) = dict["shape"]! else {
            throw fail("bad header: 'shape' must be a tuple of integers, found \(dict["shape"]!.kind)")
        }
        var shape: [Int] = []
        for d in dims {
            guard case .int(let n) = d else { throw fail("bad header: 'shape' entries must be integers, found \(d.kind)") }
            shape.append(n)
        }
        guard let (dtype, bigEndian) = parseDescr(descr) else {
            throw fail("unsupported dtype '\(descr)' (supported: f8 f4 f2 i8 i4 i2 i1 u1 b1, either byte order)")
        }
        switch storageSize(of: shape, dtype: dtype) {
        case .bad(let message): throw fail(message)
        case .ok(let n, let b):
            return NPYHeader(
                descr: descr, dtype: dtype, bigEndian: bigEndian, fortranOrder: fortran, shape: shape,
                elementCount: n, byteCount: b, dataOffset: headerStart + headerLength)
        }
    }

    /// "<f4" → (F32, little-endian). Returns nil for anything unsupported.
    static func parseDescr(_ descr: String) -> (DType, Bool)? {
        var body = Substring(descr)
        var bigEndian = false
        if let c = body.first, "<>|=".contains(c) {
            bigEndian = c == ">"
            body = body.dropFirst()
        }
        let dtype: DType
        switch body {
        case "f8": dtype = .f64
        case "f4": dtype = .f32
        case "f2": dtype = .f16
        case "i8": dtype = .i64
        case "i4": dtype = .i32
        case "i2": dtype = .i16
        case "i1": dtype = .i8
        case "u1": dtype = .u8
        case "b1", "?": dtype = .bool
        default: return nil
        }
        return (dtype, bigEndian && dtype.byteSize > 1)
    }
}

/// Rearranges Fortran-order (first index fastest) elements into C order.
func fortranToC(_ data: Data, shape: [Int], elementSize size: Int) -> Data {
    let n = data.count / size
    guard n > 0 else { return data }
    var out = Data(count: data.count)
    out.withUnsafeMutableBytes { dst in
        data.withUnsafeBytes { src in
            FortranOrder.walk(shape, strides: FortranOrder.strides(shape), count: n) { i, offset in
                (dst.baseAddress! + i * size).copyMemory(from: src.baseAddress! + offset * size, byteCount: size)
            }
        }
    }
    return out
}

// MARK: - The header's Python literal

indirect enum PyValue {
    case str(String), int(Int), bool(Bool), none
    case tuple([PyValue]), list([PyValue]), dict([(String, PyValue)])

    var kind: String {
        switch self {
        case .str(let s): return "the string '\(s)'"
        case .int(let n): return "the integer \(n)"
        case .bool(let b): return b ? "True" : "False"
        case .none: return "None"
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dictionary"
        }
    }
}

/// Parses the Python literal subset numpy writes in `.npy` headers: dicts, tuples, lists,
/// strings, integers (with an optional Python 2 `L`), True, False and None.
struct PyLiteralParser {
    struct Failure: Error { let message: String }
    let s: [UInt8]
    var i = 0
    var depth = 0

    init(_ bytes: [UInt8]) { s = bytes }

    mutating func parseTop() throws -> PyValue {
        let v = try parseValue()
        skipSpace()
        guard i == s.count else { throw Failure(message: "unexpected \(here) after the dictionary") }
        return v
    }

    var here: String {
        guard i < s.count else { return "end of header" }
        let c = s[i]
        let shown = c >= 0x20 && c < 0x7F ? "'\(Character(UnicodeScalar(c)))'" : String(format: "byte 0x%02x", c)
        return "\(shown) at offset \(i)"
    }

    mutating func skipSpace() {
        while i < s.count, s[i] == 0x20 || s[i] == 0x0A || s[i] == 0x0D || s[i] == 0x09 { i += 1 }
    }

    mutating func parseValue() throws -> PyValue {
        skipSpace()
        guard i < s.count else { throw Failure(message: "header ends where a value was expected") }
        depth += 1
        defer { depth -= 1 }
        guard depth < 64 else { throw Failure(message: "header nests too deeply") }
        switch s[i] {
        case UInt8(ascii: "{"):
            i += 1
            var items: [(String, PyValue)] = []
            while true {
                skipSpace()
                if i < s.count, s[i] == UInt8(ascii: "}") { i += 1; return .dict(items) }
                guard case .str(let key) = try parseValue() else {
                    throw Failure(message: "dictionary keys must be strings (near offset \(i))")
                }
                skipSpace()
                guard i < s.count, s[i] == UInt8(ascii: ":") else { throw Failure(message: "expected ':' but found \(here)") }
                i += 1
                items.append((key, try parseValue()))
                skipSpace()
                if i < s.count, s[i] == UInt8(ascii: ",") { i += 1; continue }
                guard i < s.count, s[i] == UInt8(ascii: "}") else { throw Failure(message: "expected ',' or '}' but found \(here)") }
            }
        case UInt8(ascii: "("), UInt8(ascii: "["):
            let close = s[i] == UInt8(ascii: "(") ? UInt8(ascii: ")") : UInt8(ascii: "]")
            let isTuple = s[i] == UInt8(ascii: "(")
            i += 1
            var items: [PyValue] = []
            var sawComma = false
            while true {
                skipSpace()
                if i < s.count, s[i] == close { i += 1; break }
                items.append(try parseValue())
                skipSpace()
                if i < s.count, s[i] == UInt8(ascii: ",") { i += 1; sawComma = true; continue }
                guard i < s.count, s[i] == close else {
                    throw Failure(message: "expected ',' or '\(Character(UnicodeScalar(close)))' but found \(here)")
                }
            }
            if isTuple && items.count == 1 && !sawComma { return items[0] }  // (x) is just x
            return isTuple ? .tuple(items) : .list(items)
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            let quote = s[i]
            i += 1
            var bytes: [UInt8] = []
            while i < s.count, s[i] != quote {
                if s[i] == UInt8(ascii: "\\"), i + 1 < s.count { i += 1 }
                bytes.append(s[i])
                i += 1
            }
            guard i < s.count else { throw Failure(message: "unterminated string") }
            i += 1
            return .str(String(decoding: bytes, as: UTF8.self))
        case UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = i
            if s[i] == UInt8(ascii: "-") || s[i] == UInt8(ascii: "+") { i += 1 }
            let digitsStart = i
            while i < s.count, s[i] >= UInt8(ascii: "0"), s[i] <= UInt8(ascii: "9") { i += 1 }
            guard i > digitsStart else { throw Failure(message: "expected digits at offset \(start)") }
            let text = String(decoding: s[start..<i], as: UTF8.self)
            if i < s.count, s[i] == UInt8(ascii: "L") || s[i] == UInt8(ascii: "l") { i += 1 }
            if i < s.count, s[i] == UInt8(ascii: ".") || s[i] == UInt8(ascii: "e") || s[i] == UInt8(ascii: "E") {
                throw Failure(message: "expected an integer at offset \(start), found a float")
            }
            guard let n = Int(text) else { throw Failure(message: "integer \(text) is out of range") }
            return .int(n)
        default:
            let start = i
            while i < s.count,
                (s[i] >= UInt8(ascii: "A") && s[i] <= UInt8(ascii: "Z")) || (s[i] >= UInt8(ascii: "a") && s[i] <= UInt8(ascii: "z"))
                    || s[i] == UInt8(ascii: "_")
            { i += 1 }
            switch String(decoding: s[start..<i], as: UTF8.self) {
            case "True": return .bool(true)
            case "False": return .bool(false)
            case "None": return .none
            case "": throw Failure(message: "unexpected \(here)")
            case let word: throw Failure(message: "unexpected name '\(word)' at offset \(start)")
            }
        }
    }
}
