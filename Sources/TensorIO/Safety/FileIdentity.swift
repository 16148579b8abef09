import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file's identity on disk: its device and inode. Two paths name the same file, whether through
/// a symbolic link, a hard link, `..` or another spelling, exactly when their identities are equal,
/// so this is how an output is recognised as one of a command's inputs.
public struct FileIdentity: Hashable, Sendable {
    let device: UInt64
    let inode: UInt64

    /// The identity of what `path` names (following symbolic links), or nil when nothing is there.
    public init?(path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
    }
}
