import Foundation
import Interpret
import Networks

/// Runs a validated probe and writes its report. A run that fails stops the whole probe with a
/// message naming the run; nothing is left behind that looks like a finished report.
public enum ProbeRunner {
    public struct Progress: Sendable {
        public var run: Int
        public var runs: Int
        public var method: String
        public var fraction: Double
        public var status: String
    }

    @discardableResult
    public static func run(_ probe: Probe, to directory: URL, progress: @escaping (Progress) -> Void = { _ in }) throws -> Report {
        let context = ProbeContext(probe: probe)
        let staging = try ReportStaging(for: directory)
        var sections: [ReportSection] = []
        for run in probe.runs {
            let method = ProbeMethods.named(run.method)!
            func report(_ fraction: Double, _ status: String) {
                progress(Progress(run: run.index + 1, runs: probe.runs.count, method: run.method, fraction: fraction, status: status))
            }
            context.trainingProgress = { reference, p in report(0, "training \(reference) (first use): epoch \(p.epoch)/\(p.epochs)") }
            report(0, "")
            do {
                var section = try method.run(run, context: context) { fraction, status in
                    report(fraction, status)
                    return true
                }
                if let title = run.title { section.title = title }
                try staging.write(section, index: sections.count)
                sections.append(section)
            } catch {
                throw WorkbenchError("\(probe.source): run \(run.index + 1) (\(run.method)) failed: \(error)")
            }
        }
        let report = Report(title: probe.title, probe: probe.source, seed: probe.seed, inputs: try context.inputs(), sections: sections)
        try staging.finish(report)
        return report
    }
}
