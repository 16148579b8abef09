import Figures
import Foundation
import Interpret
import Networks
import TensorIO
import Workbench

/// Git Re-Basin (Ainsworth, Hayase & Srinivasa 2023) on models A and B: B's hidden units
/// permuted onto A's by weight or activation matching, then loss and accuracy along the
/// straight line from A to B, naive and permuted, with each barrier drawn where it peaks; the
/// merged model's accuracy; and a key that saves the permuted and merged models.
public final class RebasinView: RegisteredView {
    public struct Settings: Codable, Hashable {
        public var method = RebasinOptions().method
        /// Points along λ ∈ [0, 1] on each curve.
        public var steps = RebasinOptions.defaultInterpolationSteps
        /// Orders weight matching's coordinate descent.
        public var seed: UInt64 = 0
        /// Also interpolate with REPAIR (and repair the merged model). Optional so that
        /// sessions saved before it existed still open (nil: off).
        public var repair: Bool?
        public init() {}
    }

    public static let kind = "rebasin"
    public static let summary =
        "Git Re-Basin: permute B onto A, loss and accuracy along λ naive and permuted with their barriers; save the permuted and merged models"

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let results = ComparisonResults<Settings, RebasinOutcome>()
    /// What a followed latent or unit led here (`@`).
    private var followed: String?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "Re-Basin" }

    /// What the view's keys do.
    public enum Action: Sendable, Equatable { case method, repair, write, retry }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("m")], .method, "matching: weights ↔ activations on the data"),
            KeyBinding([.char("R")], .repair, "REPAIR on or off: reset each channel's statistics along λ (and in the merged model)"),
            KeyBinding([.char("w")], .write, "write the permuted B and the merged model to the export folder"),
            KeyBinding([.char("r")], .retry, "run again after a cancel or failure")
        ]
    }

    public func opened(_ context: ViewContext) { compute(context) }

    private func compute(_ context: ViewContext) {
        guard workspace.isComparison else { return }
        let (a, b, data, settings) = (workspace.models[0].network, workspace.models[1].network, workspace.data, settings)
        let options = RebasinOptions(
            method: settings.method, seed: settings.seed,
            interpolationSteps: data.labels == nil ? nil : settings.steps, repair: settings.repair == true)
        let title = "Re-Basin (\(settings.method.rawValue) matching\(settings.repair == true ? ", REPAIR" : ""))"
        results.request(settings, title: title, context) { job in
            try GitRebasin.run(a, b, data: data, options: options, progress: job.progress)
        }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        guard workspace.isComparison else { return false }
        switch action {
        case .method:
            settings.method = settings.method == .weight ? .activation : .weight
            compute(context)
        case .repair:
            settings.repair = !(settings.repair ?? false)
            compute(context)
        case .retry:
            guard results.retry(settings) else { return false }
            compute(context)
        case .write:
            guard let outcome = results[settings] else {
                context.notify("nothing to write yet: the matching is still running", style: Theme.dim)
                return true
            }
            write(outcome, context)
        }
        return true
    }

    /// Writes both networks into the export folder and says where in the status line.
    private func write(_ outcome: RebasinOutcome, _ context: ViewContext) {
        let (a, b) = (workspace.models[0].reference, workspace.models[1].reference)
        let how = "\(settings.method.rawValue) matching of \(b) to \(a)"
        do {
            let urls = try ExportFiles.write(
                in: context.exportDirectory, kinds: ["permuted", "merged"].map { "rebasin-\(settings.method.rawValue)-\($0)" },
                ext: "safetensors"
            ) { urls in
                try NetworkFile.save(outcome.permuted, to: urls[0], extraMetadata: ["loupe.rebasin": how], replacing: false)
                try NetworkFile.save(
                    outcome.merged, to: urls[1], extraMetadata: ["loupe.rebasin": "λ = ½ merge after \(how)"], replacing: false)
            }
            urls.forEach(context.wrote)
            context.notify(
                "wrote the permuted B (\(urls[0].lastPathComponent)) and the merged model (\(urls[1].lastPathComponent)) to \(context.exportDirectory.path)",
                style: Theme.accent)
        } catch {
            context.notify("cannot write the models: \(errorText(error))", style: Theme.error)
        }
    }

    // MARK: Export

    /// The run of the matching method chosen, once computed.
    public var current: RebasinResult? { results[settings]?.result }

    public var figures: FigureSheet? { current?.figures }

    /// The curves, as `loupe rebasin --lmc` writes them.
    public func exportTable() -> Table? {
        guard let (names, rows) = results[settings]?.result.curveColumns else { return nil }
        return Table(columns: names.map { Table.Column($0) }, rows: rows.map { $0.map(Table.Value.number) })
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard workspace.isComparison else { ComparisonProgress.needsTwoModels("Re-Basin", canvas: canvas); return }
        let (a, b) = (workspace.models[0].title, workspace.models[1].title)
        let other = settings.method == .weight ? "activation" : "weight"
        canvas.text(0, 0, "Git Re-Basin · \(settings.method.rawValue) matching of \(b) onto \(a) (m: \(other) matching)", Theme.heading)
        if let followed { canvas.text(0, 1, followed, Theme.accent) }
        let body = canvas.sub(Rect(x: 0, y: 2, width: canvas.width, height: canvas.height - 2))
        guard
            let outcome = results.value(
                settings, context, canvas: body, computing: "matching B's units to A's",
                failed: { "Re-Basin: \($0)" })
        else { return }
        renderResult(outcome.result, body, context)
    }

    private func renderResult(_ r: RebasinResult, _ canvas: Canvas, _ context: ViewContext) {
        let naive = r.naive, permuted = r.permuted
        // The facts, most important first, each with the line it takes; on a short screen the
        // last ones give way to the plots.
        var facts: [(text: String, style: Style, line: Int)] = []
        if let naive, let permuted {
            facts.append(
                (
                    "loss barrier: naive \(String(format: "%.4f", naive.lossBarrier)) · permuted \(String(format: "%.4f", permuted.lossBarrier))"
                        + (r.repaired.map { " · permuted + REPAIR \(String(format: "%.4f", $0.lossBarrier))" } ?? ""),
                    Theme.accent, 2
                ))
            facts.append(
                (
                    "accuracy barrier: naive \(NumberFormat.percent(naive.accuracyBarrier, digits: 2)) · permuted \(NumberFormat.percent(permuted.accuracyBarrier, digits: 2))"
                        + (r.repaired.map { " · permuted + REPAIR \(NumberFormat.percent($0.accuracyBarrier, digits: 2))" } ?? ""),
                    Theme.accent, 3
                ))
        } else {
            facts.append(("\(workspace.data.name) has no labels: no loss or accuracy along λ", Theme.dim, 2))
        }
        var models: [String] = []
        for (name, e) in [("A", r.evaluationA), ("B", r.evaluationB)] {
            if let e { models.append("\(name) \(NumberFormat.percent(e.accuracy, digits: 2))") }
        }
        if let naive, let half = naive.lambdas.firstIndex(of: 0.5) {
            models.append("naive midpoint \(NumberFormat.percent(naive.accuracy[half], digits: 2))")
        }
        if let m = r.evaluationMerged {
            let how = r.mergedRepaired == true ? "permuted, REPAIR" : "permuted"
            models.append("merged (λ = ½, \(how)) \(NumberFormat.percent(m.accuracy, digits: 2)), loss \(String(format: "%.4f", m.loss))")
        }
        if !models.isEmpty { facts.append(("accuracy: " + models.joined(separator: " · "), .plain, 4)) }
        var distances = "‖θ_A − θ_B‖ \(NumberFormat.readable(r.distanceNaive)) naive, \(NumberFormat.readable(r.distancePermuted)) permuted"
        if let d = r.maxLogitDifference { distances += " · permuted B = B to \(String(format: "%.1e", d)) in the logits" }
        facts.append((distances, .plain, 1))
        let groups = r.groups.map { "\($0.layer) (\($0.size) units, \($0.fixedUnits) in place)" }.joined(separator: ", ")
        facts.append(("permuted \(groups)" + (r.sweeps.map { " in \($0) sweep\($0 == 1 ? "" : "s")" } ?? ""), .plain, 0))
        if naive != nil {
            facts.append(
                (
                    "θ(λ) = (1 − λ)θ_A + λθ_B; a barrier (the vertical stroke) is the worst of a curve against the mean of its ends",
                    Theme.dim, 5
                ))
        }
        // Room goes first to the barriers (the first two facts), then to the plots when they can
        // be read (four rows each at least), then to the other facts; the last row says what `w`
        // does. A small terminal thus keeps the numbers and drops the pictures.
        let sideBySide = canvas.width >= 100
        let hint = "w writes the permuted B and the merged model to \(context.exportDirectory.path)"
        let hintRows = canvas.height >= 6 ? min(TextBlock.wrap(hint, width: canvas.width).count, 2) : 0
        var room = canvas.height - hintRows
        func rows(_ text: String) -> Int { TextBlock.wrap(text, width: canvas.width).count }
        var shown: [(text: String, style: Style, line: Int)] = []
        for fact in facts.prefix(2) where rows(fact.text) <= room {
            shown.append(fact)
            room -= rows(fact.text)
        }
        let plotMinimum = sideBySide ? 5 : 10
        let plotRows = naive == nil || room - 1 < plotMinimum ? 0 : min(sideBySide ? 8 : 2 * 7, room - 1)
        room -= plotRows == 0 ? 0 : plotRows + 1
        for fact in facts.dropFirst(2) where rows(fact.text) <= room {
            shown.append(fact)
            room -= rows(fact.text)
        }
        var y = 0
        for fact in shown.sorted(by: { $0.line < $1.line }) {
            y += TextBlock.render(
                fact.text, fact.style, canvas: canvas.sub(Rect(x: 0, y: y, width: canvas.width, height: canvas.height - hintRows - y)))
        }
        if hintRows > 0 {
            TextBlock.render(
                hint, Theme.dim, canvas: canvas.sub(Rect(x: 0, y: canvas.height - hintRows, width: canvas.width, height: hintRows)))
        }
        guard plotRows > 0, let naive, let permuted else { return }
        let area = Rect(x: 0, y: y + 1, width: canvas.width, height: plotRows)
        let panels = sideBySide ? area.columns(2, gap: 3) : area.rows(2, gap: 0)
        for (panel, (what, value)) in zip(panels, [("loss", \InterpolationCurve.loss), ("accuracy", \InterpolationCurve.accuracy)]) {
            LinePlot(title: "\(what) along λ", series: Self.series(naive, permuted, r.repaired, value))
                .render(canvas.sub(panel))
        }
    }

    /// The curves (with REPAIR's when it ran), and each barrier as a vertical stroke at the λ
    /// where it peaks: from the mean of the end points to the curve (upwards for loss,
    /// downwards for accuracy).
    static func series(
        _ naive: InterpolationCurve, _ permuted: InterpolationCurve, _ repaired: InterpolationCurve?,
        _ value: KeyPath<InterpolationCurve, [Double]>
    ) -> [LinePlot.Series] {
        let worstIsHighest = value == \InterpolationCurve.loss
        var strokes = (x: [Double](), y: [Double]())
        for curve in [naive, permuted] + (repaired.map { [$0] } ?? []) {
            let v = curve[keyPath: value]
            let k = worstIsHighest ? v.indices.max { v[$0] < v[$1] }! : v.indices.min { v[$0] < v[$1] }!
            strokes.x += [curve.lambdas[k], curve.lambdas[k], .nan]
            strokes.y += [(v.first! + v.last!) / 2, v[k], .nan]
        }
        return [
            LinePlot.Series("naive", x: naive.lambdas, y: naive[keyPath: value]),
            LinePlot.Series("permuted", x: permuted.lambdas, y: permuted[keyPath: value])
        ] + (repaired.map { [LinePlot.Series("REPAIR", x: $0.lambdas, y: $0[keyPath: value])] } ?? []) + [
            LinePlot.Series("barrier", x: strokes.x, y: strokes.y)
        ]
    }

}

extension RebasinView: FollowTargetView {
    /// Names the unit of B that weight matching pairs with the followed object's unit of A.
    func show(_ trail: LatentTrail, of followed: Followable, _ context: ViewContext) throws -> String {
        guard let unit = trail.rebasinUnit else {
            throw WorkbenchError("Re-Basin permutes no units of \(trail.layer) (it permutes hidden layers between two weight layers)")
        }
        let via = followed.sae == nil ? "" : " (the unit it writes to most)"
        self.followed = "\(followed.title): A unit \(trail.strongestUnit)\(via) ↔ B unit \(unit) under weight matching"
        return "Re-Basin: B unit \(unit)"
    }
}
