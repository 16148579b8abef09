import Figures
import Interpret
import Networks

/// `method = "rebasin"`: Git Re-Basin — permute the second model's units onto the first's,
/// then compare the loss along the straight line between them, naive and permuted.
public enum RebasinMethod: ProbeMethod {
    public static let name = "rebasin"
    public static let summary = "permutation matching of two models and their linear-mode-connectivity barriers, naive and permuted"
    public static let parameters = [
        ProbeParameter("models", .models, required: true, about: "the two models, same architecture"),
        ProbeParameter(
            "matching", .string, choices: RebasinOptions.Method.allCases.map(\.rawValue),
            about: "weight or activation matching (default \(RebasinOptions().method.rawValue))"),
        ProbeParameter("steps", .integer, about: "points along λ in [0, 1] (default \(RebasinOptions.defaultInterpolationSteps))"),
        ProbeParameter("repair", .boolean, about: "also interpolate with REPAIR, and repair the merged model (default false)")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        try p.checkModelCount(2...2)
        if let s = p.integer("steps"), s < 2 { throw WorkbenchError("steps must be at least 2") }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let aliases = p.strings("models")!
        let method = p.string("matching").flatMap(RebasinOptions.Method.init) ?? RebasinOptions().method
        let outcome = try GitRebasin.run(
            context.network(aliases[0]), context.network(aliases[1]), data: context.data(for: run),
            options: RebasinOptions(
                method: method, seed: context.seed(for: run),
                interpolationSteps: p.integer("steps") ?? RebasinOptions.defaultInterpolationSteps, repair: p.boolean("repair") ?? false),
            progress: progress)
        return try section(outcome.result, names: (context.reference(aliases[0]), context.reference(aliases[1])))
    }

    /// The report section of a Re-Basin run between the models `names` (it needs the curves).
    public static func section(_ r: RebasinResult, names: (String, String)) throws -> ReportSection {
        let (nameA, nameB) = names
        let method = r.method
        guard let naive = r.naive, let permuted = r.permuted else { throw WorkbenchError("no interpolation curves were computed") }
        var text = [
            "\(method.rawValue.capitalized) matching permuted \(r.groups.count) group\(r.groups.count == 1 ? "" : "s") of units of `\(nameB)` onto `\(nameA)`"
                + (r.sweeps.map { " in \($0) sweeps" } ?? "")
                + ". ‖θ_A − θ_B‖ fell from \(NumberFormat.readable(r.distanceNaive)) to \(NumberFormat.readable(r.distancePermuted))."
        ]
        if let d = r.maxLogitDifference {
            text.append("The permuted model computes the same function: largest relative logit difference \(NumberFormat.readable(d)).")
        }
        text.append("Barrier = max over λ of L(λ) − ½(L(0) + L(1)).")
        let figures = r.figures
        text += figures.caveats.map { "Note: \($0.text)." }
        let headline = figures.values.filter { $0.key.hasPrefix("barriers.") || $0.key == "accuracy.merged" }
        func curves(_ title: String, _ name: String, _ value: (InterpolationCurve) -> [Double]) -> ReportPlot {
            ReportPlot.lines(
                name: name, title: title, xLabel: "λ", yLabel: name,
                series: [
                    LineSeries(name: "naive", x: naive.lambdas, y: value(naive)),
                    LineSeries(name: "permuted", x: permuted.lambdas, y: value(permuted))
                ] + (r.repaired.map { [LineSeries(name: "permuted + REPAIR", x: $0.lambdas, y: value($0))] } ?? []))
        }
        return ReportSection(
            title: "Git Re-Basin: \(nameA) and \(nameB)", method: name, text: text,
            tables: [ReportTable(name: "figures", title: "Barriers, accuracy, distances and the permutation", table: figures.reportTable)],
            plots: [
                curves("Loss along (1 − λ)θ_A + λθ_B", "loss", \.loss), curves("Accuracy along (1 − λ)θ_A + λθ_B", "accuracy", \.accuracy)
            ],
            headline: headline)
    }
}
