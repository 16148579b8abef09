import TUI
import XCTest

final class CanvasTests: XCTestCase {
    func testTextIsClippedAndTruncatedWithAnEllipsis() {
        let grid = Grid(width: 10, height: 3)
        let canvas = Canvas(grid: grid)
        canvas.text(0, 0, "hello")
        canvas.text(3, 1, "a longer line")
        canvas.text(0, 5, "off the grid")
        XCTAssertEqual(grid.text(row: 0), "hello     ")
        XCTAssertEqual(grid.text(row: 1), "   a long…")
        XCTAssertEqual(grid.text, "hello\n   a long…\n")
    }

    /// A sub-canvas draws relative to its corner and never outside its rectangle.
    func testSubCanvasClips() {
        let grid = Grid(width: 8, height: 4)
        let inner = Canvas(grid: grid).sub(Rect(x: 2, y: 1, width: 3, height: 2))
        inner.fill(.plain, "#")
        inner.text(1, 1, "xyz")
        inner.put(-1, 0, "!")
        inner.put(3, 0, "!")
        XCTAssertEqual(grid.text, "\n  ###\n  #x…\n", "clipped at the sub-canvas edge")
    }

    func testBoxAndRightAlignment() {
        let grid = Grid(width: 12, height: 4)
        let inner = Canvas(grid: grid).box(title: "T")
        inner.textRight(inner.width, 0, "42")
        XCTAssertEqual(grid.text, "┌─ T ──────┐\n│        42│\n│          │\n└──────────┘")
    }

    func testRectColumnsShareTheWidth() {
        let parts = Rect(x: 0, y: 0, width: 11, height: 2).columns(3, gap: 1)
        XCTAssertEqual(parts.map(\.width), [3, 3, 3])
        XCTAssertEqual(parts.map(\.x), [0, 4, 8])
        XCTAssertEqual(Rect(x: 0, y: 0, width: 5, height: 9).rows(2, gap: 1).map(\.height), [4, 4])
    }

    func testColorConversions() {
        XCTAssertEqual(Color.rgb(255, 0, 0).xterm256, 196)
        XCTAssertEqual(Color.rgb(0, 0, 0).xterm256, 16)
        XCTAssertEqual(Color.rgb(128, 128, 128).xterm256, 244)  // grey ramp: 8 + 10·12 = 128
        XCTAssertEqual(Color.rgb(95, 135, 255).xterm256, 16 + 36 * 1 + 6 * 2 + 5)
        XCTAssertEqual(Color.rgb(0x12, 0x34, 0x56).hex, 0x123456)
        XCTAssertEqual(Color.rgb(200, 30, 30).basic8, 1)
        XCTAssertEqual(Color.rgb(230, 230, 230).basic8, 7)
        XCTAssertEqual(ColorMode.detect(colors: 1 << 24, colorTerm: "truecolor"), .truecolor)
        XCTAssertEqual(ColorMode.detect(colors: 1 << 24, colorTerm: nil), .palette256)
        XCTAssertEqual(ColorMode.detect(colors: 256, colorTerm: "truecolor"), .palette256)
        XCTAssertEqual(ColorMode.detect(colors: 8, colorTerm: nil), .basic)
        XCTAssertEqual(ColorMode.detect(colors: 0, colorTerm: nil), .monochrome)
        XCTAssertEqual(ColorMode.palette256.terminalColor(.terminalDefault), -1)
        XCTAssertEqual(ColorMode.truecolor.terminalColor(.rgb(1, 2, 3)), 0x010203)
    }

    func testKeysFromTerminalCodes() {
        XCTAssertEqual(Key(code: 12), .control("l"))
        XCTAssertEqual(Key(code: 3), .control("c"))
        XCTAssertEqual(Key(code: 9), .tab)
        XCTAssertEqual(Key(code: 13), .enter)
        XCTAssertEqual(Key(code: 27), .escape)
        XCTAssertEqual(Key(code: 127), .backspace)
        XCTAssertEqual(Key(code: 113), .char("q"))
        XCTAssertEqual(Key.control("w").label, "Ctrl-W")
    }

    func testLineEditor() {
        var e = LineEditor("opn")
        _ = e.handle(.left)
        _ = e.handle(.char("e"))
        XCTAssertEqual(e.text, "open")
        _ = e.handle(.end)
        _ = e.handle(.backspace)
        XCTAssertEqual(e.text, "ope")
        XCTAssertFalse(e.handle(.up))
    }
}
