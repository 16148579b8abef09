import CCurses
import Foundation

/// The ncurses backend: it copies a `Grid` to the terminal, sending only the cells that
/// changed since the last frame, and reads keys. Nothing else in Loupe touches curses.
final class CursesScreen {
    let colors: ColorMode
    private var diff = FrameDiff()
    private var pairs: [PairKey: Int32] = [:]
    private let maxPairs: Int
    private let keyCodes: [Int: Key]
    /// Set when the colour pairs ran out during a frame: the frame is sent again.
    private var pairsReset = false

    private struct PairKey: Hashable { let foreground: Int; let background: Int }

    /// Starts curses; throws when there is no terminal.
    init() throws {
        ccurses_install_exit_handlers()
        guard ccurses_start() == 0 else {
            throw TerminalError("the workbench needs a terminal: run it in an interactive shell (stdin and stdout must be a terminal)")
        }
        colors = ColorMode.detect(colors: Int(ccurses_colors()), colorTerm: ProcessInfo.processInfo.environment["COLORTERM"])
        maxPairs = Int(ccurses_color_pairs())
        var codes: [Int: Key] = [:]
        let named: [(Int32, Key)] = [
            (ccurses_key_up(), .up), (ccurses_key_down(), .down), (ccurses_key_left(), .left), (ccurses_key_right(), .right),
            (ccurses_key_home(), .home), (ccurses_key_end(), .end), (ccurses_key_page_up(), .pageUp),
            (ccurses_key_page_down(), .pageDown), (ccurses_key_backspace(), .backspace), (ccurses_key_enter(), .enter),
            (ccurses_key_back_tab(), .backTab), (ccurses_key_delete(), .delete), (ccurses_key_resize(), .resize)
        ]
        for (code, key) in named { codes[Int(code)] = key }
        for n in 1...12 { codes[Int(ccurses_key_f(Int32(n)))] = .function(n) }
        keyCodes = codes
    }

    func stop() { ccurses_stop() }

    var size: (width: Int, height: Int) { (Int(ccurses_cols()), Int(ccurses_rows())) }

    /// Waits up to `timeout` milliseconds for a key (0: just look).
    func readKey(timeout: Int) -> Key? {
        var code: UInt32 = 0
        var isFunction: Int32 = 0
        guard ccurses_read_key(Int32(timeout), &code, &isFunction) == 1 else { return nil }
        if isFunction != 0 { return keyCodes[Int(code)] }
        return Key(code: code)
    }

    /// Forgets what the terminal shows, so the next frame repaints every cell (Ctrl-L, resize).
    func invalidate() {
        diff.invalidate()
        ccurses_clear_screen()
    }

    /// Sends the cells of `grid` that differ from the last frame, then refreshes once.
    func present(_ grid: Grid) {
        send(grid)
        if pairsReset {
            pairsReset = false
            diff.invalidate()
            send(grid)
        }
        ccurses_refresh()
    }

    private func send(_ grid: Grid) {
        // Writing the bottom-right cell would scroll some terminals; it is always left blank.
        let last = grid.cells.count - 1
        for i in diff.changes(grid) where i != last {
            let cell = grid.cells[i]
            ccurses_put(
                Int32(i / grid.width), Int32(i % grid.width), cell.scalar.value,
                Int32(cell.style.attributes.rawValue), pair(for: cell.style))
        }
    }

    /// The colour pair for a style, defined on first use. When the terminal's pairs run out the
    /// cache starts over and the screen is repainted.
    private func pair(for style: Style) -> Int32 {
        guard colors.hasColor else { return 0 }
        let key = PairKey(foreground: colors.terminalColor(style.foreground), background: colors.terminalColor(style.background))
        if key.foreground == -1, key.background == -1 { return 0 }
        if let p = pairs[key] { return p }
        if pairs.count + 1 >= maxPairs {
            pairs.removeAll()
            pairsReset = true
        }
        let p = Int32(pairs.count + 1)
        guard ccurses_define_pair(p, Int32(key.foreground), Int32(key.background)) == 0 else { return 0 }
        pairs[key] = p
        return p
    }
}

/// The terminal cannot be used (not a terminal, curses failed).
public struct TerminalError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
