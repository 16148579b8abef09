import Foundation
import TensorIO
import TestSupport
import Workbench
import XCTest

/// A report directory is Loupe's own: it replaces only an empty directory or an earlier report,
/// never a directory with anything else in it, never a file, never one holding the probe's inputs.
final class ReportDestinationTests: XCTestCase {
    let probeText = """
        title = "Destination test"
        data = "builtin:digits:test"
        seed = 1
        [models]
        mlp = "demo:mlp-1"
        [[run]]
        method = "summary"
        model = "mlp"
        """

    func probe(in dir: URL) throws -> Probe {
        let url = dir.appendingPathComponent("p.toml")
        try probeText.write(to: url, atomically: true, encoding: .utf8)
        return try Probe.load(url)
    }

    /// `--out DIR` on a folder of the user's once deleted every file in it; `--out .` the probe too.
    func testAFolderWithOtherFilesIsNeverReplaced() throws {
        let base = try temporaryDirectory(self)
        let p = try probe(in: base)
        let notes = base.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: notes.appendingPathComponent("todo.txt"))
        for force in [false, true] {
            assertThrowsMessage(
                try ReportWriter.checkDestination(notes, inputs: p.inputFiles, force: force),
                contains: [notes.path, "is not an earlier Loupe report", "todo.txt", "nothing was written"])
        }
        // The writer refuses by itself too, whoever calls it.
        assertThrowsMessage(try ProbeRunner.run(p, to: notes), contains: ["is not an earlier Loupe report"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: notes.path), ["todo.txt"])
        // The probe's own folder: it holds the probe.
        assertThrowsMessage(
            try ReportWriter.checkDestination(base, inputs: p.inputFiles, force: true),
            contains: [base.path, "holds p.toml (the probe)", "write the report elsewhere"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: base.appendingPathComponent("p.toml").path))
    }

    /// `--out notes.txt` once turned the file into a report directory.
    func testAFileIsNeverReplaced() throws {
        let base = try temporaryDirectory(self)
        let p = try probe(in: base)
        let file = base.appendingPathComponent("notes.txt")
        try Data("mine".utf8).write(to: file)
        assertThrowsMessage(
            try ReportWriter.checkDestination(file, inputs: p.inputFiles, force: true),
            contains: [file.path, "is a file"])
        XCTAssertEqual(try Data(contentsOf: file), Data("mine".utf8))
        assertThrowsMessage(
            try ReportWriter.checkDestination(base.appendingPathComponent("no/r"), inputs: p.inputFiles, force: true),
            contains: ["no directory", "create it first"])
        assertThrowsMessage(
            try ReportWriter.checkDestination(URL(fileURLWithPath: "/proc/r"), inputs: p.inputFiles, force: true),
            contains: ["cannot write in /proc"])
    }

    /// A new or empty folder is written; an earlier report is replaced only with --force.
    func testNewEmptyAndEarlierReports() throws {
        let base = try temporaryDirectory(self)
        let p = try probe(in: base)
        let fresh = base.appendingPathComponent("r")
        XCTAssertNoThrow(try ReportWriter.checkDestination(fresh, inputs: p.inputFiles, force: false))
        try ProbeRunner.run(p, to: fresh)
        assertThrowsMessage(
            try ReportWriter.checkDestination(fresh, inputs: p.inputFiles, force: false),
            contains: [fresh.path, "holds an earlier report", "--force"])
        XCTAssertNoThrow(try ReportWriter.checkDestination(fresh, inputs: p.inputFiles, force: true))
        try ProbeRunner.run(p, to: fresh)
        let empty = base.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
        XCTAssertNoThrow(try ReportWriter.checkDestination(empty, inputs: p.inputFiles, force: false))
        try ProbeRunner.run(p, to: empty)
        XCTAssertTrue(FileManager.default.fileExists(atPath: empty.appendingPathComponent("report.md").path))
        // A file the user put into a report makes it theirs: it is kept, and the report is not replaced.
        try Data("mine".utf8).write(to: fresh.appendingPathComponent("thoughts.md"))
        assertThrowsMessage(try ReportWriter.checkDestination(fresh, inputs: p.inputFiles, force: true), contains: ["thoughts.md"])
        // Data read from an earlier report is an input: that report is not replaced under it.
        let csv = fresh.appendingPathComponent("run1-layers.csv")
        XCTAssertTrue(FileManager.default.fileExists(atPath: csv.path))
        XCTAssertNotNil(OutputCheck.inputInside(empty, [OutputCheck.Input("the data", empty.appendingPathComponent("report.md"))]))
        XCTAssertEqual(
            try FileManager.default.contentsOfDirectory(atPath: base.path).filter { $0.hasPrefix(".") }, [],
            "no staging or old directory is left behind")
    }

    /// While a probe runs its report fills a registered staging folder, which a signal handler
    /// removes (see the command-line tests for a real SIGINT).
    func testTheStagingFolderIsRegisteredUntilTheReportIsInPlace() throws {
        let base = try temporaryDirectory(self)
        let target = base.appendingPathComponent("r")
        var staging: ReportStaging? = try ReportStaging(for: target)
        let partial = try XCTUnwrap(TemporaryFiles.registered.first { $0.hasSuffix(".r.partial-\(getpid())") })
        XCTAssertTrue(FileManager.default.fileExists(atPath: partial))
        staging = nil
        XCTAssertFalse(FileManager.default.fileExists(atPath: partial), "an abandoned report leaves nothing")
        XCTAssertFalse(TemporaryFiles.registered.contains(partial))
        _ = staging
    }
}
