import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import Workbench

/// Two SAEs' latents matched one to one (docs/methods.md, "Latent matching"): two SAEs trained
/// on a layer, from two seeds of model A or one on A and one on B, the second as large or
/// several times larger; their latents paired by decoder cosine and by activation correlation
/// on the workspace's data. Shows the shares with a partner, the matched-score curves, the
/// splits, and a table of A's latents with their partners; `t` tests the matched correlation
/// against shuffles of B's samples; `@` follows a latent of A elsewhere.
public final class LatentMatchView: RegisteredView {
    /// Which two SAEs are matched.
    public enum Pair: String, Codable, Sendable {
        /// Two seeds on model A's layer: universality across training runs.
        case seeds
        /// One SAE on model A's layer and one on model B's: universality across models.
        case models
    }

    public struct Settings: Codable, Equatable {
        public var layer: String?
        public var pair = Pair.seeds
        /// B's d_sae as a multiple of A's: 1, 2 or 4 (feature splitting).
        public var sizeRatio = 1
        /// Shuffles of the activation null (0: none).
        public var permutations = 0
        public var table = TableState()
        public init() {}
    }

    struct Choice: Hashable {
        let layer: String
        let pair: Pair
        let sizeRatio: Int
        let permutations: Int
    }

    /// The matching and what `@` needs of it.
    struct Matched {
        let matching: LatentMatching
        let saeA: SparseAutoencoder<Float>
        let table: Table
    }

