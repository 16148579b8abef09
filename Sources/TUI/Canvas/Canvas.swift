/// A rectangle of a grid to draw in, with coordinates relative to its top-left corner. Anything
/// drawn outside the rectangle is clipped, so a widget given too little room draws less, never
/// out of bounds.
public struct Canvas {
    public let grid: Grid
    public let rect: Rect
    /// What the terminal can show; widgets fall back to plain characters when it has no colour.
    public let colors: ColorMode

    public init(grid: Grid, rect: Rect? = nil, colors: ColorMode = .truecolor) {
        self.grid = grid
        self.rect = (rect ?? Rect(x: 0, y: 0, width: grid.width, height: grid.height))
            .intersection(Rect(x: 0, y: 0, width: grid.width, height: grid.height))
        self.colors = colors
    }

    public var width: Int { rect.width }
    public var height: Int { rect.height }
    public var bounds: Rect { Rect(x: 0, y: 0, width: width, height: height) }

    /// The part of this canvas at `r` (relative coordinates).
    public func sub(_ r: Rect) -> Canvas {
        Canvas(
            grid: grid, rect: Rect(x: rect.x + r.x, y: rect.y + r.y, width: r.width, height: r.height).intersection(rect),
            colors: colors)
    }

    public func put(_ x: Int, _ y: Int, _ scalar: Unicode.Scalar, _ style: Style = .plain) {
        guard x >= 0, y >= 0, x < rect.width, y < rect.height else { return }
        grid[rect.x + x, rect.y + y] = Cell(scalar, style)
    }

    public func cell(_ x: Int, _ y: Int) -> Cell? {
        guard x >= 0, y >= 0, x < rect.width, y < rect.height else { return nil }
        return grid[rect.x + x, rect.y + y]
    }

    /// Changes the style of cells already drawn, keeping their characters.
    public func restyle(_ r: Rect, _ change: (inout Style) -> Void) {
        let area = r.intersection(bounds)
        for y in area.y..<(area.y + area.height) {
            for x in area.x..<(area.x + area.width) {
                var c = grid[rect.x + x, rect.y + y]
                change(&c.style)
                grid[rect.x + x, rect.y + y] = c
            }
        }
    }

    /// Where text that does not fit is cut: its end (prose), or its middle, which keeps both
    /// the start and the end that tell similar names apart (file names, paths).
    public enum Elision: Sendable { case end, middle }

    /// Writes `text` from (x, y) on one row, at most `maxWidth` cells (the canvas edge by
    /// default); text that does not fit is cut with '…'. Returns the number of cells written.
    @discardableResult
    public func text(
        _ x: Int, _ y: Int, _ text: String, _ style: Style = .plain, maxWidth: Int? = nil,
        elision: Elision = .end
    ) -> Int {
        let limit = min(maxWidth ?? (width - x), width - x)
        guard limit > 0, y >= 0, y < height else { return 0 }
        let shown = Canvas.fitted(Array(text.unicodeScalars), limit, elision)
        for (i, scalar) in shown.enumerated() { put(x + i, y, scalar, style) }
        return shown.count
    }

    /// `scalars` cut to `limit` cells with '…' where `elision` says.
    static func fitted(_ scalars: [Unicode.Scalar], _ limit: Int, _ elision: Elision) -> [Unicode.Scalar] {
        guard scalars.count > limit else { return scalars }
        switch elision {
        case .end: return Array(scalars.prefix(limit - 1)) + ["…"]
        case .middle:
            // A third of the room for the start, the rest for the end, where names differ most.
            let head = (limit - 1) / 3, tail = limit - 1 - head
            return Array(scalars.prefix(head)) + ["…"] + Array(scalars.suffix(tail))
        }
    }

    /// Writes `text` right-aligned so that it ends at column `right` (exclusive).
    @discardableResult
    public func textRight(_ right: Int, _ y: Int, _ text: String, _ style: Style = .plain) -> Int {
        let n = text.unicodeScalars.count
        return self.text(max(right - n, 0), y, text, style, maxWidth: min(n, right))
    }

    /// Writes `text` centred on row `y`.
    public func textCentered(_ y: Int, _ text: String, _ style: Style = .plain) {
        self.text(max((width - text.unicodeScalars.count) / 2, 0), y, text, style)
    }

    public func fill(_ style: Style = .plain, _ scalar: Unicode.Scalar = " ") {
        for y in 0..<height { for x in 0..<width { put(x, y, scalar, style) } }
    }

    public func horizontalLine(_ y: Int, _ style: Style = Theme.dim) {
        for x in 0..<width { put(x, y, "─", style) }
    }

    public func verticalLine(_ x: Int, _ style: Style = Theme.dim) {
        for y in 0..<height { put(x, y, "│", style) }
    }

    /// Clears the canvas, draws a frame with `title`, and returns the canvas inside it.
    @discardableResult
    public func box(title: String? = nil, style: Style = Theme.dim) -> Canvas {
        fill()
        guard width >= 2, height >= 2 else { return sub(Rect(x: 0, y: 0, width: 0, height: 0)) }
        for x in 1..<(width - 1) { put(x, 0, "─", style); put(x, height - 1, "─", style) }
        for y in 1..<(height - 1) { put(0, y, "│", style); put(width - 1, y, "│", style) }
        put(0, 0, "┌", style); put(width - 1, 0, "┐", style)
        put(0, height - 1, "└", style); put(width - 1, height - 1, "┘", style)
        if let title, width > 4 { text(2, 0, " \(title) ", Theme.title, maxWidth: width - 4) }
        return sub(bounds.inset(1))
    }
}
