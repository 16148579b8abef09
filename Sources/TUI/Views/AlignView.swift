import Figures
import Foundation
import Interpret
import Networks
import Workbench

/// Convergent learning (Li et al. 2016) between a layer of model A and a layer of model B: the
/// unit-correlation matrix in B's natural order or with each unit of A's bipartite partner on
/// the diagonal, fitted to the screen (or one cell per unit, scrolling); the sorted correlations
/// of the one-to-one and best-partner matchings with their means; and spectral clusters of the
/// units of both layers.
public final class AlignView: RegisteredView {
    public struct Settings: Codable, Equatable {
        /// nil: the first hidden activation (relu1 of an MLP).
        public var layerA: String?
        /// nil: the layer of B named as A's, else the one in the same place.
        public var layerB: String?
        /// B's units in the order of their bipartite partners in A, instead of their own.
        public var aligned = false
        /// One pixel per unit, scrolling, instead of the whole matrix fitted to the screen.
        public var zoomed = false
        /// The entry under the cursor: a unit of A and a unit of B (B's own numbering).
        public var unitA = 0
        public var unitB = 0
        /// The side panel shows spectral clusters instead of the matched-correlation curves.
        public var clusters = false
        /// Shuffles of the matchings' permutation null (nil or 0: none; optional so that sessions
        /// saved before it still open).
        public var permutations: Int?
        public init() {}
    }

    struct Choice: Hashable {
        var layerA: String
        var layerB: String
        var permutations: Int
    }

    /// Shuffles the `t` key asks for: p-values down to 1/100.
    static let nullPermutations = 99

