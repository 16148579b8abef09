import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps the input being tried where a fatal signal handler can reach it, and writes it to the
/// findings folder when the loader traps (SIGILL, SIGTRAP: a Swift runtime error), crashes, aborts
/// (an allocation failure) or runs past its time (SIGALRM: a hang). The handler uses only
/// async-signal-safe calls: open, write, close, then the default action of the signal.
enum Findings {
    nonisolated(unsafe) private static var input: UnsafeMutablePointer<UInt8>?
    nonisolated(unsafe) private static var inputCount = 0
    nonisolated(unsafe) private static var capacity = 0
    nonisolated(unsafe) private static var path: UnsafeMutablePointer<CChar>?
    nonisolated(unsafe) private static var hangPath: UnsafeMutablePointer<CChar>?

    /// Prepares to record findings of `target` in `directory` as crash-TARGET-PID / hang-TARGET-PID.
    static func install(target: String, directory: URL, maxLength: Int) {
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        capacity = maxLength
        input = .allocate(capacity: maxLength)
        path = strdup(directory.appendingPathComponent("crash-\(target)-\(getpid())").path)
        hangPath = strdup(directory.appendingPathComponent("hang-\(target)-\(getpid())").path)
        for sig in [SIGILL, SIGTRAP, SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGALRM] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { sig in Findings.record(sig) }
            sigemptyset(&action.sa_mask)
            action.sa_flags = Int32(bitPattern: UInt32(SA_RESETHAND))
            sigaction(sig, &action, nil)
        }
    }

    /// The input about to be tried.
    static func set(_ data: Data) {
        inputCount = min(data.count, capacity)
        data.withUnsafeBytes { raw in
            if let base = raw.baseAddress { input!.update(from: base.assumingMemoryBound(to: UInt8.self), count: inputCount) }
        }
    }

    private static func record(_ sig: Int32) {
        guard let file = sig == SIGALRM ? hangPath : path else { return }
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if fd >= 0 {
            _ = write(fd, input, inputCount)
            close(fd)
        }
        let note = sig == SIGALRM ? "loupe-fuzz: a hang; the input is in " : "loupe-fuzz: a crash; the input is in "
        _ = note.withCString { write(2, $0, strlen($0)) }
        _ = write(2, file, strlen(file))
        _ = write(2, "\n", 1)
        if sig == SIGALRM { signal(SIGABRT, SIG_DFL); abort() }
        raise(sig)
    }
}
