import Figures
import Interpret

/// `method = "sae-sweep"`: one SAE per value of k or of the sparsity coefficient, a table of
/// their figures and the L0–FVU frontier.
public enum SAESweepMethod: ProbeMethod {
    public static let name = "sae-sweep"
    public static let summary = "a grid of SAEs over k or the sparsity coefficient, and their L0–FVU frontier"
    public static let parameters =
        SAEProbeSettings.parameters.filter { $0.name != "k" && $0.name != "l1" } + [
            ProbeParameter("over", .string, required: true, choices: ["k", "l1"], about: "what the sweep varies"),
            ProbeParameter("values", .numbers, required: true, about: "the values of k or l1, one SAE each")
        ]

    public static func validate(_ p: ProbeParameters) throws {
        try SAEProbeSettings.validate(p)
        guard let values = p.numbers("values"), !values.isEmpty, values.allSatisfy({ $0 > 0 }) else {
            throw WorkbenchError("values must be a nonempty list of positive numbers")
        }
        if p.string("over") == "k", !values.allSatisfy({ $0 == $0.rounded() }) { throw WorkbenchError("values of k must be whole numbers") }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let (source, what) = try SAEProbeSettings.source(run, context)
        let values = p.numbers("values")!
        let over: SAESweep.Parameter = p.string("over") == "k" ? .k(values.map { Int($0) }) : .sparsityCoefficient(values)
        let sweep = try SAESweep.run(
            on: source, base: SAEProbeSettings.options(p, seed: context.seed(for: run), samples: source.count), over: over,
            progress: progress)
        let label = p.string("over")!
        let rows: [[Table.Value]] = sweep.rows.enumerated().map { i, r in
            [
                .number(r.value), .number(r.l0), .number(r.fvu), .number(r.mse), .number(r.cosine), .number(r.deadFraction),
                r.lossRecovered.map(Table.Value.number) ?? "", .text(sweep.frontier.contains(i) ? "yes" : "")
            ]
        }
        let byL0 = sweep.rows.indices.sorted { sweep.rows[$0].l0 < sweep.rows[$1].l0 }
        let frontier = LineSeries(
            name: "frontier", x: sweep.frontier.map { sweep.rows[$0].l0 }, y: sweep.frontier.map { sweep.rows[$0].fvu })
        let all = LineSeries(name: "every run", x: byL0.map { sweep.rows[$0].l0 }, y: byL0.map { sweep.rows[$0].fvu })
        var headline = ["frontier runs": Double(sweep.frontier.count)]
        if let best = sweep.rows.min(by: { $0.fvu < $1.fvu }) { headline["lowest FVU"] = best.fvu }
        return ReportSection(
            title: "SAE sweep over \(label) on \(what.replacingOccurrences(of: "`", with: ""))", method: name,
            text: [
                "One SAE per value of \(label) on \(what), otherwise the same settings. The frontier holds the runs no other run beats on both L0 and FVU."
            ],
            tables: [
                ReportTable(
                    name: "sweep", title: "Runs",
                    columns: [label, "L0", "FVU", "MSE", "cosine", "dead fraction", "loss recovered", "on frontier"],
                    rows: rows)
            ],
            plots: [
                ReportPlot.lines(name: "frontier", title: "L0 against FVU", xLabel: "L0", yLabel: "FVU", series: [all, frontier])
            ],
            headline: headline)
    }
}
