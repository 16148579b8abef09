import Foundation

/// Where commands write their results: standard output, or, while a test captures it, a buffer
/// the test reads. Progress and refusals go to standard error and are not captured.
public enum Console {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var buffer: Data?

    /// Writes `text` and a newline.
    public static func print(_ text: String = "") { write(Data((text + "\n").utf8)) }

    public static func write(_ data: Data) {
        lock.lock()
        defer { lock.unlock() }
        if buffer != nil { buffer!.append(data) } else { FileHandle.standardOutput.write(data) }
    }

    /// Runs `body` and returns what it wrote (for tests).
    public static func capture(_ body: () throws -> Void) rethrows -> String {
        lock.lock()
        buffer = Data()
        lock.unlock()
        defer {
            lock.lock()
            buffer = nil
            lock.unlock()
        }
        try body()
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: buffer ?? Data(), as: UTF8.self)
    }
}
