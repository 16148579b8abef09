/// One line of a list or tree.
public struct ListItem: Equatable, Sendable {
    public var text: String
    /// Tree depth: each level indents two cells.
    public var depth: Int
    public var style: Style
    /// Right-aligned detail (a shape, a count).
    public var detail: String
    /// Where a text too long for the list is cut.
    public var elision: Canvas.Elision

    public init(_ text: String, depth: Int = 0, style: Style = .plain, detail: String = "", elision: Canvas.Elision = .end) {
        self.text = text
        self.depth = depth
        self.style = style
        self.detail = detail
        self.elision = elision
    }
}

/// A scrolling list (a tree when items have depths) with an optional selected item.
public enum ListWidget {
    /// Draws `items`, scrolled so that `selected` is visible; returns the scroll offset used.
    @discardableResult
    public static func render(_ items: [ListItem], selected: Int? = nil, scroll: Int = 0, canvas: Canvas) -> Int {
        var top = max(scroll, 0)
        if let s = selected {
            if s < top { top = s }
            if s >= top + canvas.height { top = s - canvas.height + 1 }
        }
        top = min(top, max(items.count - canvas.height, 0))
        for row in 0..<canvas.height {
            let i = top + row
            guard i < items.count else { break }
            let item = items[i]
            let indent = 2 * item.depth
            let detailWidth = item.detail.isEmpty ? 0 : item.detail.unicodeScalars.count + 1
            canvas.text(indent, row, item.text, item.style, maxWidth: canvas.width - indent - detailWidth, elision: item.elision)
            if !item.detail.isEmpty { canvas.textRight(canvas.width, row, item.detail, Theme.dim) }
            if i == selected { canvas.restyle(Rect(x: 0, y: row, width: canvas.width, height: 1)) { $0.attributes.insert(.reverse) } }
        }
        if top > 0 { canvas.put(canvas.width - 1, 0, "▴", Theme.dim) }
        if top + canvas.height < items.count { canvas.put(canvas.width - 1, canvas.height - 1, "▾", Theme.dim) }
        return top
    }
}
