import Foundation
import Interpret
import Networks
import TestSupport
import Workbench
import XCTest

/// The randomisation run reports what `ModelRandomisation` computes: its table holds the
/// stages' correlations, its headline the last stage's, its plots the curve and the maps.
final class RandomisationMethodTests: XCTestCase {
    func testTheRunReportsTheLibraryResult() throws {
        let text = """
            data = "builtin:digits:test"
            seed = 2
            [models]
            cnn = "demo:cnn"
            [[run]]
            method = "randomisation"
            model = "cnn"
            samples = 30
            sample = 4
            """
        let report = try ProbeRunner.run(Probe.parse(text, source: "t.toml"), to: temporaryDirectory(self).appendingPathComponent("r"))
        let section = try XCTUnwrap(report.sections.first)
        let check = try ModelRandomisation(network: DemoModels.load("cnn"), options: ModelRandomisationOptions(seed: 2, samples: 30))
        let result = try check.compute(data: Digits.load(.test))
        let last = result.stages.count - 1
        XCTAssertEqual(section.headline["spearman.stage_\(last)"]!, result.stages[last].meanSpearman, accuracy: 1e-12)
        XCTAssertEqual(section.headline["abs_spearman.stage_\(last)"]!, result.stages[last].meanAbsoluteSpearman, accuracy: 1e-12)
        let table = try XCTUnwrap(section.tables.first { $0.name == "stages" })
        XCTAssertEqual(table.rows.count, result.stages.count)
        for (row, stage) in zip(table.rows, result.stages) {
            XCTAssertEqual(row[2].number!, stage.meanSpearman, accuracy: 1e-12)
            XCTAssertEqual(row[3].number!, stage.spearmanStd, accuracy: 1e-12)
            XCTAssertEqual(row[4].number!, stage.meanAbsoluteSpearman, accuracy: 1e-12)
        }
        XCTAssertEqual(section.plots.map(\.name), ["rank-correlation", "maps"])
        // The mosaic holds sample 4's map at every stage: the last tile is the fully randomised one.
        guard case .heatmap(let mosaic) = section.plots[1].content else { return XCTFail("the maps are not a heatmap") }
        let maps = try check.maps(of: 4, in: Digits.load(.test))
        XCTAssertEqual(mosaic.values.count, 8)
        XCTAssertEqual(mosaic.values[0].count, maps.count * 9 - 1)
        for y in 0..<8 {
            XCTAssertEqual(Array(mosaic.values[y][(last * 9)..<(last * 9 + 8)]), maps[last][(y * 8)..<(y * 8 + 8)].map(Double.init))
        }
    }

    func testRefusals() {
        XCTAssertThrowsError(try RandomisationMethod.validate(ProbeParameters(["samples": .integer(0)]))) {
            XCTAssertEqual("\($0)", "samples must be at least 1")
        }
    }
}
