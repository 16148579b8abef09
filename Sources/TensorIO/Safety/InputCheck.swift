import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Checks a file the user named as an input before a reader opens it, so that a directory, a
/// device or an unreadable file is refused in one line instead of reaching a library that would
/// spin, block or report it in its own words.
public enum InputCheck {
    public static func readableFile(_ url: URL) throws {
        let path = url.path
        switch PathKind(path) {
        case .missing: throw TensorIOError(file: path, message: "no such file")
        case .directory: throw TensorIOError(file: path, message: "is a directory, not a file")
        case .special: throw TensorIOError(file: path, message: "is not a regular file (a device, pipe or socket)")
        case .regularFile:
            guard access(path, R_OK) == 0 else { throw TensorIOError(file: path, message: "cannot be read: \(errnoString())") }
        }
    }
}
