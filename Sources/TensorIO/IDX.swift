import Foundation

/// Reader and writer for the IDX format of the MNIST files: two zero bytes, a type code, the
/// number of dimensions, each dimension as a big-endian UInt32, then the big-endian data.
/// Types: 0x08 U8, 0x09 I8, 0x0B I16, 0x0C I32, 0x0D F32, 0x0E F64.
public enum IDX {
    static let codes: [(UInt8, DType)] = [(0x08, .u8), (0x09, .i8), (0x0B, .i16), (0x0C, .i32), (0x0D, .f32), (0x0E, .f64)]

    /// Reads an (uncompressed) IDX file by memory-mapping it; U8 and I8 data are views of it.
    public static func read(_ url: URL) throws -> Tensor {
        try decode(MappedFile.map(url), source: url.path)
    }

    /// Decodes IDX bytes; `source` names them in errors.
    public static func decode(_ data: Data, source: String) throws -> Tensor {
        try decode(ByteSource(data: data, owned: false), source: source)
    }

    static func decode(_ src: ByteSource, source: String) throws -> Tensor {
        func fail(_ message: String) -> TensorIOError { TensorIOError(file: source, message: message) }
        let data = src.data
        guard data.count >= 4 else { throw fail("file is too short (\(data.count) bytes) for the 4-byte IDX magic number") }
        let b = Array(data.prefix(4))
        if b[0] == 0x1F && b[1] == 0x8B {
            throw fail("this is a gzip file; decompress it first (gunzip)")
        }
        guard b[0] == 0 && b[1] == 0 else {
            throw fail(String(format: "not an IDX file: the magic number must start with two zero bytes, found 0x%02x 0x%02x", b[0], b[1]))
        }
        guard let dtype = codes.first(where: { $0.0 == b[2] })?.1 else {
            throw fail(
                String(format: "unknown IDX type code 0x%02x (known: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64)", b[2]))
        }
        let rank = Int(b[3])
        let dataOffset = 4 + 4 * rank
        guard data.count >= dataOffset else {
            throw fail("file ends inside the dimensions: \(rank) dimensions need \(dataOffset) header bytes, the file has \(data.count)")
        }
        let shape = (0..<rank).map { Int(data.loadBE(4 + 4 * $0, as: UInt32.self)) }
        let nbytes: Int
        switch storageSize(of: shape, dtype: dtype) {
        case .bad(let message): throw fail(message)
        case .ok(_, let n): nbytes = n
        }
        let available = data.count - dataOffset
        guard available == nbytes else {
            throw fail(
                available < nbytes
                    ? "truncated data: \(dtype.rawValue) \(shapeString(shape)) needs \(nbytes) bytes after the header, found \(available)"
                    : "\(available - nbytes) unexpected bytes after the data of \(dtype.rawValue) \(shapeString(shape))")
        }
        var bytes = src.piece(dataOffset, nbytes)
        if dtype.byteSize > 1 { bytes = byteSwapped(bytes, elementSize: dtype.byteSize) }
        return Tensor(unchecked: shape, dtype: dtype, bytes: bytes)
    }

    /// The IDX bytes of `t`. Throws for dtypes IDX has no code for (I64, F16, BF16, BOOL), or
    /// for more than 255 dimensions or a dimension beyond UInt32.
    public static func encode(_ t: Tensor) throws -> Data {
        guard let code = codes.first(where: { $0.1 == t.dtype })?.0 else {
            throw TensorIOError(
                file: memoryLabel,
                message:
                    "IDX has no type for \(t.dtype.rawValue) (it has U8, I8, I16, I32, F32, F64); convert the tensor first")
        }
        guard t.shape.count <= 255 else {
            throw TensorIOError(file: memoryLabel, message: "IDX allows at most 255 dimensions, the tensor has \(t.shape.count)")
        }
        var out = Data([0, 0, code, UInt8(t.shape.count)])
        for d in t.shape {
            guard let d32 = UInt32(exactly: d) else {
                throw TensorIOError(file: memoryLabel, message: "IDX dimensions are UInt32; \(d) does not fit")
            }
            out.appendBE(d32)
        }
        out.append(t.dtype.byteSize > 1 ? byteSwapped(t.bytes, elementSize: t.dtype.byteSize) : t.bytes)
        return out
    }

    /// Writes `t` atomically (see `encode`).
    public static func write(_ t: Tensor, to url: URL) throws {
        let data: Data
        do {
            data = try encode(t)
        } catch let e as TensorIOError {
            throw TensorIOError(file: url.path, message: e.message)
        }
        try AtomicFile.write(data, to: url)
    }
}
