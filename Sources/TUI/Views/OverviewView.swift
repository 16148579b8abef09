import Figures
import Foundation
import Networks
import Workbench

/// What each model is and how it does on the data: architecture and parameters, accuracy and
/// loss, and per layer the weight norms and activation statistics (docs/workbench.md). In compare
/// mode the two models sit side by side (stacked on narrow terminals), and a plot sets their
/// per-layer activation spread against each other.
public final class OverviewView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var table = TableState()
        public var filter = ""
        public init() {}
    }

    public static let kind = "overview"
    public static let summary = "architecture, parameters, accuracy and loss, per-layer weight and activation statistics"

    public private(set) var settings: Settings
    private let workspace: Workspace
    /// One per model, filled in by the background job.
    public private(set) var summaries: [ModelSummary?]
    private var failure: String?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        summaries = Array(repeating: nil, count: workspace.models.count)
    }

    public var title: String { "Overview" }
    /// The Overview's keys are its table's.
    public typealias Action = TableState.Action

    public var keyBindings: [KeyBinding<Action>] { TableState.bindings }

    public func opened(_ context: ViewContext) {
        let models = workspace.models, data = workspace.data
        context.jobs.submit(
            "summarising",
            work: { [weak self] job in
                for (i, model) in models.enumerated() {
                    try job.checkCancellation()
                    let summary = try ModelSummary.compute(model.network, reference: model.reference, data: data) { f in
                        job.report((Double(i) + f) / Double(models.count), "\(model.reference) on \(data.name)")
                    }
                    job.deliver { self?.summaries[i] = summary }
                }
            },
            completion: { [weak self] outcome in
                if case .failed(let m) = outcome { self?.failure = m }
                if case .cancelled = outcome { self?.failure = "cancelled; :close and :open overview to start again" }
            })
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        settings.table.perform(action, columns: OverviewView.columns.count)
        return true
    }

    public func applyFilter(_ text: String) -> Bool {
        settings.filter = text
        return true
    }

    // MARK: Tables

    static let columns: [Table.Column] = [
        .init("layer"), .init("kind"), .init("output"), .init("parameters"), .init("‖W‖", .fixed(3)), .init("‖b‖", .fixed(3)),
        .init("mean", .fixed(3)), .init("std", .fixed(3)), .init("min", .fixed(3)), .init("max", .fixed(3)),
        .init("zero", .percent(1)), .init("dead", .percent(1))
    ]

    /// One row per layer, as the screen shows it.
    public static func layerTable(_ summary: ModelSummary) -> Table {
        Table(
            columns: columns,
            rows: summary.layers.map { layer in
                let a = layer.activations
                func number(_ v: Double?) -> Table.Value { v.map { .number($0) } ?? .missing }
                return [
                    .text(layer.name), .text(layer.kind), .text(shapeText(layer.outputShape)),
                    layer.parameters > 0 ? .integer(layer.parameters) : .missing,
                    number(layer.weightNorm), number(layer.biasNorm), number(a?.mean), number(a?.std), number(a?.min), number(a?.max),
                    number(a?.zeroFraction), number(a?.deadFraction)
                ]
            })
    }

    public func exportTable() -> Table? {
        let done = summaries.compactMap { $0 }
        guard done.count == summaries.count, !done.isEmpty else { return nil }
        let names = [
            "model", "layer", "kind", "output_shape", "parameters", "weight_norm", "bias_norm", "act_mean", "act_std",
            "act_min", "act_max", "zero_fraction", "dead_fraction", "dead_units", "units", "accuracy", "loss"
        ]
        var table = Table(columns: names.map { Table.Column($0) })
        for s in done {
            let layers = OverviewView.layerTable(s)
            for (row, layer) in zip(layers.rows, s.layers) {
                let extra: [Table.Value] = [
                    layer.activations.map { .integer($0.deadUnits) } ?? .missing,
                    layer.activations.map { .integer($0.units) } ?? .missing,
                    s.evaluation.map { .number($0.accuracy) } ?? .missing,
                    s.evaluation.map { .number($0.loss) } ?? .missing
                ]
                table.rows.append([.text(s.model)] + row + extra)
            }
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        if let failure { TextBlock.render("Overview: \(failure)", Theme.error, canvas: canvas); return }
        let models = workspace.models
        let layerCount = models.map { $0.network.layers.count }.max() ?? 0
        let panelHeight = 3 + layerCount + 1
        let plotHeight = canvas.height - (models.count > 1 && canvas.width < 120 ? 2 * panelHeight : panelHeight)
        let showPlot = plotHeight >= 8
        let panels = Rect(x: 0, y: 0, width: canvas.width, height: showPlot ? canvas.height - plotHeight : canvas.height)
        let areas = models.count > 1 && canvas.width >= 120 ? panels.columns(models.count, gap: 3) : panels.rows(models.count, gap: 0)
        for (i, model) in models.enumerated() {
            renderModel(model, summaries[i], canvas.sub(areas[i]))
        }
        if showPlot {
            let done = summaries.compactMap { $0 }
            let series = done.map { s in
                LinePlot.Series(
                    models.first { $0.reference == s.model }?.title ?? s.model, x: s.layers.indices.map { Double($0 + 1) },
                    y: s.layers.map { $0.activations?.std ?? .nan })
            }
            let plot = LinePlot(title: "activation std by layer (x: layer number)", series: series)
            plot.render(canvas.sub(Rect(x: 0, y: canvas.height - plotHeight + 1, width: canvas.width, height: plotHeight - 1)))
        }
    }

    private func renderModel(_ model: LoadedModel, _ summary: ModelSummary?, _ canvas: Canvas) {
        let net = model.network
        canvas.text(0, 0, model.title, Theme.heading)
        let name = net.name == model.reference ? "" : "\(net.name) · "
        let facts =
            "  \(name)\(NumberFormat.grouped(net.learnedParameterCount)) parameters · input \(shapeText(net.input.shape)) · \(net.outputSize) outputs"
        canvas.text(model.title.unicodeScalars.count, 0, facts)
        guard let summary else {
            canvas.text(0, 1, "computing statistics on \(workspace.data.name)…", Theme.dim)
            return
        }
        if let e = summary.evaluation {
            canvas.text(
                0, 1,
                "\(summary.data ?? "data"): \(summary.samples) samples · accuracy \(NumberFormat.percent(e.accuracy, digits: 2)) · loss \(String(format: "%.4f", e.loss))"
            )
        } else {
            canvas.text(0, 1, "\(summary.data ?? "data"): \(summary.samples) samples, no labels (no accuracy)", Theme.dim)
        }
        if !settings.filter.isEmpty { canvas.textRight(canvas.width, 1, "filter: \(settings.filter)", Theme.accent) }
        TableWidget.render(
            OverviewView.layerTable(summary), state: &settings.table, filter: settings.filter,
            canvas: canvas.sub(Rect(x: 0, y: 2, width: canvas.width, height: canvas.height - 2)))
    }
}
