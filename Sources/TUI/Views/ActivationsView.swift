import Figures
import Foundation
import LinAlg
import Networks
import Workbench

/// One sample through the network: the sample as an image, each model's prediction, and every
/// layer's activations as heatmaps; or, for one unit, its activation histogram over the data
/// and the samples that excite it most. In compare mode both models are shown side by side
/// for the same sample and unit.
public final class ActivationsView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var sample = 0
        /// Index into the shown layers (flatten layers are skipped).
        public var layer = 0
        public var unit = 0
        /// Showing the selected unit's histogram and top samples instead of the heatmaps.
        public var unitDetail = false
        public init() {}
    }

    public static let kind = "activations"
    public static let summary = "a sample's activations in every layer as heatmaps; a unit's histogram and top samples"

    public private(set) var settings: Settings
    private let workspace: Workspace
    private var records: [ActivationRecord?]
    private var failure: String?
    /// The first row of heatmaps shown (they scroll to keep the selected layer in view).
    private var firstBlockRow = 0

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        records = Array(repeating: nil, count: workspace.models.count)
    }

    public var title: String { "Activations" }

    /// What the view's keys do.
    public enum Action: Sendable, Equatable {
        case sampleNext, samplePrevious, sampleNext10, samplePrevious10, layerNext, layerPrevious, unitNext, unitPrevious, unitDown, unitUp,
            unitTop, unitDetail, unitClose
    }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("n"), .char(".")], .sampleNext, "next sample"),
            KeyBinding([.char("p"), .char(",")], .samplePrevious, "previous sample"),
            KeyBinding([.char("N")], .sampleNext10, "10 samples on"),
            KeyBinding([.char("P")], .samplePrevious10, "10 samples back"),
            KeyBinding([.down, .char("j")], .layerNext, "next layer"),
            KeyBinding([.up, .char("k")], .layerPrevious, "previous layer"),
            KeyBinding([.right, .char("l")], .unitNext, "next unit"),
            KeyBinding([.left, .char("h")], .unitPrevious, "previous unit"),
            KeyBinding([.char("L")], .unitDown, "unit one heatmap row on"),
            KeyBinding([.char("H")], .unitUp, "unit one heatmap row back"),
            KeyBinding([.char("t")], .unitTop, "go to the sample that excites the unit most"),
            KeyBinding([.enter], .unitDetail, "the selected unit: histogram and top samples (again: back)"),
            KeyBinding([.escape], .unitClose, "back from the unit to the heatmaps")
        ]
    }

    public func opened(_ context: ViewContext) {
        let models = workspace.models, data = workspace.data
        context.jobs.submit(
            "activations",
            work: { [weak self] job in
                for (i, model) in models.enumerated() {
                    let record = try ActivationRecord.compute(model.network, data: data, label: model.reference, job: job)
                    job.deliver { self?.records[i] = record }
                }
            },
            completion: { [weak self] outcome in
                if case .failed(let m) = outcome { self?.failure = m }
                if case .cancelled = outcome { self?.failure = "cancelled; :close and :open activations to start again" }
            })
    }

    // MARK: Selection

    private var layerCount: Int { records.compactMap { $0?.layers.count }.min() ?? 0 }

    private func units(ofLayer l: Int) -> Int {
        records.compactMap { $0?.layers[safe: l]?.values.cols }.min() ?? 1
    }

    private func clampSelection() {
        settings.sample = min(max(settings.sample, 0), max(workspace.data.count - 1, 0))
        settings.layer = min(max(settings.layer, 0), max(layerCount - 1, 0))
        settings.unit = min(max(settings.unit, 0), max(units(ofLayer: settings.layer) - 1, 0))
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        let layout = records.compactMap { $0 }.first?.layers[safe: settings.layer].map { HeatmapLayout(shape: $0.shape) }
        switch action {
        case .sampleNext: settings.sample += 1
        case .samplePrevious: settings.sample -= 1
        case .sampleNext10: settings.sample += 10
        case .samplePrevious10: settings.sample -= 10
        case .layerNext: settings.layer += 1; settings.unit = 0
        case .layerPrevious: settings.layer -= 1; settings.unit = 0
        case .unitNext: settings.unit += 1
        case .unitPrevious: settings.unit -= 1
        case .unitDown: settings.unit += layout?.cols ?? 1
        case .unitUp: settings.unit -= layout?.cols ?? 1
        case .unitTop:
            guard let top = topSamples(model: 0, count: 1).first else { return false }
            settings.sample = top.sample
        case .unitDetail: settings.unitDetail.toggle()
        case .unitClose:
            guard settings.unitDetail else { return false }
            settings.unitDetail = false
        }
        clampSelection()
        return true
    }

    /// The samples where the selected unit of model `model` is largest, best first.
    func topSamples(model: Int, count: Int) -> [(sample: Int, value: Float)] {
        guard let layer = records[safe: model]??.layers[safe: settings.layer], settings.unit < layer.values.cols else { return [] }
        let column = layer.values.column(settings.unit)
        return column.indices.sorted { column[$0] > column[$1] }.prefix(count).map { ($0, column[$0]) }
    }

    // MARK: Export

    public func exportTable() -> Table? {
        let done = records.compactMap { $0 }
        guard done.count == records.count, !done.isEmpty else { return nil }
        clampSelection()
        let labels = workspace.data.labels
        func label(_ s: Int) -> Table.Value { labels.map { .integer($0[s]) } ?? .missing }
        if settings.unitDetail {
            // The numbers behind the histogram and the top samples: the unit on every sample.
            var table = Table(columns: ["model", "layer", "unit", "rank", "sample", "label", "activation"].map { .init($0) })
            for (m, record) in done.enumerated() {
                let layer = record.layers[settings.layer]
                for (rank, top) in topSamples(model: m, count: workspace.data.count).enumerated() {
                    table.rows.append([
                        .text(workspace.models[m].reference), .text(layer.name), .integer(settings.unit), .integer(rank + 1),
                        .integer(top.sample), label(top.sample), .number(Double(top.value))
                    ])
                }
            }
            return table
        }
        // The numbers behind the heatmaps: every unit of every layer for the current sample.
        var table = Table(columns: ["model", "sample", "label", "prediction", "layer", "unit", "activation"].map { .init($0) })
        let s = settings.sample
        for (m, record) in done.enumerated() {
            for layer in record.layers {
                for (u, v) in layer.values.row(s).enumerated() {
                    table.rows.append([
                        .text(workspace.models[m].reference), .integer(s), label(s), .integer(record.predictions[s]),
                        .text(layer.name), .integer(u), .number(Double(v))
                    ])
                }
            }
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        if let failure { TextBlock.render("Activations: \(failure)", Theme.error, canvas: canvas); return }
        guard records.allSatisfy({ $0 != nil }) else {
            canvas.text(0, 0, "running \(workspace.data.name) through the model…", Theme.dim)
            return
        }
        clampSelection()
        let leftWidth = min(max(22, canvas.width / 4), 30)
        let (left, right) = canvas.bounds.splitLeft(leftWidth)
        renderSample(canvas.sub(Rect(x: left.x, y: left.y, width: left.width - 1, height: left.height)))
        let panels = Rect(x: right.x + 1, y: right.y, width: right.width - 1, height: right.height).columns(records.count, gap: 2)
        for (m, area) in panels.enumerated() {
            let panel = canvas.sub(area)
            let model = workspace.models[m]
            panel.text(0, 0, model.title, Theme.heading)
            let body = panel.sub(Rect(x: 0, y: 1, width: panel.width, height: panel.height - 1))
            if settings.unitDetail { renderUnit(model: m, body) } else { renderHeatmaps(model: m, body) }
        }
    }

    /// The sample as an image, its label, and each model's prediction and class probabilities.
    private func renderSample(_ canvas: Canvas) {
        let s = settings.sample, data = workspace.data
        canvas.text(0, 0, "sample \(NumberFormat.sample(s, of: data.count))", Theme.title)
        var y = 1
        if let labels = data.labels {
            canvas.text(0, y, "label \(workspace.models[0].network.classNames[safe: labels[s]] ?? String(labels[s]))"); y += 1
        }
        let net = workspace.models[0].network
        let shape = net.input.image ?? (net.input.shape.count == 3 ? net.input.shape : nil)
        if let shape {
            let image = ImageWidget(
                pixels: data.x.row(s).map(Double.init), shape: shape,
                range: net.input.range.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
            let scale = image.scale(fitting: (canvas.width, min(10, canvas.height / 2)), mode: canvas.colors)
            let size = image.size(scale: scale, mode: canvas.colors)
            image.render(canvas.sub(Rect(x: 0, y: y, width: size.width, height: size.height)), scale: scale)
            y += size.height
        }
        for (m, record) in records.enumerated() {
            guard let record else { continue }
            let model = workspace.models[m]
            let predicted = record.predictions[s]
            let p = record.probabilities[s, predicted]
            let correct = data.labels.map { $0[s] == predicted }
            let style = correct == nil ? Style.plain : (correct! ? Theme.accent : Theme.error)
            canvas.text(
                0, y,
                "\(model.label) → \(model.network.classNames[safe: predicted] ?? String(predicted))  \(String(format: "%.1f %%", 100 * p))",
                style)
            y += 1
        }
        // Class probabilities of model A, while there is room.
        if let record = records[0], canvas.height - y - 1 >= min(record.probabilities.cols, 3) {
            let names = workspace.models[0].network.classNames
            let items = (0..<record.probabilities.cols).map { (names[safe: $0] ?? String($0), Double(record.probabilities[s, $0])) }
            canvas.text(0, y, "\(workspace.models[0].label): p(class)", Theme.dim)
            BarChart(items: items, highlight: record.predictions[s], format: { String(format: "%.2f", $0) })
                .render(canvas.sub(Rect(x: 0, y: y + 1, width: canvas.width, height: canvas.height - y - 1)))
        }
    }

    /// Every layer's activations as a heatmap with its scale, laid out in rows that scroll to
    /// keep the selected layer in view.
    private func renderHeatmaps(model m: Int, _ canvas: Canvas) {
        guard let record = records[m] else { return }
        let s = settings.sample
        struct Block { let layer: Int; let layout: HeatmapLayout; let width: Int; let height: Int }
        let blocks = record.layers.enumerated().map { l, layer -> Block in
            let layout = HeatmapLayout(shape: layer.shape)
            let size = Heatmap.size(rows: layout.rows, cols: layout.cols, mode: canvas.colors)
            return Block(layer: l, layout: layout, width: max(size.width, 14), height: size.height + 2)
        }
        // Flow the blocks into rows.
        var rows: [[Block]] = [[]]
        var used = 0
        for b in blocks {
            if !rows[rows.count - 1].isEmpty, used + 2 + b.width > canvas.width { rows.append([]); used = 0 }
            used += (rows[rows.count - 1].isEmpty ? 0 : 2) + b.width
            rows[rows.count - 1].append(b)
        }
        let footer = 1
        let selectedRow = rows.firstIndex { $0.contains { $0.layer == settings.layer } } ?? 0
        firstBlockRow = min(firstBlockRow, selectedRow)
        func height(_ range: Range<Int>) -> Int { range.reduce(0) { $0 + (rows[$1].map(\.height).max() ?? 0) + 1 } }
        while firstBlockRow < selectedRow, height(firstBlockRow..<(selectedRow + 1)) > canvas.height - footer { firstBlockRow += 1 }
        var y = 0
        for row in rows[firstBlockRow...] {
            let h = row.map(\.height).max() ?? 0
            guard y + h <= canvas.height - footer || y == 0 else { break }
            var x = 0
            for b in row {
                let layer = record.layers[b.layer]
                let selected = b.layer == settings.layer
                let block = canvas.sub(Rect(x: x, y: y, width: b.width, height: b.height))
                block.text(0, 0, "\(layer.name) \(shapeText(layer.shape))", selected ? Theme.title.with(.reverse) : Theme.title)
                let map = b.layout.heatmap(layer.values.row(s), scale: layer.scale, cursor: selected ? settings.unit : nil)
                map.render(block.sub(Rect(x: 0, y: 1, width: b.width, height: b.height - 2)))
                Heatmap.legend(layer.scale, canvas: block.sub(Rect(x: 0, y: b.height - 1, width: b.width, height: 1)))
                x += b.width + 2
            }
            y += h + 1
        }
        if let layer = record.layers[safe: settings.layer], settings.unit < layer.values.cols {
            let v = layer.values[s, settings.unit]
            canvas.text(
                0, canvas.height - 1, "\(layer.name) unit \(settings.unit): \(NumberFormat.readable(Double(v)))   Enter: unit detail",
                Theme.accent)
        }
    }

    /// The selected unit over the data: a histogram (this sample marked) and the top samples.
    private func renderUnit(model m: Int, _ canvas: Canvas) {
        guard let record = records[m], let layer = record.layers[safe: settings.layer] else { return }
        let values = layer.values.column(settings.unit).map(Double.init)
        let here = values[settings.sample]
        canvas.text(0, 0, "\(layer.name) unit \(settings.unit): this sample \(NumberFormat.readable(here))", Theme.title)
        let histogramHeight = max(min(canvas.height / 2, 12), 5)
        Histogram(values: values, title: "over \(values.count) samples (▲ this sample)", marker: here)
            .render(canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: histogramHeight)))
        let y = histogramHeight + 2
        canvas.text(0, y, "samples that excite it most (t: go to the first)", Theme.title)
        let net = workspace.models[m].network
        guard let shape = net.input.image ?? (net.input.shape.count == 3 ? net.input.shape : nil) else {
            for (i, top) in topSamples(model: m, count: canvas.height - y - 1).enumerated() {
                canvas.text(0, y + 1 + i, "#\(top.sample)  \(NumberFormat.readable(Double(top.value)))")
            }
            return
        }
        let tileWidth = max(shape[2], 6) + 1
        let count = max(canvas.width / tileWidth, 1)
        let labels = workspace.data.labels
        for (i, top) in topSamples(model: m, count: count).enumerated() {
            let image = ImageWidget(
                pixels: workspace.data.x.row(top.sample).map(Double.init), shape: shape,
                range: net.input.range.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
            let tile = canvas.sub(Rect(x: i * tileWidth, y: y + 1, width: tileWidth - 1, height: canvas.height - y - 1))
            let size = image.size(scale: 1, mode: canvas.colors)
            image.render(tile, scale: 1)
            tile.text(0, size.height, "#\(top.sample)", Theme.dim)
            tile.text(0, size.height + 1, NumberFormat.readable(Double(top.value)))
            if let labels { tile.text(0, size.height + 2, "y=\(labels[top.sample])", Theme.dim) }
        }
    }
}