    public static let kind = "match"
    public static let summary = "two SAEs' latents matched by decoder and activations: shares with a partner, curves, splits"
    /// The seeds of the two SAEs (A's SAE always has the first).
    static let seeds: (UInt64, UInt64) = (1, 2)
    /// Shuffles `t` asks for.
    static let nullPermutations = 99
    static let sizeRatios = [1, 2, 4]

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let layers: [String]
    private let results = ComparisonResults<Choice, Matched>()

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        layers = workspace.models.first.map { SAEView.layers(of: $0.network).filter { $0 != "input" } } ?? []
    }

    public var title: String { "Match" }

    public enum Action: Sendable, Equatable {
        case pair, size, layer, null, retry
        case table(TableState.Action)
    }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("m")], .pair, "match two seeds of model A ↔ an SAE on A against one on B"),
            KeyBinding([.char("d")], .size, "B's SAE 1×, 2× or 4× as large as A's (feature splitting)"),
            KeyBinding([.char("L")], .layer, "next layer"),
            KeyBinding(
                [.char("t")], .null,
                "test the matched activation correlation against \(Self.nullPermutations) shuffles of B's samples (on ↔ off)"),
            KeyBinding([.char("r")], .retry, "compute again after a cancel or failure")
        ] + TableState.bindings.map { KeyBinding($0.keys, .table($0.action), "pairs: " + $0.help) }
    }

    /// The layer chosen, else the SAE view's default (the first hidden activation).
    private var layer: String? {
        settings.layer.flatMap { layers.contains($0) ? $0 : nil }
            ?? (layers.isEmpty ? nil : SAEView.defaultLayer(of: workspace.models[0].network))
    }

    private var choice: Choice? {
        guard let layer else { return nil }
        let pair: Pair = workspace.isComparison ? settings.pair : .seeds
        return Choice(layer: layer, pair: pair, sizeRatio: settings.sizeRatio, permutations: settings.permutations)
    }

    public func opened(_ context: ViewContext) { compute(context) }

    /// Trains both SAEs with the workbench's preset and matches them.
    private func compute(_ context: ViewContext) {
        guard let choice else { return }
        let a = workspace.models[0].network
        let b = choice.pair == .models ? workspace.models[1].network : a
        let data = workspace.data
        let names = Self.names(choice, workspace)
        results.request(choice, title: "matching SAE latents on \(choice.layer)", context) { job in
            let sourceA = try LayerActivationSource(network: a, layer: choice.layer, data: data)
            let sourceB = try LayerActivationSource(network: b, layer: choice.layer, data: data)
            var options = SAETrainingOptions.workbench
            options.batchSize = min(options.batchSize, data.count)
            options.seed = Self.seeds.0
            let saeA = try SAETrainer.train(on: sourceA, options: options) { p in
                job.progress(0.45 * Double(p.point.step) / Double(p.totalSteps), "training A's SAE")
            }.sae
            options.seed = Self.seeds.1
            options.latents = saeA.latentCount * choice.sizeRatio
            let saeB = try SAETrainer.train(on: sourceB, options: options) { p in
                job.progress(0.45 + 0.45 * Double(p.point.step) / Double(p.totalSteps), "training B's SAE")
            }.sae
            let codes = (
                try saeA.encode(sourceA).dense.converted(to: Double.self), try saeB.encode(sourceB).dense.converted(to: Double.self),
                data.name
            )
            let matching = try LatentMatching.compare(
                saeA, saeB, names: names, codes: codes,
                options: LatentMatchingOptions(permutations: choice.permutations, seed: Self.seeds.0)
            ) { f, s in job.progress(0.9 + 0.1 * f, s) }
            return Matched(matching: matching, saeA: saeA, table: Self.pairTable(matching))
        }
    }

    /// "A seed 1", "A seed 2 (2×)" or "B seed 2".
    static func names(_ c: Choice, _ workspace: Workspace) -> (String, String) {
        let size = c.sizeRatio == 1 ? "" : " (\(c.sizeRatio)×)"
        return (
            "\(workspace.models[0].title) seed \(seeds.0)",
            "\(c.pair == .models ? workspace.models[1].title : workspace.models[0].title) seed \(seeds.1)\(size)"
        )
    }

    /// One row per latent of A: its partner and score by decoder and by activation.
    static func pairTable(_ m: LatentMatching) -> Table {
        let decoder = m.decoder.pairByLatentA(m.latentsA)
        let activation = m.activation?.pairByLatentA(m.latentsA) ?? Array(repeating: nil, count: m.latentsA)
        return Table(
            columns: ["latent A", "decoder partner", "cosine", "activation partner", "correlation"].map { Table.Column($0) },
            rows: (0..<m.latentsA).map { i in
                [
                    .integer(i), decoder[i].map { .integer($0.latentB) } ?? .missing, decoder[i].map { .number($0.score) } ?? .missing,
                    activation[i].map { .integer($0.latentB) } ?? .missing, activation[i].map { .number($0.score) } ?? .missing
                ]
            })
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .pair:
            guard workspace.isComparison else {
                context.notify("matching across models needs model B: open the workbench on two models", style: Theme.dim)
                return true
            }
            settings.pair = settings.pair == .seeds ? .models : .seeds
        case .size:
            settings.sizeRatio = Self.sizeRatios[((Self.sizeRatios.firstIndex(of: settings.sizeRatio) ?? 0) + 1) % Self.sizeRatios.count]
        case .layer:
            guard let layer, let i = layers.firstIndex(of: layer) else { return false }
            settings.layer = layers[(i + 1) % layers.count]
        case .null: settings.permutations = settings.permutations > 0 ? 0 : Self.nullPermutations
        case .retry:
            guard let choice, results.retry(choice) else { return false }
        case .table(let a):
            settings.table.perform(a, columns: 5)
            return true
        }
        compute(context)
        return true
    }

    public var current: LatentMatching? { choice.flatMap { results[$0]?.matching } }
    public var figures: FigureSheet? { current?.figures }
    public func exportTable() -> Table? { choice.flatMap { results[$0]?.table } }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let choice else { TextBlock.render("Match: model A has no layer to train SAEs on.", Theme.error, canvas: canvas); return }
        let (nameA, nameB) = Self.names(choice, workspace)
        canvas.text(0, 0, "Latent matching · \(choice.layer) · \(nameA) against \(nameB)", Theme.heading)
        let hint = workspace.isComparison ? "m: seeds ↔ models · " : ""
        canvas.text(0, 1, "\(hint)d: B's size · t: test against shuffles · L: layer · @: follow a latent of A", Theme.dim)
        let body = canvas.sub(Rect(x: 0, y: 2, width: canvas.width, height: canvas.height - 2))
        guard
            let matched = results.value(
                choice, context, canvas: body, computing: "training two SAEs and matching their latents", failed: { "Match: \($0)" })
        else { return }
        let m = matched.matching
        var lines: [(String, Style)] = []
        for p in [m.decoder] + (m.activation.map { [$0] } ?? []) {
            let what = p.criterion == .decoder ? "decoder cosine" : "activation correlation"
            lines.append(
                (
                    "\(what) ≥ \(NumberFormat.readable(m.threshold)): A \(NumberFormat.percent(p.shareA, digits: 1)) · B \(NumberFormat.percent(p.shareB, digits: 1)) have a partner · mean \(NumberFormat.readable(p.meanScore, digits: 3))",
                    Theme.accent
                ))
            if let null = p.null { lines.append(("  \(null.text)", Theme.dim)) }
        }
        if let agreement = m.agreement { lines.append(("same partner by both: \(NumberFormat.percent(agreement, digits: 1))", .plain)) }
        lines.append(
            (
                "splits: \(m.splits.count) latents of A with two or more of B closest"
                    + (m.splits.first.map { " (A \($0.latentA) → B \($0.latentsB.map(String.init).joined(separator: ", ")))" } ?? ""),
                .plain
            ))
        for caveat in m.figures.caveats { lines.append((caveat.text, Theme.dim)) }
        var y = 0
        for (text, style) in lines where y < body.height {
            y += TextBlock.render(text, style, canvas: body.sub(Rect(x: 0, y: y, width: body.width, height: body.height - y)))
        }
        let rest = body.sub(Rect(x: 0, y: y + 1, width: body.width, height: max(body.height - y - 1, 0)))
        let plotWidth = rest.width >= 90 ? rest.width / 2 : 0
        if plotWidth > 0 {
            let curves = ([m.decoder] + (m.activation.map { [$0] } ?? [])).map { p in
                LinePlot.Series(p.criterion.rawValue, x: p.sortedScores.indices.map { Double($0 + 1) }, y: p.sortedScores)
            }
            LinePlot(series: curves).render(rest.sub(Rect(x: rest.width - plotWidth, y: 0, width: plotWidth, height: min(rest.height, 16))))
        }
        TableWidget.render(
            matched.table, state: &settings.table,
            canvas: rest.sub(Rect(x: 0, y: 0, width: rest.width - plotWidth - (plotWidth > 0 ? 2 : 0), height: rest.height)))
    }
}

extension LatentMatchView: FollowSource {
    /// The latent of A's SAE under the table's cursor.
    var followable: Followable? {
        guard let choice, let matched = results[choice] else { return nil }
        let rows = TableWidget.visibleRows(matched.table, settings.table)
        guard !rows.isEmpty else { return nil }
        let row = rows[min(max(settings.table.selectedRow, 0), rows.count - 1)]
        return Followable(object: .latent(row), layer: choice.layer, sae: matched.saeA)
    }
}
