import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// What is at a path, for the checks that keep users' files safe.
public enum PathKind: Equatable, Sendable {
    case missing
    case regularFile
    case directory
    /// A device, FIFO or socket: never read as data, never written over.
    case special

    public init(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { self = .missing; return }
        switch st.st_mode & S_IFMT {
        case S_IFREG: self = .regularFile
        case S_IFDIR: self = .directory
        default: self = .special
        }
    }
}
