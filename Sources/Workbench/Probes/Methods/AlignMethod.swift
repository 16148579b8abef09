import Figures
import Interpret
import LinAlg
import Networks

/// `method = "align"`: convergent learning between a layer of one model and a layer of
/// another — unit correlations, one-to-one and best-partner matchings, sparse prediction and
/// spectral clusters.
public enum AlignMethod: ProbeMethod {
    public static let name = "align"
    public static let summary = "unit correlations, bipartite and semi matching, sparse prediction and spectral clusters between two layers"
    public static let parameters = [
        ProbeParameter("models", .models, required: true, about: "the two models"),
        ProbeParameter("layer_a", .string, required: true, about: "the layer of the first model"),
        ProbeParameter("layer_b", .string, about: "the layer of the second model (default: layer_a)"),
        ProbeParameter(
            "methods", .strings, choices: ConvergentOptions.Method.allCases.map(\.rawValue),
            about: "analyses beyond the correlations (default \(ConvergentOptions().methods.map(\.rawValue)))"),
        ProbeParameter("clusters", .integer, about: "spectral clusters (default: by the largest eigengap)"),
        ProbeParameter(
            "permutations", .integer,
            about: "shuffles of the permutation null of the matched correlations (default \(ConvergentOptions().permutations): none)")
    ]

    public static func validate(_ p: ProbeParameters) throws {
        try p.checkModelCount(2...2)
        if let k = p.integer("clusters"), k < 1 { throw WorkbenchError("clusters must be at least 1") }
        if let n = p.integer("permutations") {
            do { try PermutationNull.validate(permutations: n) } catch { throw WorkbenchError("\(error)") }
        }
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let aliases = p.strings("models")!
        let layerA = p.string("layer_a")!, layerB = p.string("layer_b") ?? layerA
        let methods = p.strings("methods")?.compactMap(ConvergentOptions.Method.init(rawValue:)) ?? ConvergentOptions().methods
        let r = try ConvergentLearning.compare(
            try context.network(aliases[0]), try context.network(aliases[1]),
            data: context.data(for: run), layerA: layerA, layerB: layerB,
            options: ConvergentOptions(
                methods: methods, clusters: p.integer("clusters"),
                permutations: p.integer("permutations") ?? ConvergentOptions().permutations, seed: context.seed(for: run)),
            progress: progress)
        let (nameA, nameB) = (context.reference(aliases[0]), context.reference(aliases[1]))
        let c = r.correlation
        var text = [
            "Pearson correlation of every unit of `\(nameA)` \(layerA) with every unit of `\(nameB)` \(layerB) over \(c.observations) observations; \(c.constantUnitsA.count) and \(c.constantUnitsB.count) constant units are left out of the matchings."
        ]
        var headline = ["bipartite mean correlation": r.bipartite.meanCorrelation, "semi-matching mean correlation": r.semi.meanCorrelation]
        for m in [r.bipartite, r.semi] {
            guard let null = m.null else { continue }
            text.append(
                "With `\(nameB)`'s samples shuffled \(null.permutations) times, the \(m.kind.rawValue) matching's mean correlation is \(NumberFormat.readable(null.mean)) ± \(NumberFormat.readable(null.spread)); the observed \(NumberFormat.readable(m.meanCorrelation)) has p = \(NumberFormat.readable(null.pValue))."
            )
            headline["\(m.kind.rawValue) p-value"] = null.pValue
            headline["\(m.kind.rawValue) shuffled mean correlation"] = null.mean
        }
        let pairs: [[Table.Value]] = r.bipartite.pairs.sorted { $0.correlation > $1.correlation }.map { (pair: UnitPair) -> [Table.Value] in
            [.number(Double(pair.unitA)), .number(Double(pair.unitB)), .number(pair.correlation)]
        }
        var tables = [
            ReportTable(
                name: "bipartite", title: "One-to-one matching (largest correlations first)",
                columns: ["unit A", "unit B", "correlation"], rows: pairs)
        ]
        let units = (0..<c.unitsA).map(String.init), unitsB = (0..<c.unitsB).map(String.init)
        let natural = PlotHeatmap(rowLabels: units, columnLabels: unitsB, values: c.matrix, valueLabel: "correlation", signed: true)
        let aligned = PlotHeatmap(
            rowLabels: units, columnLabels: r.bipartite.columnOrder.map(String.init), values: r.alignedMatrix,
            valueLabel: "correlation", signed: true)
        let matched: [LineSeries] = [r.bipartite, r.semi].map { (m: UnitMatching) -> LineSeries in
            LineSeries(name: m.kind.rawValue, x: m.sortedCorrelations.indices.map(Double.init), y: m.sortedCorrelations)
        }
        var plots = [
            ReportPlot(name: "correlation", title: "Unit correlations, natural order", content: .heatmap(natural)),
            ReportPlot(name: "aligned", title: "Unit correlations, B in matched order", content: .heatmap(aligned)),
            ReportPlot.lines(name: "matched", title: "Matched correlations, sorted", xLabel: "rank", yLabel: "correlation", series: matched)
        ]
        if let s = r.sparse {
            plots.append(
                ReportPlot.lines(
                    name: "lasso-path", title: "Sparse prediction: held-out error along the λ path", xLabel: "λ",
                    yLabel: "mean squared error",
                    series: [
                        LineSeries(name: "validation", x: s.path.map(\.lambda), y: s.path.map(\.validationMSE)),
                        LineSeries(name: "training", x: s.path.map(\.lambda), y: s.path.map(\.trainingMSE))
                    ]))
            tables.append(
                ReportTable(
                    name: "units-needed", title: "Sparse prediction at the chosen λ: units of A each unit of B needs",
                    columns: ["unit B", "units needed", "held-out R²"],
                    rows: s.unitsNeeded.enumerated().map {
                        [
                            .number(Double($0.offset)), .number(Double($0.element)),
                            .number(s.validationR2[$0.offset])
                        ]
                    }))
            text.append("Sparse prediction chose λ = \(NumberFormat.readable(s.lambda)) by held-out error.")
            headline["median units needed"] = median(s.unitsNeeded.map(Double.init))
        }
        if let k = r.spectral {
            tables.append(
                ReportTable(
                    name: "clusters", title: "Spectral clusters of units (A and B together)",
                    columns: ["cluster", "units of A", "units of B", "mean |correlation|"],
                    rows: k.clusters.enumerated().map { i, cl in
                        [
                            .number(Double(i)), .text(cl.unitsA.map(String.init).joined(separator: " ")),
                            .text(cl.unitsB.map(String.init).joined(separator: " ")), .number(cl.meanAbsoluteCorrelation)
                        ]
                    }))
            headline["shared clusters"] = Double(k.sharedClusters)
        }
        return ReportSection(
            title: "Convergent learning: \(nameA) \(layerA) vs \(nameB) \(layerB)", method: name, text: text,
            tables: tables, plots: plots, headline: headline)
    }

    private static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return .nan }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }
}
