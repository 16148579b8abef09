import Figures
import TUI
import XCTest

final class TableTests: XCTestCase {
    let table = Table(
        columns: [.init("name"), .init("value", .fixed(2))],
        rows: [[.text("b"), .number(2)], [.text("a"), .number(10)], [.text("c"), .number(-1)], [.text("d"), .missing]])

    func testSortingAndFiltering() {
        var state = TableState()
        XCTAssertEqual(TableWidget.visibleRows(table, state), [0, 1, 2, 3])
        state.selectedColumn = 1
        state.perform(.sort, columns: 2)
        XCTAssertEqual(TableWidget.visibleRows(table, state), [2, 0, 1, 3], "ascending, missing last")
        state.perform(.sort, columns: 2)
        XCTAssertEqual(TableWidget.visibleRows(table, state), [1, 0, 2, 3], "descending, missing still last")
        state.sortColumn = 0
        XCTAssertEqual(TableWidget.visibleRows(table, state), [3, 2, 0, 1], "text sorts alphabetically")
        XCTAssertEqual(TableWidget.visibleRows(table, TableState(), filter: "10"), [1])
    }

    func testRenderedRowsAndSelection() {
        let grid = Grid(width: 16, height: 4)
        var state = TableState()
        state.selectedRow = 1
        TableWidget.render(table, state: &state, canvas: Canvas(grid: grid))
        XCTAssertEqual(grid.text, "name    value\nb        2.00\na       10.00\nc       -1.00")
        XCTAssertTrue(grid[0, 2].style.attributes.contains(.reverse), "the selected row")
        XCTAssertFalse(grid[0, 1].style.attributes.contains(.reverse))
        // Moving past the last visible row scrolls.
        state.selectedRow = 3
        grid.clear()
        TableWidget.render(table, state: &state, canvas: Canvas(grid: grid))
        XCTAssertEqual(state.scroll, 1)
        XCTAssertEqual(grid.text.split(separator: "\n").last, "d")
    }

    /// The first column stays; the selected column scrolls into view.
    func testWideTablesScrollSideways() {
        let wide = Table(columns: (0..<8).map { .init("col\($0)") }, rows: [[.text("r")] + (1..<8).map { .integer($0 * 111) }])
        var state = TableState()
        let grid = Grid(width: 24, height: 2)
        TableWidget.render(wide, state: &state, canvas: Canvas(grid: grid))
        XCTAssertEqual(grid.text(row: 0), "col0    col1   col2    ›")
        state.selectedColumn = 7
        grid.clear()
        TableWidget.render(wide, state: &state, canvas: Canvas(grid: grid))
        XCTAssertTrue(grid.text(row: 0).hasPrefix("col0"))
        XCTAssertTrue(grid.text(row: 0).contains("col7"))
        XCTAssertTrue(grid.text(row: 1).contains("777"))
    }

    func testCSVHasAHeaderFullPrecisionAndQuoting() {
        let t = Table(
            columns: [.init("name"), .init("x", .fixed(1))],
            rows: [[.text("a,b"), .number(0.123456789)], [.text("say \"hi\""), .integer(3)], [.missing, .number(.nan)]])
        XCTAssertEqual(t.csv, "name,x\n\"a,b\",0.123456789\n\"say \"\"hi\"\"\",3\n,nan\n")
        XCTAssertEqual(t.columns[1].display(.number(0.123456789)), "0.1")
    }

    func testListAndTextWrap() {
        XCTAssertEqual(TextBlock.wrap("one two three four", width: 9), ["one two", "three", "four"])
        let grid = Grid(width: 10, height: 2)
        ListWidget.render(
            [ListItem("Models"), ListItem("fc1", depth: 1, detail: "[8]"), ListItem("more")], selected: 2,
            canvas: Canvas(grid: grid))
        XCTAssertEqual(grid.text(row: 0), "  fc1  [8▴", "scrolled: the mark says there is more above")
        XCTAssertTrue(grid[0, 1].style.attributes.contains(.reverse))
    }
}
