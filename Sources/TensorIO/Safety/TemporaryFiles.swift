import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The temporary files and directories Loupe is writing right now (an atomic write's temporary
/// file, a report's staging directory), so that an interrupted command removes them instead of
/// leaving hidden debris beside the user's files.
///
/// `removeOnSignals()` turns SIGINT, SIGTERM and SIGHUP into: remove every registered path, then
/// die of the same signal (so the shell sees the usual exit status). The handler runs on a
/// dispatch queue, not in signal context, so it may take locks and call the file system.
public enum TemporaryFiles {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var paths: [Int: String] = [:]
    nonisolated(unsafe) private static var nextToken = 0
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    nonisolated(unsafe) private static var terminating = false

    /// Registers `path` (a file or a directory Loupe created); returns the token to unregister it.
    public static func register(_ path: String) -> Int {
        locked {
            nextToken += 1
            paths[nextToken] = path
            return nextToken
        }
    }

    /// Forgets a path: it was renamed into place or removed by its writer.
    public static func unregister(_ token: Int) {
        locked { _ = paths.removeValue(forKey: token) }
    }

    /// The paths registered now (for tests).
    public static var registered: [String] { locked { Array(paths.values) } }

    /// Removes every registered path (directories with their contents: they are Loupe's own).
    public static func removeAll() {
        let all = locked { () -> [String] in
            let p = Array(paths.values)
            paths.removeAll()
            return p
        }
        for path in all { try? FileManager.default.removeItem(atPath: path) }
    }

    /// Installs the cleanup for SIGINT, SIGTERM and SIGHUP (once; later calls do nothing).
    public static func removeOnSignals() {
        locked {
            guard sources.isEmpty else { return }
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                signal(sig, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: sig, queue: .global(qos: .userInitiated))
                source.setEventHandler {
                    locked { terminating = true }
                    removeAll()
                    signal(sig, SIG_DFL)
                    kill(getpid(), sig)  // process-directed: dispatch threads block signals
                }
                source.resume()
                sources.append(source)
            }
        }
    }

    /// Whether a signal is ending the process. The work the cleanup pulled files from under may
    /// fail meanwhile; its error is not worth reporting, so the main thread waits here to die of
    /// the signal instead of printing it.
    public static func waitIfTerminating() {
        guard locked({ terminating }) else { return }
        while true { pause() }
    }

    private static func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
