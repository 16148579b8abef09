import TUI
import XCTest

final class HeatmapAndImageTests: XCTestCase {
    /// The diverging map is ColorBrewer's RdBu: −limit is its darkest blue (5, 48, 97), 0 its
    /// middle (247, 247, 247), +limit its darkest red (103, 0, 31); +limit/2 falls halfway between
    /// its 8th and 9th anchors (244, 165, 130) and (214, 96, 77). The sequential map is viridis.
    func testDivergingColoursOfKnownValues() {
        let scale = ColorScale.diverging(limit: 2)
        XCTAssertEqual(scale.color(-2), .rgb(5, 48, 97))
        XCTAssertEqual(scale.color(0), .rgb(247, 247, 247))
        XCTAssertEqual(scale.color(2), .rgb(103, 0, 31))
        XCTAssertEqual(scale.color(1), .rgb(229, 131, 104))  // (244+214)/2, (165+96)/2, (130+77)/2, rounded
        XCTAssertEqual(scale.color(5), .rgb(103, 0, 31), "clamped")
        XCTAssertEqual(ColorScale.fitting([-1.0, 3.0]), .diverging(limit: 3))
        XCTAssertEqual(ColorScale.fitting([0.0, 3.0]), .sequential(low: 0, high: 3))
        XCTAssertEqual(ColorScale.sequential(low: 0, high: 3).color(0), .rgb(68, 1, 84))
        XCTAssertEqual(ColorScale.sequential(low: 0, high: 3).color(3), .rgb(253, 231, 37))
    }

    /// Half blocks: each cell holds the value above as foreground and the one below as background.
    func testHalfBlockCells() {
        let grid = Grid(width: 4, height: 2)
        let map = Heatmap(values: [-1, 1, 0, 0.5, 1, -1], rows: 3, cols: 2, scale: .diverging(limit: 1))
        map.render(Canvas(grid: grid, colors: .palette256))
        XCTAssertEqual(grid[0, 0], Cell("▀", Style(foreground: .rgb(5, 48, 97), background: .rgb(247, 247, 247))))
        XCTAssertEqual(grid[1, 0], Cell("▀", Style(foreground: .rgb(103, 0, 31), background: .rgb(229, 131, 104))))
        // The odd last row has nothing below it.
        XCTAssertEqual(grid[0, 1], Cell("▀", Style(foreground: .rgb(103, 0, 31))))
        XCTAssertEqual(grid[1, 1], Cell("▀", Style(foreground: .rgb(5, 48, 97))))
        XCTAssertEqual(grid[2, 0], .blank, "nothing drawn beyond the map")
        XCTAssertEqual(Heatmap.size(rows: 3, cols: 2, mode: .truecolor).height, 2)
        XCTAssertEqual(Heatmap.size(rows: 3, cols: 2, mode: .monochrome).height, 3)
    }

    /// Without colour: one ramp character per value, zero of a diverging scale in the middle ('+').
    func testPlainCharactersWithoutColour() {
        let grid = Grid(width: 3, height: 1)
        Heatmap(values: [-1, 0, 1], rows: 1, cols: 3, scale: .diverging(limit: 1)).render(Canvas(grid: grid, colors: .monochrome))
        XCTAssertEqual(grid.text(row: 0), " +@")
        XCTAssertEqual(grid[1, 0].style, .plain)
    }

    func testCursorAndGapsAndLegend() {
        let grid = Grid(width: 20, height: 2)
        Heatmap(values: [1, .nan], rows: 1, cols: 2, scale: .sequential(low: 0, high: 1), cursor: 0)
            .render(Canvas(grid: grid, colors: .truecolor))
        XCTAssertEqual(grid[0, 0].style.foreground, Theme.cursor)
        XCTAssertEqual(grid[1, 0], .blank, "NaN is a gap")
        Heatmap.legend(.diverging(limit: 2.5), canvas: Canvas(grid: grid, colors: .truecolor).sub(Rect(x: 0, y: 1, width: 20, height: 1)))
        XCTAssertTrue(grid.text(row: 1).hasPrefix("-2.5 "))
        XCTAssertTrue(grid.text(row: 1).hasSuffix(" 2.5"))
        XCTAssertTrue(grid.text(row: 1).contains("0"))
        XCTAssertEqual(grid[5, 1].style.background, ColorScale.diverging(limit: 2.5).color(-2.5 + 5 * 0.5 / 11))
    }

    /// A 2×2 grey image from [0, 1]: 0 is black, 1 white, 0.5 mid grey; at magnification 1
    /// the two rows share one cell row.
    func testImagePixels() {
        let image = ImageWidget(pixels: [0, 1, 0.5, 1], shape: [1, 2, 2], range: (0, 1))
        let grid = Grid(width: 4, height: 2)
        image.render(Canvas(grid: grid, colors: .truecolor), scale: 1)
        XCTAssertEqual(grid[0, 0], Cell("▀", Style(foreground: .rgb(0, 0, 0), background: .rgb(128, 128, 128))))
        XCTAssertEqual(grid[1, 0], Cell("▀", Style(foreground: .rgb(255, 255, 255), background: .rgb(255, 255, 255))))
        XCTAssertEqual(image.scale(fitting: (16, 8), mode: .truecolor), 8)
        XCTAssertEqual(image.size(scale: 2, mode: .truecolor).width, 4)
        let plain = Grid(width: 2, height: 2)
        image.render(Canvas(grid: plain, colors: .monochrome), scale: 1)
        XCTAssertEqual(plain.text, " @\n+@")
    }
}
