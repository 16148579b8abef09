import Foundation
import TensorIO

/// A report being written: a hidden sibling directory (`.NAME.partial-PID`) that fills up as
/// each run of a probe finishes, and becomes the report only when `finish` renames it into
/// place. Until then it is registered with `TemporaryFiles`, so a failed, cancelled or killed
/// probe leaves nothing behind, and an earlier report stays as it was.
public final class ReportStaging {
    public let directory: URL
    let staging: URL
    private let token: Int
    private var done = false

    /// Creates the staging directory beside `directory`, which must be new, empty or an earlier
    /// report (`ReportWriter.checkDestination` says so before a probe runs; this checks again).
    public init(for directory: URL) throws {
        self.directory = directory
        let fm = FileManager.default
        if PathKind(directory.path) == .directory, !((try? fm.contentsOfDirectory(atPath: directory.path)) ?? []).isEmpty,
            let foreign = ReportWriter.foreignEntries(in: directory)
        {
            throw WorkbenchError(
                "\(directory.path) is not an earlier Loupe report (it holds \(foreign.sorted().prefix(3).joined(separator: ", "))); nothing was written"
            )
        }
        let parent = directory.deletingLastPathComponent()
        staging = parent.appendingPathComponent(".\(directory.lastPathComponent).partial-\(getpid())")
        try? fm.removeItem(at: staging)
        do {
            try fm.createDirectory(at: staging, withIntermediateDirectories: false)
        } catch {
            throw WorkbenchError(
                "cannot write the report to \(directory.path): cannot create a directory in \(parent.path): \(errorText(error))")
        }
        token = TemporaryFiles.register(staging.path)
    }

    deinit { discard() }

    /// Writes the tables and plots of section `index`.
    public func write(_ section: ReportSection, index: Int) throws {
        do { try ReportWriter.writeFiles(of: section, index: index, into: staging) } catch {
            throw WorkbenchError("cannot write the report to \(directory.path): \(errorText(error))")
        }
    }

    /// Writes report.md and report.json, then swaps the finished report into place: rename(2)
    /// replaces an empty directory by itself; an earlier report moves aside first and is removed
    /// only once the new one is in place.
    public func finish(_ report: Report, generatedAt date: Date = Date()) throws {
        let fm = FileManager.default
        do {
            try AtomicFile.write(
                Data(MarkdownReport.render(report, generatedAt: date).utf8), to: staging.appendingPathComponent("report.md"))
            try AtomicFile.write(try ReportWriter.json(report), to: staging.appendingPathComponent("report.json"))
            var previous: URL?
            if PathKind(directory.path) == .directory, !(try fm.contentsOfDirectory(atPath: directory.path)).isEmpty {
                let old = directory.deletingLastPathComponent().appendingPathComponent(".\(directory.lastPathComponent).old-\(getpid())")
                try? fm.removeItem(at: old)
                try fm.moveItem(at: directory, to: old)
                previous = old
            }
            guard rename(staging.path, directory.path) == 0 else {
                throw WorkbenchError("cannot move the finished report into place: \(String(cString: strerror(errno)))")
            }
            done = true
            TemporaryFiles.unregister(token)
            if let previous { try? fm.removeItem(at: previous) }
        } catch {
            discard()
            throw WorkbenchError("cannot write the report to \(directory.path): \(errorText(error))")
        }
    }

    /// Removes the staging directory (a run failed or was cancelled).
    public func discard() {
        guard !done else { return }
        done = true
        try? FileManager.default.removeItem(at: staging)
        TemporaryFiles.unregister(token)
    }
}
