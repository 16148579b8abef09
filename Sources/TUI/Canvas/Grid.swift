/// One character cell of the screen.
public struct Cell: Equatable, Sendable {
    public var scalar: Unicode.Scalar
    public var style: Style

    public init(_ scalar: Unicode.Scalar = " ", _ style: Style = .plain) {
        self.scalar = scalar
        self.style = style
    }

    public static let blank = Cell()
}

/// The in-memory screen every view draws into. The terminal backend copies it to the terminal;
/// tests read it back.
public final class Grid {
    public private(set) var width: Int
    public private(set) var height: Int
    public private(set) var cells: [Cell]

    public init(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        cells = [Cell](repeating: .blank, count: self.width * self.height)
    }

    public func resize(width: Int, height: Int) {
        self.width = max(width, 0)
        self.height = max(height, 0)
        cells = [Cell](repeating: .blank, count: self.width * self.height)
    }

    public func clear() {
        for i in cells.indices { cells[i] = .blank }
    }

    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * width + x] }
        set { cells[y * width + x] = newValue }
    }

    /// The characters of row `y`.
    public func text(row y: Int) -> String {
        guard y >= 0, y < height else { return "" }
        var s = String.UnicodeScalarView()
        for x in 0..<width { s.append(cells[y * width + x].scalar) }
        return String(s)
    }

    /// The whole screen as text, one line per row, trailing blanks trimmed.
    public var text: String {
        (0..<height).map { row in
            var line = text(row: row)
            while line.hasSuffix(" ") { line.removeLast() }
            return line
        }.joined(separator: "\n")
    }

    /// The first cell (x, y) where `needle` starts, searching row by row.
    public func find(_ needle: String) -> (x: Int, y: Int)? {
        for y in 0..<height {
            let row = Array(text(row: y).unicodeScalars)
            let n = Array(needle.unicodeScalars)
            guard n.count <= row.count, !n.isEmpty else { continue }
            for x in 0...(row.count - n.count) where Array(row[x..<(x + n.count)]) == n { return (x, y) }
        }
        return nil
    }
}
