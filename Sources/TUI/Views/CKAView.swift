import Figures
import Foundation
import Interpret
import Networks
import Workbench

/// Centred kernel alignment between every layer of model A and every layer of model B (or of
/// A with itself when the workspace has one model), as the heatmap of Kornblith et al. (2019):
/// layer names on both axes, each block coloured and labelled with its CKA, the cell under the
/// cursor named with its value, and for two models the layer of B most like each layer of A.
public final class CKAView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var kernel: CKAKernel = .linear
        /// The unbiased HSIC estimator.
        public var debiased = false
        /// The cell under the cursor: a layer of A (row) and a layer of B (column).
        public var row = 0
        public var column = 0
        public init() {}
    }

    struct Choice: Hashable {
        var kernel: CKAKernel
        var debiased: Bool
    }

    public static let kind = "cka"
    public static let summary =
        "layer × layer CKA of models A and B (or of A's layers with each other): linear or RBF kernel, plain or debiased"
    /// The RBF bandwidth the `K` key switches to, as a fraction of the median distance (the paper's demo).
    /// Above this many samples an RBF kernel works in minibatches: n × n Gram matrices of
    /// every sample would not fit.
    static let largestGram = 4096

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let results = ComparisonResults<Choice, CKAMatrix>()
    private var origin = (row: 0, column: 0)

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "CKA" }

    /// What the view's keys do.
    public enum Action: Sendable, Equatable { case rowNext, rowPrevious, columnNext, columnPrevious, kernel, debiased, retry }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.down, .char("j")], .rowNext, "next layer of A (row)"),
            KeyBinding([.up, .char("k")], .rowPrevious, "previous layer of A (row)"),
            KeyBinding([.right, .char("l")], .columnNext, "next layer of B (column)"),
            KeyBinding([.left, .char("h")], .columnPrevious, "previous layer of B (column)"),
            KeyBinding([.char("K")], .kernel, "kernel: linear ↔ RBF (bandwidth \(CKAKernel.defaultThreshold) × the median distance)"),
            KeyBinding([.char("d")], .debiased, "HSIC estimator: biased ↔ debiased (unbiased)"),
            KeyBinding([.char("r")], .retry, "compute again after a cancel or failure")
        ]
    }

    private var choice: Choice { Choice(kernel: settings.kernel, debiased: settings.debiased) }

    public func opened(_ context: ViewContext) { compute(context) }

    private func compute(_ context: ViewContext) {
        let a = workspace.models[0].network, b = workspace.models[safe: 1]?.network, data = workspace.data
        var options = CKAOptions(kernel: settings.kernel, debiased: settings.debiased)
        if case .rbf = settings.kernel, data.count > Self.largestGram { options.batchSize = Self.largestGram / 4 }
        let estimator = settings.debiased ? "debiased" : "biased"
        results.request(choice, title: "CKA (\(settings.kernel), \(estimator))", context) { job in
            try LayerCKA.compute(a, b, data: data, options: options, progress: job.progress)
        }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .rowNext: settings.row += 1
        case .rowPrevious: settings.row -= 1
        case .columnNext: settings.column += 1
        case .columnPrevious: settings.column -= 1
        case .kernel:
            if case .linear = settings.kernel {
                settings.kernel = .rbf(threshold: CKAKernel.defaultThreshold)
            } else {
                settings.kernel = .linear
            }
            compute(context)
        case .debiased:
            settings.debiased.toggle()
            compute(context)
        case .retry:
            guard results.retry(choice) else { return false }
            compute(context)
        }
        clampCursor()
        return true
    }

    private func clampCursor() {
        guard let m = results[choice] else { return }
        settings.row = min(max(settings.row, 0), m.rowLayers.count - 1)
        settings.column = min(max(settings.column, 0), m.columnLayers.count - 1)
    }

    // MARK: Export

    /// The matrix of the kernel and estimator chosen, once computed.
    public var current: CKAMatrix? { results[choice] }

    public var figures: FigureSheet? { current?.figures }

    public func exportTable() -> Table? {
        guard let m = results[choice] else { return nil }
        let names = ["model_a", "layer_a", "model_b", "layer_b", "cka", "kernel", "debiased", "samples", "data"]
        var table = Table(columns: names.map { Table.Column($0) })
        let (a, b) = (workspace.models[0].reference, workspace.models[safe: 1]?.reference ?? workspace.models[0].reference)
        for (i, row) in m.rowLayers.enumerated() {
            for (j, column) in m.columnLayers.enumerated() {
                table.rows.append([
                    .text(a), .text(row), .text(b), .text(column), .number(m.values[i][j]), .text(m.kernel.description),
                    .integer(m.debiased ? 1 : 0), .integer(m.samples), .text(m.data)
                ])
            }
        }
        return table
    }

    // MARK: Drawing

    /// CKA lies in [0, 1]; the debiased estimate can dip a little below 0, and then the map
    /// turns diverging so that negative values stand out.
    static func scale(_ m: CKAMatrix) -> ColorScale {
        let low = m.values.joined().filter(\.isFinite).min() ?? 0
        return low < 0 ? .diverging(limit: 1) : .sequential(low: 0, high: 1)
    }

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        let models = workspace.models
        let rowsName = models[0].title, columnsName = models.count > 1 ? models[1].title : models[0].title
        let estimator = settings.debiased ? "debiased HSIC" : "biased HSIC"
        let kernel: String
        if case .rbf(let t) = settings.kernel {
            kernel = "RBF kernel (σ = \(NumberFormat.readable(t)) × median distance)"
        } else {
            kernel = "linear kernel"
        }
        canvas.text(0, 0, "CKA · \(kernel) · \(estimator)", Theme.heading)
        let layers = "rows: layers of \(rowsName) · columns: layers of \(columnsName)"
        canvas.text(0, 1, layers, Theme.dim)
        let body = canvas.sub(Rect(x: 0, y: 3, width: canvas.width, height: canvas.height - 3))
        guard
            let m = results.value(
                choice, context, canvas: body, computing: "computing CKA on \(workspace.data.name)",
                failed: { "CKA: \($0)" })
        else { return }
        clampCursor()
        let batches = m.batchSize.map { " in minibatches of \($0) (unbiased HSIC)" } ?? ""
        canvas.text(0, 1, "\(layers) · \(m.samples) samples of \(m.data)\(batches)", Theme.dim)
        renderMatrix(m, body, comparing: models.count > 1)
    }

    private func renderMatrix(_ m: CKAMatrix, _ canvas: Canvas, comparing: Bool) {
        // For two models, a column beside the map names each layer of A's closest layer of B.
        let best = comparing ? m.bestColumnForRow : []
        let listWidth = comparing ? min((m.rowLayers + m.columnLayers).map { $0.unicodeScalars.count }.max()! * 2 + 11, 40) : 0
        let grid = LayerGrid(
            values: m.values, rowLabels: m.rowLayers, columnLabels: m.columnLayers, scale: Self.scale(m),
            cursor: (settings.row, settings.column))
        let footer = 2
        var gridWidth = canvas.width
        if comparing, canvas.width - listWidth - 2 >= 24 { gridWidth -= listWidth + 2 }
        let layout = grid.layout(width: gridWidth, height: canvas.height - footer)
        let used = (
            width: layout.labelWidth + min(layout.visibleColumns, m.columnLayers.count) * layout.cellWidth,
            height: layout.headerHeight + min(layout.visibleRows, m.rowLayers.count) * layout.cellHeight
        )
        grid.render(canvas.sub(Rect(x: 0, y: 0, width: gridWidth, height: canvas.height - footer)), origin: &origin)
        Heatmap.legend(
            grid.scale,
            canvas: canvas.sub(
                Rect(x: layout.labelWidth, y: used.height, width: min(max(used.width - layout.labelWidth, 24), canvas.width), height: 1)))
        let (row, column) = (m.rowLayers[settings.row], m.columnLayers[settings.column])
        let value = m.values[settings.row][settings.column]
        canvas.text(
            0, used.height + 1, "\(comparing ? "A " : "")\(row) × \(comparing ? "B " : "")\(column): CKA \(String(format: "%.4f", value))",
            Theme.accent)
        if gridWidth < canvas.width {
            let list = canvas.sub(Rect(x: gridWidth + 2, y: 0, width: listWidth, height: canvas.height))
            list.text(0, 0, "closest layer of B", Theme.title)
            for (i, name) in m.rowLayers.enumerated() where i + 1 < list.height {
                let line = "\(name) → \(m.columnLayers[best[i]]) \(String(format: "%.2f", m.values[i][best[i]]))"
                list.text(0, i + 1, line, i == settings.row ? Theme.selected : .plain)
            }
        }
    }
}
