/// What changed on screen since the last frame: the terminal backend sends only these cells,
/// so a frame in which little moved costs little, and nothing is ever cleared and redrawn
/// (no flicker).
public struct FrameDiff {
    private var previous: [Cell] = []
    private var size = (width: -1, height: -1)

    public init() {}

    /// Forgets the last frame: the next one is sent whole (Ctrl-L, resize, new colour pairs).
    public mutating func invalidate() { previous = [] }

    /// Indices of the cells of `grid` that differ from the last frame; `grid` becomes the last frame.
    public mutating func changes(_ grid: Grid) -> [Int] {
        if size != (grid.width, grid.height) || previous.count != grid.cells.count {
            size = (grid.width, grid.height)
            previous = [Cell](repeating: Cell("\u{0}"), count: grid.cells.count)
        }
        var changed: [Int] = []
        grid.cells.withUnsafeBufferPointer { cells in
            previous.withUnsafeMutableBufferPointer { last in
                for i in 0..<cells.count where cells[i] != last[i] {
                    changed.append(i)
                    last[i] = cells[i]
                }
            }
        }
        return changed
    }
}