    public static let kind = "align"
    public static let summary =
        "unit correlations between a layer of A and one of B, natural and aligned; matched-correlation curves; spectral clusters"

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let layersA: [String]
    private let layersB: [String]
    private let results = ComparisonResults<Choice, ConvergentLearningResult>()
    /// The window of the last frame: its scale sets how far a cursor key moves.
    private var window: MatrixWindow?
    /// What a followed latent or unit led here (`@`), until the layers change.
    private var followed: String?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        layersA = workspace.models.first.map { LayerCKA.defaultLayers($0.network) } ?? []
        layersB = workspace.models[safe: 1].map { LayerCKA.defaultLayers($0.network) } ?? []
    }

    public var title: String { "Align" }

    /// What the view's keys do.
    public enum Action: Sendable, Equatable {
        case layerNext, layerPrevious, layerBNext, layerBPrevious, order, zoom, panel, partner, cursorDown, cursorUp, cursorRight,
            cursorLeft, null, retry
    }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("n")], .layerNext, "next layer (of both models)"),
            KeyBinding([.char("p")], .layerPrevious, "previous layer (of both models)"),
            KeyBinding([.char("N")], .layerBNext, "next layer of B alone"),
            KeyBinding([.char("P")], .layerBPrevious, "previous layer of B alone"),
            KeyBinding([.char("o")], .order, "columns: B's own order ↔ each unit of B beside its partner in A"),
            KeyBinding([.char("z")], .zoom, "the whole matrix fitted (cells are block means) ↔ a cell per unit"),
            KeyBinding([.char("c")], .panel, "side panel: matched-correlation curves ↔ spectral clusters"),
            KeyBinding([.char("g")], .partner, "cursor to the bipartite partner in B of the unit of A"),
            KeyBinding(
                [.char("t")], .null,
                "test the matched correlations against \(Self.nullPermutations) shuffles of B's samples: p-values (on ↔ off)"),
            KeyBinding([.down, .char("j")], .cursorDown, "next unit of A (row)"),
            KeyBinding([.up, .char("k")], .cursorUp, "previous unit of A (row)"),
            KeyBinding([.right, .char("l")], .cursorRight, "next unit of B (column)"),
            KeyBinding([.left, .char("h")], .cursorLeft, "previous unit of B (column)"),
            KeyBinding([.char("r")], .retry, "compute again after a cancel or failure")
        ]
    }

    // MARK: Layers

    /// The first hidden activation, where units mean the most; else the first layer.
    static func defaultLayer(_ network: Network<Float>, among names: [String]) -> String? {
        let activation = network.layers.first { layer in
            if case .activation = layer.operation { return names.contains(layer.name) }
            return false
        }
        return activation?.name ?? names.first
    }

    private var layerA: String? {
        settings.layerA.flatMap { layersA.contains($0) ? $0 : nil }
            ?? workspace.models.first.flatMap { Self.defaultLayer($0.network, among: layersA) }
    }

    private var layerB: String? {
        if let name = settings.layerB, layersB.contains(name) { return name }
        guard let a = layerA, !layersB.isEmpty else { return nil }
        return layersB.contains(a) ? a : layersB[min(layersA.firstIndex(of: a) ?? 0, layersB.count - 1)]
    }

    private var choice: Choice? {
        guard workspace.isComparison, let a = layerA, let b = layerB else { return nil }
        return Choice(layerA: a, layerB: b, permutations: settings.permutations ?? 0)
    }

    public func opened(_ context: ViewContext) { compute(context) }

    private func compute(_ context: ViewContext) {
        guard let choice else { return }
        let (a, b, data) = (workspace.models[0].network, workspace.models[1].network, workspace.data)
        results.request(choice, title: "align \(choice.layerA) × \(choice.layerB)", context) { job in
            try ConvergentLearning.compare(
                a, b, data: data, layerA: choice.layerA, layerB: choice.layerB,
                options: ConvergentOptions(methods: [.bipartite, .semi, .spectral], permutations: choice.permutations),
                progress: job.progress)
        }
    }

    /// Moves A's layer by `step` and B's to the same layer (by name, else by place).
    private func stepBoth(_ step: Int) {
        guard let a = layerA, let i = layersA.firstIndex(of: a) else { return }
        let next = layersA[min(max(i + step, 0), layersA.count - 1)]
        settings.layerA = next
        settings.layerB = layersB.contains(next) ? next : layersB[min(layersA.firstIndex(of: next)!, layersB.count - 1)]
    }

    private func stepB(_ step: Int) {
        guard let b = layerB, let i = layersB.firstIndex(of: b) else { return }
        settings.layerB = layersB[min(max(i + step, 0), layersB.count - 1)]
    }

    // MARK: Keys

    /// B's units left to right as the matrix shows them now.
    private func columnOrder(_ r: ConvergentLearningResult) -> [Int] {
        settings.aligned ? r.bipartite.columnOrder : Array(0..<r.correlation.unitsB)
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        guard let choice else { return false }
        let result = results[choice]
        let step = window?.factor ?? 1
        switch action {
        case .layerNext, .layerPrevious: stepBoth(action == .layerNext ? 1 : -1); followed = nil; compute(context)
        case .layerBNext, .layerBPrevious: stepB(action == .layerBNext ? 1 : -1); followed = nil; compute(context)
        case .order: settings.aligned.toggle()
        case .zoom: settings.zoomed.toggle()
        case .panel: settings.clusters.toggle()
        case .null:
            settings.permutations = (settings.permutations ?? 0) > 0 ? 0 : Self.nullPermutations
            compute(context)
        case .retry:
            guard results.retry(choice) else { return false }
            compute(context)
        case .cursorDown: settings.unitA += step
        case .cursorUp: settings.unitA -= step
        case .partner, .cursorRight, .cursorLeft:
            guard let result else { return false }
            if action == .partner {
                guard let pair = result.bipartite.pairs.first(where: { $0.unitA == settings.unitA }) else {
                    context.notify("unit \(settings.unitA) of A has no partner (it is constant, or B has fewer units)", style: Theme.dim)
                    return true
                }
                settings.unitB = pair.unitB
            } else {
                let order = columnOrder(result)
                let position = (order.firstIndex(of: settings.unitB) ?? 0) + (action == .cursorRight ? step : -step)
                settings.unitB = order[min(max(position, 0), order.count - 1)]
            }
        }
        if let result = results[self.choice!] { clampCursor(result) }
        return true
    }

    private func clampCursor(_ r: ConvergentLearningResult) {
        settings.unitA = min(max(settings.unitA, 0), r.correlation.unitsA - 1)
        settings.unitB = min(max(settings.unitB, 0), r.correlation.unitsB - 1)
    }

    // MARK: Export

    /// Every pair of units: its correlation, where B's unit stands in the aligned order, and
    /// whether each matching paired the two.
    public func exportTable() -> Table? {
        guard let choice, let r = results[choice] else { return nil }
        let names = ["model_a", "layer_a", "unit_a", "model_b", "layer_b", "unit_b", "correlation", "aligned_position", "bipartite", "semi"]
        var table = Table(columns: names.map { Table.Column($0) })
        let (a, b) = (workspace.models[0].reference, workspace.models[1].reference)
        var position = [Int](repeating: 0, count: r.correlation.unitsB)
        for (k, unit) in r.bipartite.columnOrder.enumerated() { position[unit] = k }
        let bipartite = Set(r.bipartite.pairs.map { [$0.unitA, $0.unitB] }), semi = Set(r.semi.pairs.map { [$0.unitA, $0.unitB] })
        table.rows.reserveCapacity(r.correlation.unitsA * r.correlation.unitsB)
        for (i, row) in r.correlation.matrix.enumerated() {
            for (j, value) in row.enumerated() {
                table.rows.append([
                    .text(a), .text(choice.layerA), .integer(i), .text(b), .text(choice.layerB), .integer(j), .number(value),
                    .integer(position[j]), .integer(bipartite.contains([i, j]) ? 1 : 0), .integer(semi.contains([i, j]) ? 1 : 0)
                ])
            }
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let choice else {
            if workspace.isComparison {
                TextBlock.render("Align: model A or B has no layer to compare.", Theme.error, canvas: canvas)
            } else {
                ComparisonProgress.needsTwoModels("Align", canvas: canvas)
            }
            return
        }
        let (a, b) = (workspace.models[0], workspace.models[1])
        func shape(_ net: Network<Float>, _ layer: String) -> String { (try? shapeText(net.shape(of: layer))) ?? "" }
        canvas.text(
            0, 0,
            "\(a.title) \(choice.layerA) \(shape(a.network, choice.layerA)) × \(b.title) \(choice.layerB) \(shape(b.network, choice.layerB))",
            Theme.heading)
        let body = canvas.sub(Rect(x: 0, y: 2, width: canvas.width, height: canvas.height - 2))
        guard
            let r = results.value(
                choice, context, canvas: body, computing: "correlating the units on \(workspace.data.name)",
                failed: { "Align: \($0). n, p, N, P pick other layers." })
        else { return }
        clampCursor(r)
        let order =
            settings.aligned
            ? "B's units beside their partners in A (o: B's own order)" : "B's units in their own order (o: beside their partners)"
        canvas.text(0, 1, followed ?? "\(r.correlation.observations) observations · \(order)", followed == nil ? Theme.dim : Theme.accent)
        renderResult(r, body)
    }

    private func renderResult(_ r: ConvergentLearningResult, _ canvas: Canvas) {
        let c = r.correlation
        let order = columnOrder(r)
        let matrix = settings.aligned ? r.alignedMatrix : c.matrix
        let column = order.firstIndex(of: settings.unitB) ?? 0
        let tickWidth = String(c.unitsA - 1).count + 1
        // The side panel is as wide as its widest line (the cluster table's, with its marker);
        // the map takes what is left.
        let panelMinimum = AlignView.clusterHeader.unicodeScalars.count + 2
        // Below the map: the column axis and the legend; the last two rows are the cursor's readout.
        let mapHeight = canvas.height - 4
        let mapWidth = canvas.width - tickWidth - panelMinimum - 2
        guard mapHeight >= 2, mapWidth >= 4 else {
            canvas.text(0, 0, "too small for the matrix: enlarge the terminal or hide the sidebar (b)", Theme.dim)
            return
        }
        let w = MatrixWindow(
            rows: c.unitsA, columns: c.unitsB, width: mapWidth, height: mapHeight, colors: canvas.colors,
            zoomed: settings.zoomed, cursor: (settings.unitA, column), previous: window)
        window = w
        let size = Heatmap.size(rows: w.pixelRows, cols: w.pixelColumns, mode: canvas.colors)
        let map = w.heatmap(matrix, cursor: (settings.unitA, column))
        map.render(canvas.sub(Rect(x: tickWidth, y: 0, width: size.width, height: size.height)))
        // Unit numbers at the ends of both axes.
        canvas.textRight(tickWidth - 1, 0, String(w.firstRow), Theme.dim)
        canvas.textRight(tickWidth - 1, size.height - 1, String(w.rowRange(w.pixelRows - 1).upperBound - 1), Theme.dim)
        let axis = canvas.sub(Rect(x: tickWidth, y: size.height, width: max(size.width, 24), height: 1))
        let lastColumn = String(w.columnRange(w.pixelColumns - 1).upperBound - 1)
        axis.text(0, 0, String(w.firstColumn), Theme.dim)
        axis.textRight(axis.width, 0, lastColumn, Theme.dim)
        axis.textCentered(0, settings.aligned ? "B, matched order →" : "B units →", Theme.dim)
        Heatmap.legend(map.scale, canvas: canvas.sub(Rect(x: tickWidth, y: size.height + 1, width: max(size.width, 24), height: 1)))
        for (k, line) in readout(r, window: w).enumerated() { canvas.text(0, canvas.height - 2 + k, line, Theme.accent) }

        let panelX = min(tickWidth + max(size.width, 24) + 2, canvas.width - panelMinimum)
        let panel = canvas.sub(Rect(x: panelX, y: 0, width: canvas.width - panelX, height: canvas.height - 2))
        if settings.clusters { renderClusters(r, panel) } else { renderMatchings(r, panel) }
    }

    /// Two lines: the entry under the cursor (and the mean its fitted cell shows), then the
    /// partners of its unit of A.
    private func readout(_ r: ConvergentLearningResult, window w: MatrixWindow) -> [String] {
        let (i, j) = (settings.unitA, settings.unitB)
        var entry = "A \(i) × B \(j): r = \(String(format: "%+.3f", r.correlation.matrix[i][j]))"
        if w.factor > 1, let cell = w.cell(row: i, column: columnOrder(r).firstIndex(of: j) ?? 0) {
            let mean = w.mean(settings.aligned ? r.alignedMatrix : r.correlation.matrix, cell.row, cell.column)
            entry += " · its cell: mean of \(w.factor)×\(w.factor) units = \(String(format: "%+.3f", mean))"
        }
        guard !r.correlation.constantUnitsA.contains(i) else { return [entry, "A \(i) is constant over the data: no partner"] }
        let partner = { (m: UnitMatching) in
            m.pairs.first { $0.unitA == i }.map { "B \($0.unitB) (\(String(format: "%.3f", $0.correlation)))" } ?? "none"
        }
        return [entry, "partners of A \(i): bipartite \(partner(r.bipartite)) · semi \(partner(r.semi)) · g goes to the first"]
    }

    private func renderMatchings(_ r: ConvergentLearningResult, _ canvas: Canvas) {
        let c = r.correlation
        canvas.text(0, 0, "mean matched correlation", Theme.title)
        canvas.text(0, 1, "bipartite \(String(format: "%.3f", r.bipartite.meanCorrelation)) (\(r.bipartite.pairs.count) pairs)")
        canvas.text(0, 2, "semi      \(String(format: "%.3f", r.semi.meanCorrelation)) (\(r.semi.distinctUnitsB) of B)")
        var y = 3
        for m in [r.bipartite, r.semi] {
            guard let null = m.null else { continue }
            canvas.text(0, y, "\(m.kind.rawValue): \(null.text)", Theme.dim)
            y += 1
        }
        if !c.constantUnitsA.isEmpty || !c.constantUnitsB.isEmpty {
            canvas.text(0, y, "constant: A \(c.constantUnitsA.count), B \(c.constantUnitsB.count)", Theme.dim)
            y += 1
        }
        canvas.text(0, y + 1, "matched r, sorted", Theme.title)
        let curves = [r.bipartite, r.semi].map { m in
            LinePlot.Series(m.kind.rawValue, x: m.sortedCorrelations.indices.map { Double($0 + 1) }, y: m.sortedCorrelations)
        }
        // The title row is left to the legend, which needs the room on a narrow panel.
        LinePlot(series: curves).render(canvas.sub(Rect(x: 0, y: y + 2, width: canvas.width, height: min(canvas.height - y - 2, 24))))
    }

    static let clusterHeader = "  #  units A  units B  mean |r|"

    private func renderClusters(_ r: ConvergentLearningResult, _ canvas: Canvas) {
        guard let s = r.spectral else { return }
        canvas.text(0, 0, "spectral clusters (c: matchings)", Theme.title)
        TextBlock.render(
            "\(s.clusters.count)\(s.chosenByEigengap ? " (by the eigengap)" : ""), \(s.sharedClusters) shared by A and B",
            canvas: canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: 2)))
        canvas.text(0, 3, AlignView.clusterHeader, Theme.dim)
        let here = s.clusters.firstIndex { $0.unitsA.contains(settings.unitA) }
        let rows = canvas.height - 4
        // Keep the cursor unit's cluster in the list.
        let first = here.map { firstShown(0, toShow: $0, visible: max(rows, 1)) } ?? 0
        for (k, cluster) in s.clusters.enumerated().dropFirst(first).prefix(max(rows, 0)) {
            let line = String(
                format: "%3d  %7d  %7d  %8.3f", k, cluster.unitsA.count, cluster.unitsB.count, cluster.meanAbsoluteCorrelation)
            canvas.text(0, 4 + k - first, line + (k == here ? " ◀" : ""), k == here ? Theme.selected : .plain)
        }
    }
}

extension AlignView: FollowSource, FollowTargetView {
    /// The unit of A under the cursor.
    var followable: Followable? {
        guard let layer = layerA else { return nil }
        return Followable(object: .unit(settings.unitA), layer: layer, sae: nil)
    }

    /// The cursor on the unit of A the followed object writes to most, and on B's unit that
    /// correlates most with it.
    func show(_ trail: LatentTrail, of followed: Followable, _ context: ViewContext) throws -> String {
        guard layersA.contains(trail.layer), let partner = trail.partner, layersB.contains(partner.layer) else {
            throw WorkbenchError("Align compares \(layersA.joined(separator: ", ")); \(trail.layer) is not among them")
        }
        settings.layerA = trail.layer
        settings.layerB = partner.layer
        settings.unitA = trail.strongestUnit
        settings.unitB = partner.unit
        let r = NumberFormat.readable(partner.correlation, digits: 3)
        let writes = followed.sae == nil ? "" : "writes most to A unit \(trail.strongestUnit); "
        self.followed = "\(followed.title): \(writes)its best partner in B is unit \(partner.unit) (r \(r))"
        compute(context)
        return "Align: B unit \(partner.unit) (r \(r))"
    }
}
