import ArgumentParser
import Figures
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure this machine's BLAS rate and the speed of Loupe's methods.",
        discussion: reflow(
            """
            Each figure is the fastest of several runs. Rates are GFLOP/s for matrix products and
            samples/s for methods.

            Examples:
              loupe bench                    every group, full sizes
              loupe bench --only linalg      just the linear-algebra layer
              loupe bench --quick --json     small sizes, as JSON (what CI runs)
              loupe bench --peer-inputs DIR --only lrp-cnn
                                             one row of scripts/bench-peers
            """)
    )

    static let groups: [any BenchmarkGroup.Type] = [
        LinAlgBenchmarks.self, NetworkBenchmarks.self, TransformerBenchmarks.self,
        SAEBenchmarks.self, AttributionBenchmarks.self, BilinearBenchmarks.self, AlignmentBenchmarks.self,
        TUIBenchmarks.self
    ]

    @Flag(help: "Print the results as one JSON object.") var json = false
    @Flag(help: "Smaller problem sizes, for a quick check.") var quick = false
    @Option(
        help: """
            Comma-separated groups to run (\(groups.map { $0.name }.joined(separator: ", "))); with --peer-inputs, \
            rows of the comparison (\(PeerBenchmarks.rows.joined(separator: ", "))).
            """)
    var only: String?
    @Option(
        help: ArgumentHelp(
            "Run only the peer comparison, on the inputs scripts/bench-peers writes into DIR.", valueName: "DIR"))
    var peerInputs: String?

    func validate() throws {
        if let peerInputs {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: peerInputs, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--peer-inputs \(peerInputs): no such folder (scripts/bench-peers writes it)")
            }
            guard !quick else {
                throw ValidationError("--peer-inputs runs the peer comparison at its full sizes; leave out --quick")
            }
        }
        let (what, known) = peerInputs == nil ? ("group", Self.groups.map { $0.name }) : ("peer row", PeerBenchmarks.rows)
        for name in selectedNames where !known.contains(name) {
            throw ValidationError("unknown benchmark \(what) '\(name)'; known: \(known.joined(separator: ", "))")
        }
    }

    private var selectedNames: [String] {
        only?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            ?? (peerInputs == nil ? Self.groups.map { $0.name } : PeerBenchmarks.rows)
    }

    func run() throws {
        var context = BenchmarkContext(quick: quick)
        var records: [BenchmarkRecord] = []
        let progress = ProgressBar("bench")
        if let peerInputs {
            try LinAlgBenchmarks.run(&context) { records.append($0) }
            try PeerBenchmarks.run(inputs: URL(fileURLWithPath: peerInputs), rows: selectedNames) { records.append($0) }
        }
        for group in Self.groups where peerInputs == nil && selectedNames.contains(group.name) {
            progress.update(nil, "\(group.name)…", force: true)
            try group.run(&context) { record in
                records.append(record)
                progress.update(nil, "\(record.group) \(record.name) \(record.size)", force: true)
            }
        }
        progress.finish()
        if json {
            struct Output: Encodable { let version: String; let results: [BenchmarkRecord] }
            try printJSON(Output(version: Loupe.version, results: records))
            return
        }
        var table = Table(["group", "benchmark", "size", "time", "rate", "note"], rightAligned: [3, 4])
        for r in records {
            table.append([
                r.group, r.name, r.size, formatSeconds(r.seconds),
                r.rate.map { formatRate($0, r.unit ?? "") } ?? "", r.note ?? ""
            ])
        }
        Console.print(table.text)
        if let sgemm = context.sgemmGFLOPS { Console.print(String(format: "sgemm peak this run: %.0f GFLOP/s", sgemm)) }
    }
}

func formatSeconds(_ s: Double) -> String {
    s >= 1 ? String(format: "%.2f s", s) : s >= 1e-3 ? String(format: "%.2f ms", s * 1e3) : String(format: "%.1f µs", s * 1e6)
}

func formatRate(_ value: Double, _ unit: String) -> String {
    value >= 100 ? String(format: "%.0f %@", value, unit) : String(format: "%.1f %@", value, unit)
}
