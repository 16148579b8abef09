import Foundation

/// An error as one plain line. Loupe's own errors say what, where and why; Foundation's errors
/// ("Error Domain=NSCocoaErrorDomain Code=516 …") are reduced to the system's reason ("File
/// exists", "Permission denied") and the path they name, which is what a user can act on.
public func errorText(_ error: Error) -> String {
    let ns = error as NSError
    guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return "\(error)" }
    let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
    var reason: String
    if let underlying = (ns.userInfo[NSUnderlyingErrorKey] as? Error).map({ $0 as NSError }), underlying.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(underlying.code)))
    } else if ns.domain == NSPOSIXErrorDomain {
        reason = String(cString: strerror(Int32(ns.code)))
    } else if ns.domain == NSCocoaErrorDomain {
        switch CocoaError.Code(rawValue: ns.code) {
        case .fileWriteFileExists: reason = "File exists"
        case .fileWriteNoPermission, .fileReadNoPermission: reason = "Permission denied"
        case .fileNoSuchFile, .fileReadNoSuchFile: reason = "No such file or directory"
        case .fileWriteOutOfSpace: reason = "No space left on device"
        case .fileWriteVolumeReadOnly: reason = "Read-only file system"
        case .fileReadCorruptFile: reason = "not in the expected format"
        default: reason = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? "error \(ns.code)"
        }
    } else {
        reason = ns.localizedDescription
    }
    return path.map { "\($0): \(reason)" } ?? reason
}
