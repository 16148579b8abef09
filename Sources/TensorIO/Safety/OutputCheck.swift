import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The rules every file Loupe writes obeys, checked before any work starts (a refusal after an
/// hour of training would be of little comfort):
///
/// - an output never replaces one of the command's own inputs, whatever path names it;
/// - an existing file is replaced only when the user says so (`--force`): Loupe cannot tell a
///   file it wrote from one the user made, and a user's files are not Loupe's to overwrite;
/// - the output's directory must exist: a mistyped path is refused rather than silently
///   creating a tree of directories somewhere unexpected.
///
/// The write itself then goes through `AtomicFile`, so even a refused or interrupted write
/// never leaves a partial file behind.
public enum OutputCheck {
    /// An input of the command, named by its role in messages ("the model", "the data").
    public struct Input: Sendable {
        public var role: String
        public var url: URL
        public init(_ role: String, _ url: URL) {
            self.role = role
            self.url = url
        }
    }

    /// Checks `path` as the destination of one file; returns its URL. `option` names where the
    /// path came from (`--out`) in messages.
    @discardableResult
    public static func file(_ path: String, option: String = "--out", inputs: [Input], force: Bool) throws -> URL {
        let url = URL(fileURLWithPath: path)
        try checkParent(of: url, option: option)
        if let input = clash(url, inputs) {
            throw TensorIOError(file: path, message: "\(option) would overwrite \(input.role) this command reads; write to another file")
        }
        switch PathKind(url.path) {
        case .missing: break
        case .directory: throw TensorIOError(file: path, message: "\(option) names a directory; give a file name")
        case .special: throw TensorIOError(file: path, message: "\(option) names a device, pipe or socket; give a regular file")
        case .regularFile:
            guard force else {
                throw TensorIOError(file: path, message: "already exists; pass --force to replace it, or choose another \(option)")
            }
        }
        return url
    }

    /// Checks `path` as a directory the command creates or fills with `files` (an SAE directory
    /// holds cfg.json and its weights); other files in it are left alone. Returns its URL.
    @discardableResult
    public static func directory(_ path: String, option: String = "--out", writing files: [String], inputs: [Input], force: Bool) throws
        -> URL
    {
        let url = URL(fileURLWithPath: path)
        try checkParent(of: url, option: option)
        switch PathKind(url.path) {
        case .missing: return url
        case .directory: break
        case .regularFile:
            throw TensorIOError(file: path, message: "\(option) names an existing file; it must be a directory (new or existing)")
        case .special: throw TensorIOError(file: path, message: "\(option) names a device, pipe or socket; give a directory")
        }
        for name in files {
            let target = url.appendingPathComponent(name)
            if let input = clash(target, inputs) {
                throw TensorIOError(
                    file: target.path, message: "\(option) would overwrite \(input.role) this command reads; write to another directory")
            }
            if PathKind(target.path) != .missing && !force {
                throw TensorIOError(file: path, message: "already holds \(name); pass --force to replace it, or choose another \(option)")
            }
        }
        return url
    }

    /// The input that `url` is (the same file on disk), if any.
    public static func clash(_ url: URL, _ inputs: [Input]) -> Input? {
        guard let target = FileIdentity(path: url.path) else { return nil }
        return inputs.first { FileIdentity(path: $0.url.path) == target }
    }

    /// The input that lies inside directory `url` (which a command would replace), if any.
    public static func inputInside(_ url: URL, _ inputs: [Input]) -> Input? {
        let root = url.resolvingSymlinksInPath().standardizedFileURL.path
        let prefix = root.hasSuffix("/") ? root : root + "/"
        return inputs.first { $0.url.resolvingSymlinksInPath().standardizedFileURL.path.hasPrefix(prefix) }
    }

    /// Refuses `url` when its folder is missing, not a folder, or cannot be written in. The
    /// last is tried for real (a file is made and removed): permissions alone do not tell, for
    /// root or on a read-only or virtual file system, and a refusal after an hour's work would.
    public static func checkParent(of url: URL, option: String) throws {
        let parent = url.deletingLastPathComponent().path
        switch PathKind(parent) {
        case .directory:
            let probe = (parent as NSString).appendingPathComponent(".loupe-write-check-\(getpid())-\(UInt32.random(in: 0 ... .max))")
            let fd = open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else {
                throw TensorIOError(file: url.path, message: "\(option): cannot write in \(parent): \(errnoString())")
            }
            close(fd)
            unlink(probe)
        case .missing:
            throw TensorIOError(file: url.path, message: "\(option): no directory \(parent); create it first")
        default:
            throw TensorIOError(file: url.path, message: "\(option): \(parent) is not a directory")
        }
    }
}
