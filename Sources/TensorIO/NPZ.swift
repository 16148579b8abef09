import Foundation
import ZIPFoundation

/// Reader and writer for numpy's `.npz` archives (zip files of `.npy` members).
public enum NPZ {
    /// Reads every `.npy` member, stored or deflated (as `np.savez` and `np.savez_compressed`
    /// write them). Keys are member names without ".npy"; members with other names are skipped.
    public static func read(_ url: URL) throws -> [String: Tensor] {
        let path = url.path
        try InputCheck.readableFile(url)
        // From the file, never from memory: ZIPFoundation 0.9's in-memory archive traps on some
        // malformed central directories that its file reader refuses (found by loupe-fuzz).
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw TensorIOError(file: path, message: "not a valid .npz (zip) archive: \(zipErrorText(error))")
        }
        var tensors: [String: Tensor] = [:]
        for entry in archive where entry.type == .file && entry.path.hasSuffix(".npy") {
            let name = String(entry.path.dropLast(4))
            let member = "\(path)[\(entry.path)]"
            // Members are extracted into memory: their declared sizes are checked first.
            try MemoryBudget.check(
                entry.uncompressedSize <= UInt64(Int.max) ? Int(entry.uncompressedSize) : nil,
                for: "\(member): the member")
            var bytes = Data()
            bytes.reserveCapacity(Int(min(entry.uncompressedSize, 1 << 30)))
            let checksum: CRC32
            // A member that inflates beyond its declared size (a zip bomb) is cut off there.
            struct Overflow: Error {}
            do {
                checksum = try archive.extract(entry) { chunk in
                    guard UInt64(bytes.count + chunk.count) <= entry.uncompressedSize else { throw Overflow() }
                    bytes.append(chunk)
                }
            } catch is Overflow {
                throw TensorIOError(
                    file: member, message: "inflates beyond the \(entry.uncompressedSize) bytes the archive declares (corrupt archive)")
            } catch {
                throw TensorIOError(file: member, message: "cannot extract: \(zipErrorText(error))")
            }
            guard UInt64(bytes.count) == entry.uncompressedSize else {
                throw TensorIOError(
                    file: member,
                    message:
                        "extracted \(bytes.count) bytes but the archive declares \(entry.uncompressedSize) (corrupt archive)")
            }
            guard checksum == entry.checksum else {
                throw TensorIOError(
                    file: member,
                    message: String(
                        format:
                            "CRC-32 mismatch: the archive declares %08x, the data gives %08x (corrupt archive)", entry.checksum, checksum))
            }
            // The extracted buffer is ours alone, so the tensor can be a view of it.
            tensors[name] = try NPY.decode(ByteSource(data: bytes, owned: true), source: member)
        }
        return tensors
    }

    /// Writes `tensors` as "NAME.npy" members in name order, atomically. `compressed: false`
    /// stores members as `np.savez` does; `true` deflates them as `np.savez_compressed` does.
    public static func write(_ tensors: [String: Tensor], to url: URL, compressed: Bool = false) throws {
        let archive: Archive
        do {
            archive = try Archive(data: Data(), accessMode: .create)
        } catch {
            throw TensorIOError(file: url.path, message: "cannot create an archive in memory: \(zipErrorText(error))")
        }
        // A fixed timestamp keeps the output reproducible.
        let date = Date(timeIntervalSince1970: 315_532_800)  // 1980-01-01, the earliest zip date
        for name in tensors.keys.sorted() {
            let npy = NPY.encode(tensors[name]!)
            do {
                try archive.addEntry(
                    with: name + ".npy", type: .file, uncompressedSize: Int64(npy.count),
                    modificationDate: date,
                    compressionMethod: compressed ? .deflate : .none
                ) { position, size in
                    let start = Int(position)
                    return npy.subdata(in: start..<min(start + size, npy.count))
                }
            } catch {
                throw TensorIOError(file: url.path, message: "cannot add tensor '\(name)': \(zipErrorText(error))")
            }
        }
        guard let data = archive.data else {
            throw TensorIOError(file: url.path, message: "the in-memory archive has no data")
        }
        try AtomicFile.write(data, to: url)
    }
}

func zipErrorText(_ error: Error) -> String {
    if let e = error as? Archive.ArchiveError {
        switch e {
        case .unreadableArchive: return "unreadable archive (no zip end-of-central-directory record; is it a zip file?)"
        case .missingEndOfCentralDirectoryRecord: return "missing zip end-of-central-directory record (not a zip file, or truncated)"
        case .invalidCRC32: return "CRC-32 checksum mismatch (corrupt member)"
        case .invalidCompressionMethod: return "unsupported compression method (only stored and deflated members are supported)"
        default: return "\(e)"
        }
    }
    return "\(error)"
}
