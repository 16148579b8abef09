import ArgumentParser
import Foundation
import TensorIO
import Workbench

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Run a probe (a TOML batch recipe) and write a report directory.",
        discussion: reflow(
            """
            A report holds report.md (one section per run), one CSV per table and plot, one SVG
            per plot, and report.json with every figure. The same probe and seed give the same
            files, except for the timestamp line in report.md. The probe is checked completely
            before anything runs; a failed run leaves no report behind.

            The report directory must be new, empty, or an earlier report (replaced only with
            --force); a directory holding anything else is never touched.

            Examples:
              loupe report Probes/summary.toml          writes reports/summary/
              loupe report Probes/summary.toml --out /tmp/r --json
              loupe report Probes/summary.toml --force  replaces reports/summary/
              loupe report my-probe.toml --check        validate only
              loupe report --methods                    run types and parameters
            """)
    )

    @Argument(help: "The probe file (.toml).") var probe: String?
    @Option(help: "The report directory (default: reports/NAME, NAME being the probe file's name).") var out: String?
    @Flag(help: "Replace an earlier report in the report directory.") var force = false
    @Flag(help: "Only check the probe; run nothing.") var check = false
    @Flag(help: "List the methods a probe can run, with their parameters.") var methods = false
    @Flag(help: "Print the report's path and headline figures as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if !methods && probe == nil { throw ValidationError("missing the probe file (or use --methods)") }
    }

    func run() throws {
        if methods { printMethods(); return }
        let url = URL(fileURLWithPath: probe!)
        guard FileManager.default.fileExists(atPath: url.path) else { throw ValidationError("\(probe!): no such probe file") }
        let parsed = try Probe.load(url)
        if check {
            Console.print(
                "\(probe!): OK, \(parsed.runs.count) run\(parsed.runs.count == 1 ? "" : "s") (\(parsed.runs.map(\.method).joined(separator: ", ")))"
            )
            return
        }
        let directory = URL(fileURLWithPath: out ?? "reports/\(url.deletingPathExtension().lastPathComponent)")
        if out == nil { try createReportsFolder(directory.deletingLastPathComponent()) }
        try ReportWriter.checkDestination(directory, inputs: parsed.inputFiles, force: force)
        let bar = ProgressBar("report")
        let report = try ProbeRunner.run(parsed, to: directory) { p in
            bar.update((Double(p.run - 1) + p.fraction) / Double(p.runs), "[\(p.run)/\(p.runs)] \(p.method) \(p.status)")
        }
        bar.finish()
        if json {
            struct Output: Encodable { let report: String; let headline: [String: [String: Double]] }
            var headline: [String: [String: Double]] = [:]
            for (i, s) in report.sections.enumerated() { headline["run\(i + 1) \(s.method)"] = s.headline }
            try printJSON(Output(report: directory.appendingPathComponent("report.md").path, headline: headline))
        } else {
            Console.print(
                "wrote \(directory.appendingPathComponent("report.md").path) (\(report.sections.count) section\(report.sections.count == 1 ? "" : "s"))"
            )
        }
    }

    /// The default reports/ folder is Loupe's own, so it is made when missing.
    private func createReportsFolder(_ url: URL) throws {
        guard PathKind(url.path) == .missing else { return }
        do { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false) } catch {
            throw ValidationError("cannot create \(url.path): \(errorText(error))")
        }
    }

    private func printMethods() {
        for method in ProbeMethods.all {
            Console.print("\(method.name): \(method.summary)")
            for p in method.parameters {
                Console.print(
                    "    \(p.name)\(p.required ? " (required)" : ""): \(p.about)"
                        + (p.choices.map { " [\($0.joined(separator: "|"))]" } ?? ""))
            }
        }
        Console.print("every run also takes: title (the section's heading), data (instead of the probe's data)")
    }
}
