import Figures
import Interpret
import Networks
import Workbench

/// The exact linear interpreter of a ReLU / max-pool network at one sample (docs/methods.md):
/// with the gates frozen at x, f(x) = A(x)·x + b(x). Shown: the sample beside the pixel votes
/// A_c ⊙ x of the chosen class, the decomposition f_c(x) = Σ votes + b_c(x) with each layer's
/// share of the bias and the residual of the identity, every class's template A_c(x) as an
/// image on one shared scale (or every class's votes), and the table of all classes. One
/// sample's interpretation takes a fraction of a millisecond, so it is computed on the spot.
public final class InterpView: RegisteredView {
    /// What the grid of small maps shows for every class.
    public enum Grid: String, Codable, Sendable {
        case templates, votes
    }

    public struct Settings: Codable, Equatable {
        /// The model interpreted (a workspace model or a demo model).
        public var model: String?
        public var sample = 0
        /// The class whose votes are drawn large: predicted, label, or a class.
        public var target: AttributionTarget = .predicted
        public var grid = Grid.templates
        public init() {}
    }

    public static let kind = "interp"
    public static let summary = "linear interpreter f(x) = A(x)·x + b(x): per-class templates, pixel votes, bias shares, residual"

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let picker: ModelPicker
    private var interpretation: LinearInterpretation?
    private var failure: String?
    private var classTable = TableState()

