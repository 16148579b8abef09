import Crypto
import Foundation

/// SHA-256 of files, read in chunks so large models and data sets are never held whole. Sessions
/// and reports record the digests of their inputs, to notice when a file changed.
public enum FileDigest {
    public static func sha256(_ url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw WorkbenchError("\(url.path): cannot open the file to compute its digest")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
