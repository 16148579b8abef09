import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A buffer a format decoder reads from, and the rule for handing out pieces of it.
///
/// Pieces of an *owned* buffer (a memory-mapped file, or a buffer the decoder made itself) are
/// zero-copy views that keep the buffer alive; pieces of a *borrowed* buffer (a caller's `Data`)
/// are copies, so that the caller's value semantics hold. Either way a piece starts at index 0.
struct ByteSource {
    let data: Data
    let owned: Bool

    /// Below this size a piece is copied: the copy is cheaper than the bookkeeping of a view,
    /// and it guarantees that a view is only ever made of heap- or file-backed storage.
    static let viewThreshold = 4096

    /// Bytes `offset ..< offset + count`, relative to the start of `data`.
    func piece(_ offset: Int, _ count: Int) -> Data {
        precondition(offset >= 0 && count >= 0 && offset + count <= data.count)
        if count == 0 { return Data() }
        let start = data.startIndex + offset
        guard owned, count >= ByteSource.viewThreshold else {
            return data.subdata(in: start..<start + count)
        }
        let owner = data
        return owner.withUnsafeBytes { raw -> Data in
            let p = UnsafeMutableRawPointer(mutating: raw.baseAddress!.advanced(by: offset))
            return Data(
                bytesNoCopy: p, count: count,
                deallocator: .custom { _, _ in
                    withExtendedLifetime(owner) {}
                })
        }
    }
}

enum MappedFile {
    /// Maps `url` and returns it as a `Data` that unmaps when the last piece of it is released.
    ///
    /// With `copyOnWrite` (the default) the mapping is private and writable, so a view that ends up
    /// uniquely referenced can be mutated in place without faulting and without reaching the file.
    /// The kernel may refuse such a mapping when it is larger than memory and swap; then, and
    /// when `copyOnWrite` is false, the mapping is read-only (as Foundation's `.alwaysMapped` is).
    static func map(_ url: URL, copyOnWrite: Bool = true) throws -> ByteSource {
        let path = url.path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TensorIOError(file: path, message: "cannot open: \(errnoString())") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorIOError(file: path, message: "cannot stat: \(errnoString())") }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw TensorIOError(file: path, message: "not a regular file")
        }
        let size = Int(st.st_size)
        if size == 0 { return ByteSource(data: Data(), owned: true) }
        var base = copyOnWrite ? mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0) : MAP_FAILED
        if base == MAP_FAILED { base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0) }
        guard let base, base != MAP_FAILED else {
            throw TensorIOError(file: path, message: "cannot memory-map \(size) bytes: \(errnoString())")
        }
        let data = Data(bytesNoCopy: base, count: size, deallocator: .custom { p, n in _ = munmap(p, n) })
        return ByteSource(data: data, owned: true)
    }
}

func errnoString() -> String { String(cString: strerror(errno)) }

/// Writes files so that readers see either the old file or the complete new one, never a part.
public enum AtomicFile {
    /// Writes `data` to a temporary file in the destination's directory, fsyncs it, moves it to
    /// `url`, then fsyncs the directory. With `replacing: false` an existing file at `url` is
    /// never replaced: the write fails with `AtomicFile.exists` instead (no check-then-write race).
    public static func write(_ data: Data, to url: URL, replacing: Bool = true) throws {
        try write(to: url, replacing: replacing) { fd, tmpPath in
            try data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress!.advanced(by: offset), raw.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw TensorIOError(file: url.path, message: "cannot write: \(errnoString())")
                    }
                    offset += n
                }
            }
        }
    }

    /// The error of a `replacing: false` write whose destination exists.
    public struct Exists: Error {}

    /// The general form: `body` fills the open temporary file (descriptor, path). The temporary
    /// file is registered with `TemporaryFiles`, so an interrupted command removes it.
    static func write(to url: URL, replacing: Bool = true, body: (Int32, String) throws -> Void) throws {
        let path = url.path
        let dir = url.deletingLastPathComponent().path
        let tmpPath = (dir as NSString).appendingPathComponent(
            ".\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0 ... .max))")
        let fd = open(tmpPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw TensorIOError(file: path, message: "cannot create a temporary file in \(dir): \(errnoString())")
        }
        let token = TemporaryFiles.register(tmpPath)
        var closed = false
        var moved = false
        defer {
            if !closed { close(fd) }
            if !moved { unlink(tmpPath) }
            TemporaryFiles.unregister(token)
        }
        try body(fd, tmpPath)
        guard fsync(fd) == 0 else { throw TensorIOError(file: path, message: "cannot write (fsync): \(errnoString())") }
        closed = true
        guard close(fd) == 0 else { throw TensorIOError(file: path, message: "cannot write (close): \(errnoString())") }
        if replacing {
            guard rename(tmpPath, path) == 0 else {
                throw TensorIOError(file: path, message: "cannot rename the temporary file into place: \(errnoString())")
            }
        } else {
            // link() refuses an existing destination atomically, which rename() would replace.
            guard link(tmpPath, path) == 0 else {
                if errno == EEXIST { throw Exists() }
                throw TensorIOError(file: path, message: "cannot link the temporary file into place: \(errnoString())")
            }
            unlink(tmpPath)
        }
        moved = true
        // Make the rename itself durable; failure here does not undo the write.
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}

// MARK: - Byte order

/// Reverses the bytes of each `size`-byte element in place.
func byteSwap(_ raw: UnsafeMutableRawBufferPointer, elementSize size: Int) {
    guard size > 1 else { return }
    let n = raw.count / size
    switch size {
    case 2:
        for i in 0..<n {
            let v = raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)
            raw.storeBytes(of: v.byteSwapped, toByteOffset: i * 2, as: UInt16.self)
        }
    case 4:
        for i in 0..<n {
            let v = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)
            raw.storeBytes(of: v.byteSwapped, toByteOffset: i * 4, as: UInt32.self)
        }
    case 8:
        for i in 0..<n {
            let v = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
            raw.storeBytes(of: v.byteSwapped, toByteOffset: i * 8, as: UInt64.self)
        }
    default:
        for i in 0..<n {
            var a = i * size, b = a + size - 1
            while a < b { raw.swapAt(a, b); a += 1; b -= 1 }
        }
    }
}

/// A copy of `data` with each `size`-byte element byte-reversed.
func byteSwapped(_ data: Data, elementSize size: Int) -> Data {
    var copy = Data(count: data.count)
    copy.withUnsafeMutableBytes { dst in
        data.withUnsafeBytes { src in dst.copyMemory(from: src) }
        byteSwap(dst, elementSize: size)
    }
    return copy
}

extension Data {
    /// Little-endian integer at `offset` from `startIndex`.
    func loadLE<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// Big-endian integer at `offset` from `startIndex`.
    func loadBE<T: FixedWidthInteger>(_ offset: Int, as: T.Type) -> T {
        withUnsafeBytes { T(bigEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    mutating func appendLE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }

    mutating func appendBE<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}
