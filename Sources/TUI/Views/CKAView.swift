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
        /// Mutual k-NN instead of CKA (optional so that sessions saved before it still open).
        public var measure: CKAOptions.Measure?
        /// Shuffles of the permutation null (nil or 0: none).
        public var permutations: Int?
        public init() {}
    }

    struct Choice: Hashable {
        var kernel: CKAKernel
        var debiased: Bool
        var measure: CKAOptions.Measure
        var permutations: Int
    }

    public static let kind = "cka"
    public static let summary =
        "layer × layer CKA of models A and B (or of A's layers with each other): linear or RBF kernel, plain or debiased; or mutual k-NN; with permutation p-values"
    /// The RBF bandwidth the `K` key switches to, as a fraction of the median distance (the paper's demo).
    /// Above this many samples an RBF kernel works in minibatches: n × n Gram matrices of
    /// every sample would not fit.
    static let largestGram = 4096
    /// Shuffles the `p` key asks for: p-values down to 1/100.
    static let nullPermutations = 99

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
    public enum Action: Sendable, Equatable {
        case rowNext, rowPrevious, columnNext, columnPrevious, kernel, debiased, measure, null, retry
    }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.down, .char("j")], .rowNext, "next layer of A (row)"),
            KeyBinding([.up, .char("k")], .rowPrevious, "previous layer of A (row)"),
            KeyBinding([.right, .char("l")], .columnNext, "next layer of B (column)"),
            KeyBinding([.left, .char("h")], .columnPrevious, "previous layer of B (column)"),
            KeyBinding([.char("K")], .kernel, "kernel: linear ↔ RBF (bandwidth \(CKAKernel.defaultThreshold) × the median distance)"),
            KeyBinding([.char("d")], .debiased, "HSIC estimator: biased ↔ debiased (unbiased)"),
            KeyBinding([.char("M")], .measure, "measure: CKA ↔ mutual \(CKAOptions.defaultNeighbours)-NN alignment (Huh et al. 2024)"),
            KeyBinding(
                [.char("p")], .null, "permutation null: \(Self.nullPermutations) shuffles of B's samples, a p-value per cell (on ↔ off)"),
            KeyBinding([.char("r")], .retry, "compute again after a cancel or failure")
        ]
    }

    private var measure: CKAOptions.Measure { settings.measure ?? .cka }

    private var choice: Choice {
        // Mutual k-NN has no kernel or estimator: one result whatever they are set to.
        measure == .cka
            ? Choice(kernel: settings.kernel, debiased: settings.debiased, measure: .cka, permutations: settings.permutations ?? 0)
            : Choice(kernel: .linear, debiased: false, measure: measure, permutations: settings.permutations ?? 0)
    }

    public func opened(_ context: ViewContext) { compute(context) }

    private func compute(_ context: ViewContext) {
        let a = workspace.models[0].network, b = workspace.models[safe: 1]?.network, data = workspace.data
        let choice = choice
        var options = CKAOptions(
            measure: choice.measure, kernel: choice.kernel, debiased: choice.debiased, permutations: choice.permutations)
        if case .rbf = choice.kernel, data.count > Self.largestGram { options.batchSize = Self.largestGram / 4 }
        results.request(choice, title: "\(Self.describe(choice)) on \(data.name)", context) { job in
            try LayerCKA.compute(a, b, data: data, options: options, progress: job.progress)
        }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .rowNext: settings.row += 1
        case .rowPrevious: settings.row -= 1
        case .columnNext: settings.column += 1
        case .columnPrevious: settings.column -= 1
        case .kernel where measure == .mutualKNN, .debiased where measure == .mutualKNN:
            context.notify("mutual k-NN ranks cosine similarities: it has no kernel or estimator (M: back to CKA)", style: Theme.dim)
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
        case .measure:
            settings.measure = measure == .cka ? .mutualKNN : .cka
            compute(context)
        case .null:
            settings.permutations = (settings.permutations ?? 0) > 0 ? 0 : Self.nullPermutations
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
        let nullNames = m.null == nil ? [] : ["p_value", "null_mean", "null_spread", "permutations"]
        let names =
            ["model_a", "layer_a", "model_b", "layer_b", m.valueSection, "kernel", "debiased", "samples", "data"] + nullNames
        var table = Table(columns: names.map { Table.Column($0) })
        let (a, b) = (workspace.models[0].reference, workspace.models[safe: 1]?.reference ?? workspace.models[0].reference)
        for (i, row) in m.rowLayers.enumerated() {
            for (j, column) in m.columnLayers.enumerated() {
                let null: [Table.Value] =
                    m.null.map { n in
                        let c = n[i][j]
                        return [.number(c.pValue), .number(c.mean), .number(c.spread), .integer(c.permutations)]
                    } ?? []
                table.rows.append(
                    [
                        .text(a), .text(row), .text(b), .text(column), .number(m.values[i][j]), .text(m.kernel.description),
                        .integer(m.debiased ? 1 : 0), .integer(m.samples), .text(m.data)
                    ] + null)
            }
        }
        return table
    }

    // MARK: Drawing

    /// "CKA · linear kernel · biased HSIC · p-values from 99 shuffles".
    static func describe(_ c: Choice) -> String {
        var parts: [String]
        if c.measure == .mutualKNN {
            parts = ["mutual \(CKAOptions.defaultNeighbours)-NN alignment", "cosine neighbours"]
        } else if case .rbf(let t) = c.kernel {
            parts = ["CKA", "RBF kernel (σ = \(NumberFormat.readable(t)) × median distance)"]
        } else {
            parts = ["CKA", "linear kernel"]
        }
        if c.measure == .cka { parts.append(c.debiased ? "debiased HSIC" : "biased HSIC") }
        if c.permutations > 0 { parts.append("p-values from \(c.permutations) shuffles") }
        return parts.joined(separator: " · ")
    }

    /// CKA lies in [0, 1]; the debiased estimate can dip a little below 0, and then the map
    /// turns diverging so that negative values stand out.
    static func scale(_ m: CKAMatrix) -> ColorScale {
        let low = m.values.joined().filter(\.isFinite).min() ?? 0
        return low < 0 ? .diverging(limit: 1) : .sequential(low: 0, high: 1)
    }

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        let models = workspace.models
        let rowsName = models[0].title, columnsName = models.count > 1 ? models[1].title : models[0].title
        canvas.text(0, 0, Self.describe(choice), Theme.heading)
        let layers = "rows: layers of \(rowsName) · columns: layers of \(columnsName)"
        canvas.text(0, 1, layers, Theme.dim)
        let body = canvas.sub(Rect(x: 0, y: 3, width: canvas.width, height: canvas.height - 3))
        guard
            let m = results.value(
                choice, context, canvas: body, computing: "computing \(measure == .cka ? "CKA" : "mutual k-NN") on \(workspace.data.name)",
                failed: { "\(measure == .cka ? "CKA" : "mutual k-NN"): \($0)" })
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
        let null = m.null.map { " · " + $0[settings.row][settings.column].text }
        canvas.text(
            0, used.height + 1,
            "\(comparing ? "A " : "")\(row) × \(comparing ? "B " : "")\(column): \(m.measureName) \(String(format: "%.4f", value))\(null ?? "")",
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
