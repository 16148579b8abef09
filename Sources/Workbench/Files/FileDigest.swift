import CCrypto
import Foundation

/// SHA-256 of files, read in chunks so large models and data sets are never held whole. Sessions
/// and reports record the digests of their inputs, to notice when a file changed.
public enum FileDigest {
    public static func sha256(_ url: URL) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: url.path) else {
            throw WorkbenchError("\(url.path): cannot open the file to compute its digest")
        }
        defer { try? handle.close() }
        var digest = SHA256Digest()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { digest.update(chunk) }
        return digest.hex()
    }

    public static func sha256(_ data: Data) -> String {
        var digest = SHA256Digest()
        digest.update(data)
        return digest.hex()
    }
}

/// An incremental SHA-256 through libcrypto's EVP interface.
private struct SHA256Digest: ~Copyable {
    private let context: OpaquePointer

    init() {
        // Allocation and initialisation of a built-in digest fail only when memory does.
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("libcrypto: cannot start a SHA-256 digest")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    mutating func update(_ data: Data) {
        data.withUnsafeBytes { raw in _ = EVP_DigestUpdate(context, raw.baseAddress, raw.count) }
    }

    consuming func hex() -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        _ = EVP_DigestFinal_ex(context, &out, &length)
        return out.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }
}
