import TUI
import XCTest

final class PlotTests: XCTestCase {
    /// A rising line from (0, 0) to (1, 1) on a 30×10 canvas: the y ticks 1, 0.5, 0 down the
    /// left, the x range under the axis, the first dot in the bottom-left braille cell (dot 7,
    /// 0x40) and the last in the top-right one (dot 4, 0x08), in the series colour.
    func testBrailleLineWithAxesAndLegend() {
        let grid = Grid(width: 30, height: 10)
        LinePlot(title: "t", series: [.init("s", y: [0, 1])]).render(Canvas(grid: grid, colors: .truecolor))
        XCTAssertEqual(grid.text(row: 0), "t                        ━ s  ")
        XCTAssertTrue(grid.text(row: 1).hasPrefix("  1│"))
        XCTAssertTrue(grid.text(row: 4).hasPrefix("0.5│"))
        XCTAssertTrue(grid.text(row: 7).hasPrefix("  0│"))
        XCTAssertTrue(grid.text(row: 8).hasPrefix("   └──"))
        XCTAssertTrue(grid.text(row: 9).hasPrefix("    0"))
        XCTAssertTrue(grid.text(row: 9).hasSuffix("1"))
        XCTAssertTrue(grid.text(row: 9).contains("0.5"))
        let first = grid[4, 7], last = grid[29, 1]
        XCTAssertEqual((first.scalar.value - 0x2800) & 0x40, 0x40)
        XCTAssertEqual((last.scalar.value - 0x2800) & 0x08, 0x08)
        XCTAssertEqual(first.style.foreground, Theme.series[0])
        XCTAssertEqual(grid[5, 1], .blank, "the line does not pass the top left")
    }

    /// Two series, no colour: plain marks, '*' for the first and '+' for the second.
    func testSeveralSeriesWithoutColour() {
        let grid = Grid(width: 30, height: 10)
        LinePlot(series: [.init("a", y: [0, 0]), .init("b", y: [1, 1])]).render(Canvas(grid: grid, colors: .monochrome))
        XCTAssertEqual(grid[4, 7].scalar, "*")
        XCTAssertEqual(grid[29, 7].scalar, "*")
        XCTAssertEqual(grid[4, 1].scalar, "+")
        XCTAssertTrue(grid.text(row: 0).contains("* a"))
        XCTAssertTrue(grid.text(row: 0).contains("+ b"))
    }

    func testFlatSeriesGetsARange() {
        let plot = LinePlot(series: [.init("c", y: [2, 2, 2])])
        XCTAssertEqual(plot.ranges?.y, 1...3, "padded by 1 when |y|·0.1 is smaller")
        XCTAssertEqual(plot.ranges?.x, 0...2)
    }

    func testHistogramCountsAndMarker() {
        let h = Histogram(values: [0, 0.1, 0.5, 0.9, 1.0], title: "h", marker: 0.95)
        XCTAssertEqual(h.counts(bins: 2), [2, 3])
        XCTAssertEqual(h.counts(bins: 4), [2, 0, 1, 2])
        let grid = Grid(width: 12, height: 7)
        h.render(Canvas(grid: grid), bins: 2)
        // y axis: the largest count (3) at the top, 0 at the bottom; bars of 5 cells per bin.
        XCTAssertEqual(grid.text(row: 1), "3│     █████")
        XCTAssertEqual(grid.text(row: 4), "0│██████████")
        XCTAssertEqual(grid.text(row: 5), "  ───────▲──")
        XCTAssertEqual(grid.text(row: 6), "  0        1")
    }

    func testBarChart() {
        let grid = Grid(width: 12, height: 2)
        BarChart(items: [("a", 1), ("b", 0.5)]).render(Canvas(grid: grid))
        XCTAssertEqual(grid.text(row: 0), "a ██████   1")
        XCTAssertEqual(grid.text(row: 1), "b ███    0.5")
    }

    func testProgressBar() {
        let grid = Grid(width: 20, height: 1)
        ProgressBarWidget.render(0.5, canvas: Canvas(grid: grid))
        XCTAssertEqual(grid.text(row: 0), "[██████▌······]  50%")
    }
}
