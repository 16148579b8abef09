import Foundation
import XCTest

/// The `loupe` executable this test run built, run as a user runs it: arguments, a working
/// directory, and what comes back (exit status, stdout, stderr, seconds).
struct LoupeProcess {
    struct Result {
        var status: Int32
        /// True when the process died of a signal (`status` is then the signal).
        var signalled: Bool
        var stdout: String
        var stderr: String
        var seconds: Double
    }

    /// Beside the test runner, in the build's products folder.
    static let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("loupe")

    /// Runs loupe; a run that outlives `timeout` seconds is killed and fails the test (a hang).
    @discardableResult
    static func run(
        _ arguments: [String], in directory: URL, timeout: Double = 60,
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Result {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // Output goes to files, which never fill up and block the process as a pipe can.
        let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-out-\(UUID().uuidString)")
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outURL)
            try? FileManager.default.removeItem(at: errURL)
        }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        let start = Date()
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning {
            process.terminate()
            XCTFail("loupe \(arguments.joined(separator: " ")) did not end within \(timeout) s", file: file, line: line)
        }
        process.waitUntilExit()
        let seconds = Date().timeIntervalSince(start)
        return Result(
            status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
            stdout: try String(contentsOf: outURL, encoding: .utf8), stderr: try String(contentsOf: errURL, encoding: .utf8),
            seconds: seconds)
    }

    /// Runs loupe and asserts the refusal a user should see: exit status 1, nothing on stdout,
    /// one line on stderr that starts "loupe: " and contains every one of `parts`.
    @discardableResult
    static func refuses(
        _ arguments: [String], in directory: URL, _ parts: [String],
        file: StaticString = #filePath, line: UInt = #line
    ) throws -> Result {
        let r = try run(arguments, in: directory, file: file, line: line)
        let what = "loupe \(arguments.joined(separator: " "))"
        XCTAssertFalse(r.signalled, "\(what) died of signal \(r.status): \(r.stderr)", file: file, line: line)
        XCTAssertEqual(r.status, 1, "\(what): \(r.stderr)", file: file, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(what): one line on stderr, got: \(r.stderr)", file: file, line: line)
        XCTAssertTrue(r.stderr.hasPrefix("loupe: "), "\(what): \(r.stderr)", file: file, line: line)
        for p in parts { XCTAssertTrue(r.stderr.contains(p), "\(what): '\(p)' not in: \(r.stderr)", file: file, line: line) }
        timings.append((what, r.seconds))
        return r
    }

    /// How long each refusal took (printed at the end of the suite: they should all be quick).
    nonisolated(unsafe) static var timings: [(String, Double)] = []
}