    /// Why the linear interpreter refuses `network` (it is not piecewise linear), or nil if it takes it.
    static func refusal(_ network: Network<Float>) -> String? {
        do {
            _ = try LinearInterpreter(network: network)
            return nil
        } catch {
            return "\(error)"
        }
    }

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        var settings = settings ?? Settings()
        // The CNN by default, as in the LRP view, so that the two explain the same model; but a
        // workspace model the interpreter cannot take is shown first, with the reason, rather
        // than passed over in silence. `m` reaches every model, and refuses those it must.
        let cnn = AttributionChoices.defaultModel(in: workspace) { InterpView.refusal($0) == nil }
        let refused = workspace.models.first { InterpView.refusal($0.network) != nil }?.reference
        picker = ModelPicker(workspace: workspace, preferred: settings.model ?? refused ?? cnn, fallback: cnn)
        settings.model = picker.reference
        self.settings = settings
    }

    public var title: String { "Interpreter" }

    /// What the view's keys do: the model and sample choices it shares with the other
    /// attribution view, and its own.
    public enum Action: Sendable, Equatable {
        case choice(ModelAndSampleAction), targetNext, targetPrevious, classNext, classPrevious, grid
    }

    public var keyBindings: [KeyBinding<Action>] {
        AttributionChoices.bindings(Action.choice) + [
            KeyBinding([.char("t")], .targetNext, "next class shown large: predicted, label, each class"),
            KeyBinding([.char("T")], .targetPrevious, "previous class"),
            KeyBinding([.down, .char("j")], .classNext, "the next class of the table"),
            KeyBinding([.up, .char("k")], .classPrevious, "the previous class of the table"),
            KeyBinding([.char("v")], .grid, "the small maps: every class's template, or its votes")
        ]
    }

    public func opened(_ context: ViewContext) {
        picker.load(context) { [weak self] _ in self?.refresh() }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .choice(let choice):
            settings = AttributionChoices.applying(choice, to: settings, picker: picker)
            picker.load(context) { [weak self] _ in self?.refresh() }
            return true
        case .targetNext, .targetPrevious:
            guard let network = picker.network else { return false }
            settings.target = AttributionChoices.stepped(
                AttributionChoices.targets(network, workspace.data), from: settings.target,
                by: action == .targetNext ? 1 : -1)
        case .classNext, .classPrevious:
            guard let li = interpretation else { return false }
            let c = shownClass(li) + (action == .classNext ? 1 : -1)
            settings.target = .classIndex(min(max(c, 0), li.classNames.count - 1))
        case .grid: settings.grid = settings.grid == .templates ? .votes : .templates
        }
        refresh()
        return true
    }

    /// Interprets the current sample (at once: it takes a fraction of a millisecond).
    private func refresh() {
        settings.sample = min(max(settings.sample, 0), max(workspace.data.count - 1, 0))
        guard let network = picker.network else { return }
        do {
            interpretation = try LinearInterpretation.compute(network: network, data: workspace.data, samples: [settings.sample]).first
            failure = nil
        } catch {
            interpretation = nil
            failure = "\(picker.reference): \(error)"
        }
    }

    /// The class drawn large: the target resolved for this sample.
    private func shownClass(_ li: LinearInterpretation) -> Int {
        switch settings.target {
        case .predicted, .direction: return li.predicted
        case .label: return li.label ?? li.predicted
        case .classIndex(let c): return min(max(c, 0), li.classNames.count - 1)
        }
    }

    // MARK: Tables

    /// One row per class: logit = Σ votes + bias, the residual, and each layer's share of the bias.
    static func classTable(_ li: LinearInterpretation) -> Table {
        let columns = ["class", "logit", "Σ votes", "bias", "residual"] + li.biasShares.map { "bias from \($0.layer)" }
        return Table(
            columns: columns.map { .init($0) },
            rows: li.classNames.indices.map { c in
                [
                    .text(li.classNames[c]), .number(li.scores[c]), .number(li.votes[c].reduce(0, +)), .number(li.bias[c]),
                    .number(li.residuals[c])
                ] + li.biasShares.map { .number($0.perClass[c]) }
            })
    }

    public func exportTable() -> Table? {
        guard let li = interpretation else { return nil }
        let context: [(String, Table.Value)] = [
            ("model", .text(picker.reference)), ("sample", .integer(li.sample)), ("label", li.label.map { .integer($0) } ?? .missing),
            ("predicted", .integer(li.predicted))
        ]
        let columns = ["class", "logit", "votes_sum", "bias", "residual"] + li.biasShares.map { "bias_from_\($0.layer)" }
        return Table(
            columns: (context.map(\.0) + columns).map { .init($0) },
            rows: InterpView.classTable(li).rows.map { context.map(\.1) + $0 })
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let network = picker.network else {
            canvas.text(0, 0, "loading \(picker.reference)…  (m: another model)", Theme.dim)
            return
        }
        if let refusal = InterpView.refusal(network) {
            TextBlock.render("\(picker.reference): \(refusal).\nm picks another model.", Theme.warning, canvas: canvas)
            return
        }
        let s = settings.sample
        var head = "\(picker.reference) · sample \(NumberFormat.sample(s, of: workspace.data.count))"
        if let li = interpretation {
            let names = li.classNames
            if let label = li.label { head += " · label \(names[safe: label] ?? String(label))" }
            head += " · predicted \(names[li.predicted]) · max |residual| \(NumberFormat.readable(li.maxResidual))"
        }
        canvas.text(0, 0, head, Theme.heading)
        let body = canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1))
        if let failure { TextBlock.render(failure + "\n(m: another model)", Theme.error, canvas: body); return }
        guard let li = interpretation else { body.text(0, 0, "interpreting…", Theme.dim); return }
        let c = shownClass(li)

        // Blank rows between the parts, and the bias shares in the readout, only where there is room.
        let roomy = body.height >= 30
        let topHeight = renderTop(li, c, network, body, shares: roomy)
        let gap = roomy ? 1 : 0
        let gridTop = topHeight + gap
        // The grid of every class as large as leaves the table a row per class; where even the
        // smallest grid leaves less, the table gets what is left (at least 3 rows, following the selection).
        let values = settings.grid == .templates ? li.templates : li.votes
        let maps = values.map { InputMap($0, network: network) }
        let available = body.height - gridTop
        let smallest = GridLayout(maps[0], count: maps.count, magnification: 1, width: body.width, mode: body.colors)
        let tableRows = max(min(maps.count + 1, available - gap - smallest.height), 3)
        let layout = GridLayout.fitting(
            maps[0], count: maps.count, width: body.width, height: available - gap - tableRows, mode: body.colors)
        renderGrid(li, c, maps, values, layout, body.sub(Rect(x: 0, y: gridTop, width: body.width, height: layout.height)))
        let tableTop = gridTop + layout.height + gap
        classTable.selectedRow = c
        TableWidget.render(
            InterpView.classTable(li), state: &classTable,
            canvas: body.sub(Rect(x: 0, y: tableTop, width: body.width, height: body.height - tableTop)))
    }

    /// The sample, the chosen class's votes, and its decomposition (with each layer's share of
    /// the bias if `shares`); returns the rows used.
    private func renderTop(_ li: LinearInterpretation, _ c: Int, _ network: Network<Float>, _ canvas: Canvas, shares: Bool) -> Int {
        let votes = InputMap(li.votes[c], network: network)
        let readoutWidth = 28
        let m = votes.magnification(fitting: ((canvas.width - readoutWidth - 4) / 2, canvas.height / 3 - 2), mode: canvas.colors, limit: 6)
        let size = votes.size(m, mode: canvas.colors)
        let mapWidth = max(size.width, 12)
        canvas.text(0, 0, "input", Theme.title)
        InputMap.drawInput(
            li.input, network: network, magnification: m, canvas: canvas.sub(Rect(x: 0, y: 1, width: size.width, height: size.height)))
        let name = li.classNames[c]
        votes.drawTitled(
            "votes A_\(name) ⊙ x", magnification: m, scale: InputMap.signedScale(li.votes[c]),
            canvas: canvas.sub(Rect(x: mapWidth + 2, y: 0, width: mapWidth, height: canvas.height)))

        let readout = canvas.sub(Rect(x: 2 * mapWidth + 5, y: 0, width: canvas.width - 2 * mapWidth - 5, height: canvas.height))
        readout.text(0, 0, "class \(name)\(c == li.predicted ? " (predicted)" : ""): f = Σ votes + b", Theme.title)
        var lines: [(String, Double)] = [
            ("f_\(name)(x)", li.scores[c]), ("Σ_i A_i x_i", li.votes[c].reduce(0, +)), ("b_\(name)(x)", li.bias[c])
        ]
        if shares { lines += li.biasShares.map { ("  from \($0.layer)", $0.perClass[c]) } }
        lines.append(("residual", li.residuals[c]))
        for (i, line) in lines.enumerated() {
            readout.text(0, 1 + i, line.0, Theme.dim, maxWidth: 15)
            readout.text(16, 1 + i, NumberFormat.readable(line.1))
        }
        return max(size.height + 2, min(lines.count + 1, canvas.height))
    }

    /// How the small maps of every class are laid out: magnification, tiles per row, tile size.
    struct GridLayout {
        let magnification: Int
        let perRow: Int
        let tileWidth: Int
        let tileHeight: Int
        /// With the title row.
        let height: Int

        /// `count` tiles of `map`'s size at magnification `m` in `width` columns; each tile has
        /// a label row and is at least 8 columns wide, with 2 blank columns after it.
        init(_ map: InputMap, count: Int, magnification m: Int, width: Int, mode: ColorMode) {
            let size = map.size(m, mode: mode)
            magnification = m
            tileWidth = max(size.width, 8) + 2
            tileHeight = size.height + 1
            // As few rows as fit the width, filled evenly.
            let most = max(width / tileWidth, 1)
            let rows = max((count + most - 1) / most, 1)
            perRow = (count + rows - 1) / rows
            height = 1 + rows * tileHeight
        }

        /// The largest magnification (up to 4) whose tiles fit `height`; 1 if none does.
        static func fitting(_ map: InputMap, count: Int, width: Int, height: Int, mode: ColorMode) -> GridLayout {
            for m in stride(from: 4, to: 1, by: -1) {
                let layout = GridLayout(map, count: count, magnification: m, width: width, mode: mode)
                if layout.height <= height { return layout }
            }
            return GridLayout(map, count: count, magnification: 1, width: width, mode: mode)
        }
    }

    /// Every class's template (or votes) as a small map on one shared scale.
    private func renderGrid(
        _ li: LinearInterpretation, _ c: Int, _ maps: [InputMap], _ values: [[Double]], _ layout: GridLayout,
        _ canvas: Canvas
    ) {
        let scale = InputMap.signedScale(values.joined())
        let what = settings.grid == .templates ? "templates A_c(x)" : "votes A_c ⊙ x"
        let legendWidth = min(canvas.width / 3, 30)
        canvas.text(
            0, 0, "\(what) of every class, one scale (v: \(settings.grid == .templates ? "votes" : "templates"))", Theme.title,
            maxWidth: canvas.width - legendWidth - 1)
        Heatmap.legend(scale, canvas: canvas.sub(Rect(x: canvas.width - legendWidth, y: 0, width: legendWidth, height: 1)))
        for (k, map) in maps.enumerated() {
            let tile = canvas.sub(
                Rect(
                    x: (k % layout.perRow) * layout.tileWidth, y: 1 + (k / layout.perRow) * layout.tileHeight,
                    width: layout.tileWidth - 2, height: layout.tileHeight))
            let style = k == c ? Theme.title.with(.reverse) : (k == li.predicted ? Theme.accent : Theme.dim)
            tile.text(0, 0, "\(li.classNames[k]) \(NumberFormat.readable(li.scores[k]))", style)
            map.heatmap(layout.magnification, scale: scale).render(tile.sub(Rect(x: 0, y: 1, width: tile.width, height: tile.height - 1)))
        }
    }
}
