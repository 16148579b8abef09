import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A `.npy` of rows written as they are computed, for outputs larger than memory: rows go
/// straight to a temporary file beside the destination, whose header (laid out by `NPY.encode`
/// with room for the row count to grow to 21 digits, as numpy leaves it) is rewritten with the
/// final count before the file is moved into place. Nothing appears at the destination unless
/// every row was written.
public final class NPYStream {
    private let fd: Int32
    private let path: String
    public let width: Int
    public let dtype: DType
    public private(set) var rows = 0

    private init(fd: Int32, path: String, width: Int, dtype: DType) {
        self.fd = fd
        self.path = path
        self.width = width
        self.dtype = dtype
    }

    /// Writes `url` as a [rows, width] array of `dtype` (f32 or i64) from what `body` appends;
    /// returns the number of rows. With `replacing: false` an existing file is never replaced.
    @discardableResult
    public static func write(to url: URL, width: Int, dtype: DType, replacing: Bool = true, _ body: (NPYStream) throws -> Void) throws
        -> Int
    {
        precondition(dtype == .f32 || dtype == .i64, "NPYStream: f32 or i64 rows")
        var count = 0
        try AtomicFile.write(to: url, replacing: replacing) { fd, _ in
            let stream = NPYStream(fd: fd, path: url.path, width: width, dtype: dtype)
            // Written, not pwritten: the rows follow it from the file's offset.
            try stream.put(stream.header(rows: 0), at: nil)
            try body(stream)
            // The same header length for any row count: rewrite it in place.
            try stream.put(stream.header(rows: stream.rows), at: 0)
            count = stream.rows
        }
        return count
    }

    private func header(rows: Int) -> Data {
        // Only the preamble: encode appends the tensor's bytes, and there are none here.
        NPY.encode(Tensor(unchecked: [rows, width], dtype: dtype, bytes: Data()))
    }

    /// Appends rows given as one flat array of whole rows.
    public func append(_ values: [Float]) throws {
        precondition(dtype == .f32 && values.count % max(width, 1) == 0, "NPYStream.append: whole f32 rows")
        try values.withUnsafeBytes { try put($0, at: nil) }
        rows += width == 0 ? 0 : values.count / width
    }

    public func append(_ values: [Int64]) throws {
        precondition(dtype == .i64 && values.count % max(width, 1) == 0, "NPYStream.append: whole i64 rows")
        try values.map(\.littleEndian).withUnsafeBytes { try put($0, at: nil) }
        rows += width == 0 ? 0 : values.count / width
    }

    private func put(_ data: Data, at offset: Int?) throws { try data.withUnsafeBytes { try put($0, at: offset) } }

    /// Writes every byte, at `offset` (pwrite) or at the end.
    private func put(_ raw: UnsafeRawBufferPointer, at offset: Int?) throws {
        var done = 0
        while done < raw.count {
            let n =
                offset.map { pwrite(fd, raw.baseAddress!.advanced(by: done), raw.count - done, off_t($0 + done)) }
                ?? Glibc.write(fd, raw.baseAddress!.advanced(by: done), raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TensorIOError(file: path, message: "cannot write: \(errnoString())")
            }
            done += n
        }
    }
}
