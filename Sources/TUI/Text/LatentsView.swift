import Figures
import Foundation
import Interpret
import LinAlg
import Transformers
import Workbench

/// An SAE's latents on the workspace's text: a table of every latent (how often it fires, how
/// strongly, the token it promotes most), sortable and filterable (`/` by a promoted token), and
/// the selected latent's dashboard as sae_vis shows it (`LatentDashboard`): its top contexts and
/// examples from lower bands, each token coloured by the latent, the tokens it promotes and
/// suppresses, and the tokens before it fires.
public final class LatentsView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var table = TableState()
        public var filter = ""
        public init() {}
    }

    /// The SAE's codes on the text, and a row per latent.
    struct Overview {
        let source: TextHookSource
        let table: Table
    }

    public static let kind = "latents"
    public static let summary = "an SAE's latents on the text: density, max, promoted token; the selected latent's dashboard"

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let overview = KeyedResult<String, Overview>()
    private let dashboards = KeyedResult<Int, LatentDashboard>()

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "Latents" }
    public typealias Action = TableState.Action
    public var keyBindings: [KeyBinding<Action>] { TableState.bindings }

    static let columns: [Table.Column] = [
        .init("latent"), .init("density", .percent(2)), .init("max", .fixed(3)), .init("promotes most")
    ]

    public func opened(_ context: ViewContext) { compute(context) }

    private func compute(_ context: ViewContext) {
        guard let loaded = workspace.sae, let text = workspace.text, let model = workspace.textModels.first else { return }
        overview.request(loaded.reference, "latents", in: context) { job in
            let source = try Self.source(loaded, model, text, job: job)
            let codes = loaded.sae.encode(source.values).dense
            let ids = Array(source.contexts.joined())
            let counted = ids.indices.filter { !text.special.contains(ids[$0]) }
            let tokenizer = model.transformer.tokenizer!
            var rows: [[Table.Value]] = []
            for j in 0..<loaded.sae.latentCount {
                try job.checkCancellation()
                let values = counted.map { codes[$0, j] }
                let effect = try model.transformer.logitEffect(of: Array(loaded.sae.decoder.row(j)))
                let best = effect.indices.max { effect[$0] < effect[$1] }!
                rows.append([
                    .integer(j), .number(Double(values.filter { $0 > 0 }.count) / Double(max(counted.count, 1))),
                    .number(Double(values.max() ?? 0)), .text(tokenizer.decode([best], skipSpecialTokens: false))
                ])
            }
            return Overview(source: source, table: Table(columns: Self.columns, rows: rows))
        }
    }

    /// Model A's hook point over the text, for the SAE.
    static func source(_ loaded: LoadedSAE, _ model: LoadedTextModel, _ text: TextSample, job: JobControl) throws -> TextHookSource {
        var rows: [Float] = []
        try runContexts(model.transformer, text.contexts, keeping: [loaded.hook], job: job, label: model.reference) { _, run in
            rows += run.hooks[loaded.hook]!.storage
        }
        let width = loaded.sae.inputSize
        return TextHookSource(
            name: "\(model.reference) \(loaded.hook) on \(text.name)", values: Matrix(rows: rows.count / width, cols: width, storage: rows),
            model: model.transformer, hook: loaded.hook, contexts: text.contexts, special: text.special)
    }

    /// The latent of the selected row.
    private func selectedLatent(_ o: Overview) -> Int? {
        let visible = TableWidget.visibleRows(o.table, settings.table, filter: settings.filter)
        guard visible.indices.contains(settings.table.selectedRow) else { return nil }
        return o.table.rows[visible[settings.table.selectedRow]][0].number.map { Int($0) }
    }

    /// Selects `latent`'s row (the prompt view's jump), clearing a filter that hides it.
    private func select(_ latent: Int, in o: Overview) {
        var visible = TableWidget.visibleRows(o.table, settings.table, filter: settings.filter)
        if !visible.contains(latent) {
            settings.filter = ""
            visible = TableWidget.visibleRows(o.table, settings.table)
        }
        settings.table.selectedRow = visible.firstIndex(of: latent) ?? 0
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        settings.table.perform(action, columns: Self.columns.count)
        return true
    }

    public func applyFilter(_ text: String) -> Bool {
        settings.filter = text
        settings.table.selectedRow = 0
        return true
    }

    public func exportTable() -> Table? { overview.value(for: workspace.sae?.reference ?? "")?.table }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let loaded = workspace.sae else {
            TextBlock.render(
                "No SAE is open: start the workbench with --sae DIR (an SAE on one of this model's hook points, e.g. from loupe sae train CHECKPOINT --text FILE --layer HOOK).",
                Theme.warning, canvas: canvas)
            return
        }
        if let failure = overview.failure { TextBlock.render("Latents: \(failure)", Theme.error, canvas: canvas); return }
        guard let o = overview.value(for: loaded.reference) else {
            canvas.text(0, 0, "encoding the text with \(loaded.reference)…", Theme.dim)
            return
        }
        if let wanted = workspace.selectedLatent {
            select(wanted, in: o)
            workspace.selectedLatent = nil
        }
        canvas.text(0, 0, "\(loaded.reference) · \(loaded.hook) · \(loaded.sae.latentCount) latents", Theme.heading)
        if !settings.filter.isEmpty { canvas.textRight(canvas.width, 0, "filter: \(settings.filter)", Theme.accent) }
        let tableWidth = min(46, canvas.width / 2)
        TableWidget.render(
            o.table, state: &settings.table, filter: settings.filter,
            canvas: canvas.sub(Rect(x: 0, y: 1, width: tableWidth, height: canvas.height - 1)))
        guard let latent = selectedLatent(o) else { return }
        let board = canvas.sub(Rect(x: tableWidth + 2, y: 1, width: canvas.width - tableWidth - 2, height: canvas.height - 1))
        dashboards.request(latent, "dashboard", in: context) { _ in
            try LatentDashboard.compute(loaded.sae, latents: [latent], on: o.source)[0]
        }
        if let failure = dashboards.failure { board.text(0, 0, failure, Theme.error); return }
        guard let d = dashboards.value(for: latent) else {
            board.text(0, 0, "latent \(latent)…", Theme.dim)
            return
        }
        Self.renderDashboard(d, board)
    }

    /// A dashboard: its figures, each band's excerpts with tokens coloured by the latent, and
    /// the token lists.
    static func renderDashboard(_ d: LatentDashboard, _ canvas: Canvas) {
        canvas.text(
            0, 0,
            "latent \(d.latent) · fires on \(NumberFormat.percent(d.density, digits: 2)) of tokens · max \(NumberFormat.readable(d.maxActivation))",
            Theme.title)
        canvas.text(
            0, 1, "histogram (0 … max): " + Sparkline.text(d.histogram), Theme.dim)
        var y = 2
        func list(_ label: String, _ values: [LatentDashboard.TokenValue], counts: Bool = false) {
            guard y < canvas.height else { return }
            var x = canvas.text(0, y, label, Theme.dim)
            for v in values {
                x += canvas.text(x, y, " " + v.text.replacingOccurrences(of: "\n", with: "↵"), Theme.accent)
                x += canvas.text(x, y, counts ? " ×\(Int(v.value))" : " " + NumberFormat.readable(v.value, digits: 2), Theme.dim)
            }
            y += 1
        }
        list("promotes:  ", d.promoted)
        list("suppresses:", d.suppressed)
        list("after:     ", d.preceding, counts: true)
        let scale = ColorScale.sequential(low: 0, high: max(d.maxActivation, .leastNormalMagnitude))
        for band in d.bands where y < canvas.height {
            canvas.text(0, y, "\(band.label) · \(band.contexts) contexts", Theme.heading)
            y += 1
            for e in band.excerpts where y < canvas.height {
                let styles = e.values.map { v -> Style in
                    guard v > 0 else { return .plain }
                    guard canvas.colors.hasColor else { return Style(attributes: [.bold, .underline]) }
                    let background = scale.color(v)
                    return Style(foreground: TokenColors.readable(on: background), background: background)
                }
                let tokens = e.tokens.map { $0.replacingOccurrences(of: "\n", with: "↵") }
                y += TokenText.render(
                    tokens, styles: styles, selected: e.position - e.start,
                    canvas: canvas.sub(Rect(x: 2, y: y, width: canvas.width - 2, height: min(2, canvas.height - y))))
            }
        }
    }
}
