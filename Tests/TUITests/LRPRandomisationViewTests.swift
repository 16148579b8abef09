import Figures
import Foundation
import Interpret
import Networks
import TUI
import TestSupport
import XCTest

/// The LRP view's model-randomisation panel (`r`): the stages' rank correlations as
/// `ModelRandomisation` computes them, and the sample's map at each stage where there is room.
final class LRPRandomisationViewTests: XCTestCase {
    let data = try! DataSource.load("builtin:digits:test")

    /// The check as the library computes it on demo:cnn, independently of the view.
    func check() throws -> ModelRandomisation { try ModelRandomisation(network: DemoModels.load("cnn")) }

    /// The row of the stage table whose randomised layers are `layers`: under the panel's title,
    /// from its left edge (right of the sidebar) to the first map (drawn beside the table where
    /// there is room).
    func stageRow(_ layers: String, in grid: Grid) -> String? {
        guard let title = grid.find("model randomisation · ") else { return nil }
        let end = grid.find("0 trained")?.x ?? grid.width
        return ((title.y + 1)..<grid.height).map {
            String(String.UnicodeScalarView(grid.text(row: $0).unicodeScalars.prefix(end).dropFirst(title.x)))
        }
        .first { $0.contains("  \(layers)  ") }
    }

    func assertStagesShown(_ result: ModelRandomisationResult, in grid: Grid, file: StaticString = #filePath, line: UInt = #line) {
        for (k, stage) in result.stages.enumerated() {
            let layers = stage.randomisedLayers.isEmpty ? "none" : stage.randomisedLayers.joined(separator: ", ")
            guard let row = stageRow(layers, in: grid) else {
                return XCTFail("no row for stage \(k) (\(layers)):\n\(grid.text)", file: file, line: line)
            }
            let numbers = row.split(separator: " ").compactMap { Double($0) }
            XCTAssertEqual(numbers.first, Double(k), "stage \(k): \(row)", file: file, line: line)
            let expected = [stage.meanSpearman, stage.spearmanStd, stage.meanAbsoluteSpearman, stage.absoluteSpearmanStd]
            XCTAssertEqual(
                numbers.suffix(4), expected.map { Double(String(format: "%.4f", $0))! }[...], "stage \(k)", file: file, line: line)
        }
    }

    func testStagesAndMaps() throws {
        let (app, dir) = try makeLRPApp(self)
        app.handle(.char("r"))
        app.finishJobs()
        let check = try check()
        let result = try check.compute(data: data)

        // 80 × 24, beside the sidebar: the title and every stage's numbers; no room for the maps.
        var grid = app.frame(80, 24)
        XCTAssertTrue(grid.text.contains("model randomisation · first 100"), grid.text)
        assertStagesShown(result, in: grid)
        XCTAssertNil(grid.find("3 −conv1"))
        app.handle(.char("b"))  // no sidebar
        grid = app.frame(80, 24)
        XCTAssertTrue(grid.text.contains("model randomisation · first 100 samples"), grid.text)
        assertStagesShown(result, in: grid)
        XCTAssertNil(grid.find("3 −conv1"))

        // 200 × 60: the numbers, and beside them the sample's map at each stage.
        grid = app.frame(200, 60)
        assertStagesShown(result, in: grid)
        let maps = try check.maps(of: 0, in: data)
        for (k, label) in ["0 trained", "1 −fc1", "2 −conv2", "3 −conv1"].enumerated() {
            let title = try XCTUnwrap(grid.find(label), label)
            let m = magnification(grid, at: (title.x, title.y + 1))
            XCTAssertGreaterThanOrEqual(m, 1)
            let values = maps[k].map(Double.init)
            assertMapCells(
                grid, at: (title.x, title.y + 1), magnification: m, values: values,
                scale: .diverging(limit: values.map(abs).max()!), cells: [(0, 0), (3 * m, m), (5 * m, 2 * m), (7 * m, 3 * m)])
        }

        // Another sample: its maps, the same numbers (over the first 100 samples).
        app.handle(.char("n"))
        grid = app.frame(200, 60)
        XCTAssertFalse(app.isBusy, "the check of this setting is kept")
        assertStagesShown(result, in: grid)
        let title = try XCTUnwrap(grid.find("3 −conv1"))
        let m = magnification(grid, at: (title.x, title.y + 1))
        let values = try check.maps(of: 1, in: data)[3].map(Double.init)
        assertMapCells(
            grid, at: (title.x, title.y + 1), magnification: m, values: values,
            scale: .diverging(limit: values.map(abs).max()!), cells: [(2 * m, m), (4 * m, 2 * m)])

        // v to the panel, e exports the stages; E the figures.
        app.type("vvv")
        app.handle(.char("e"))
        let path = String(try XCTUnwrap(app.statusMessage).split(separator: " ").last!)
        XCTAssertTrue(path.hasPrefix(dir.path))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(
            lines[0],
            "model,composite,biases_absorb,target,samples,stage,layer,randomised,mean_spearman,spearman_std,mean_abs_spearman,abs_spearman_std"
        )
        XCTAssertEqual(lines.count, 1 + result.stages.count)
        let last = lines[4].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(Array(last[4..<8]), ["100", "3", "conv1", "fc1 conv2 conv1"])
        XCTAssertEqual(Double(last[8])!, result.stages[3].meanSpearman, accuracy: 1e-12)
        XCTAssertEqual(Double(last[10])!, result.stages[3].meanAbsoluteSpearman, accuracy: 1e-12)
        XCTAssertEqual(app.currentView?.figures, result.figures)

        // f brings pixel flipping in its place; r the check again (it cancels flipping).
        app.handle(.char("f"))
        XCTAssertFalse(app.frame().text.contains("model randomisation ·"))
        XCTAssertNil(app.currentView?.figures)
        app.handle(.char("r"))
        app.finishJobs()
        XCTAssertFalse(app.frame().text.contains("pixel flipping ·"))
        assertStagesShown(result, in: app.frame())
    }

    /// Another composite is another check, as the library computes it under that composite.
    func testFollowsTheComposite() throws {
        let (app, _) = try makeLRPApp(self)
        app.handle(.char("b"))  // no sidebar
        app.handle(.char("r"))
        app.handle(.char("c"))  // epsilon-plus-flat
        app.finishJobs()
        let options = ModelRandomisationOptions(configuration: LRPConfiguration(composite: .epsilonPlusFlat))
        let result = try ModelRandomisation(network: DemoModels.load("cnn"), options: options).compute(data: data)
        assertStagesShown(result, in: app.frame())
    }
}
