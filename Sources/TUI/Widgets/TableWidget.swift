import Figures

/// Where a table is scrolled to, which row and column are selected, and how it is sorted.
/// Codable, so views keep it in their session settings.
public struct TableState: Codable, Equatable, Sendable {
    public var selectedRow = 0
    public var scroll = 0
    public var selectedColumn = 0
    /// The first of the scrolling columns shown after the fixed first column.
    public var firstColumn = 1
    public var sortColumn: Int?
    public var descending = false

    public init() {}

    /// What a table's keys do.
    public enum Action: Sendable, Equatable { case up, down, pageUp, pageDown, left, right, sort }

    /// The key bindings a table adds to its view.
    public static let bindings: [KeyBinding<Action>] = [
        KeyBinding([.up, .char("k")], .up, "previous row"),
        KeyBinding([.down, .char("j")], .down, "next row"),
        KeyBinding([.pageUp], .pageUp, "page up"),
        KeyBinding([.pageDown], .pageDown, "page down"),
        KeyBinding([.left, .char("h")], .left, "previous column"),
        KeyBinding([.right, .char("l")], .right, "next column"),
        KeyBinding([.char("o")], .sort, "sort by the selected column (again: reverse)")
    ]

    /// Applies a table action.
    public mutating func perform(_ action: Action, columns: Int, page: Int = 10) {
        switch action {
        case .up: selectedRow -= 1
        case .down: selectedRow += 1
        case .pageUp: selectedRow -= page
        case .pageDown: selectedRow += page
        case .left: selectedColumn = max(selectedColumn - 1, 0)
        case .right: selectedColumn = min(selectedColumn + 1, max(columns - 1, 0))
        case .sort:
            if sortColumn == selectedColumn { descending.toggle() } else { sortColumn = selectedColumn; descending = false }
        }
    }
}

/// A scrolling, sortable table over a `Table`. The first column stays put; the others
/// scroll sideways when they do not all fit.
public enum TableWidget {
    /// Row indices of `table` as shown: filtered by `filter` (case-insensitive, any text cell)
    /// and sorted by the state's sort column.
    public static func visibleRows(_ table: Table, _ state: TableState, filter: String = "") -> [Int] {
        var rows = Array(table.rows.indices)
        let needle = filter.lowercased()
        if !needle.isEmpty {
            rows = rows.filter { r in
                table.rows[r].enumerated().contains { c, v in
                    c < table.columns.count && table.columns[c].display(v).lowercased().contains(needle)
                }
            }
        }
        if let s = state.sortColumn, s < table.columns.count {
            // Each row's key is read once, not once per comparison.
            let numbers = table.rows.map { $0[s].number }
            let texts = table.rows.map { $0[s].number == nil ? table.columns[s].display($0[s]) : "" }
            rows.sort { a, b in
                switch (numbers[a], numbers[b]) {
                case let (x?, y?): return state.descending ? x > y : x < y
                case (nil, _?): return false
                case (_?, nil): return true
                case (nil, nil): return state.descending ? texts[a] > texts[b] : texts[a] < texts[b]
                }
            }
        }
        return rows
    }

    /// Tables longer than this measure their column widths on a sample of rows.
    static let measuredRows = 256

    /// Draws the table; keeps the selection inside the rows and the view.
    public static func render(
        _ table: Table, state: inout TableState, filter: String = "", canvas: Canvas,
        focused: Bool = true
    ) {
        let rows = visibleRows(table, state, filter: filter)
        let nc = table.columns.count
        guard nc > 0, canvas.height > 0 else { return }
        state.selectedRow = min(max(state.selectedRow, 0), max(rows.count - 1, 0))
        state.selectedColumn = min(max(state.selectedColumn, 0), nc - 1)
        let body = max(canvas.height - 1, 0)
        if state.selectedRow < state.scroll { state.scroll = state.selectedRow }
        if body > 0, state.selectedRow >= state.scroll + body { state.scroll = state.selectedRow - body + 1 }
        state.scroll = min(max(state.scroll, 0), max(rows.count - body, 0))

        func text(_ r: Int, _ c: Int) -> String { c < table.rows[r].count ? table.columns[c].display(table.rows[r][c]) : "" }
        // Widths come from the rows' texts, so that columns keep their place while scrolling. Formatting
        // every cell of a long table on every frame would cost milliseconds (an SAE's latents), so past
        // `measuredRows` rows an even sample of them, and the rows on screen, set the widths.
        let onScreen = state.scroll..<min(state.scroll + body, rows.count)
        let measured =
            rows.count <= measuredRows
            ? Array(rows.indices)
            : Array(Set(stride(from: 0, to: rows.count, by: rows.count / measuredRows + 1)).union(onScreen)).sorted()
        let widths = (0..<nc).map { c in
            min(max(table.columns[c].name.unicodeScalars.count + 1, measured.map { text(rows[$0], c).unicodeScalars.count }.max() ?? 0), 28)
        }
        let numeric = (0..<nc).map { c in rows.contains { table.rows[$0].indices.contains(c) && table.rows[$0][c].number != nil } }
        // Which columns fit: column 0, then a run from firstColumn that includes the selection.
        let gap = 2
        func run(from start: Int) -> [Int] {
            var used = widths[0], shown: [Int] = []
            var c = start
            while c < nc, used + gap + widths[c] <= canvas.width { used += gap + widths[c]; shown.append(c); c += 1 }
            return shown
        }
        if nc > 1 {
            state.firstColumn = min(max(state.firstColumn, 1), nc - 1)
            if state.selectedColumn >= 1, state.selectedColumn < state.firstColumn { state.firstColumn = state.selectedColumn }
            while state.selectedColumn >= 1, !run(from: state.firstColumn).contains(state.selectedColumn),
                state.firstColumn < state.selectedColumn
            { state.firstColumn += 1 }
        }
        let shown = [0] + (nc > 1 ? run(from: state.firstColumn) : [])
        var xs: [Int] = []
        var x = 0
        for c in shown { xs.append(x); x += widths[c] + gap }

        for (i, c) in shown.enumerated() {
            var name = table.columns[c].name
            if state.sortColumn == c { name += state.descending ? "▼" : "▲" }
            var style = Theme.title.with(.underline)
            if focused, c == state.selectedColumn { style = style.with(.reverse) }
            let w = widths[c]
            if numeric[c] { canvas.textRight(xs[i] + w, 0, name, style) } else { canvas.text(xs[i], 0, name, style, maxWidth: w) }
        }
        if nc > 1, state.firstColumn > 1 { canvas.put(xs.count > 1 ? xs[1] - 1 : widths[0], 0, "‹", Theme.dim) }
        if let last = shown.last, last < nc - 1 { canvas.put(canvas.width - 1, 0, "›", Theme.dim) }

        for line in 0..<body {
            let r = state.scroll + line
            guard r < rows.count else { break }
            let selected = r == state.selectedRow
            for (i, c) in shown.enumerated() {
                let w = widths[c]
                let style = selected && focused ? Theme.selected : (c == 0 ? Theme.heading : Style.plain)
                if numeric[c] {
                    canvas.textRight(xs[i] + w, line + 1, text(rows[r], c), style)
                } else {
                    canvas.text(xs[i], line + 1, text(rows[r], c), style, maxWidth: w)
                }
            }
            if selected, focused {
                canvas.restyle(Rect(x: 0, y: line + 1, width: min(x, canvas.width), height: 1)) { $0.attributes.insert(.reverse) }
            }
        }
        if rows.isEmpty { canvas.text(0, 1, filter.isEmpty ? "(no rows)" : "(no rows match '\(filter)')", Theme.dim) }
    }
}
