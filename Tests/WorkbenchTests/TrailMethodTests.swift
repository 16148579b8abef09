import Foundation
import Interpret
import Networks
import TestSupport
import Workbench
import XCTest

/// The trail run reports what `LatentTrail` computes for the same objects: each row of its
/// table, and each map of its mosaic; constant latents are named and left out.
final class TrailMethodTests: XCTestCase {
    func testTheRunReportsTheLibraryTrails() throws {
        let text = """
            data = "builtin:digits:test"
            seed = 3
            [models]
            a = "demo:mlp-1"
            b = "demo:mlp-2"
            [[run]]
            method = "trail"
            model = "a"
            layer = "relu1"
            model_b = "b"
            k = 8
            latents = 128
            steps = 100
            follow_latents = [0, 1, 2, 3, 4, 5, 6, 7]
            """
        let report = try ProbeRunner.run(Probe.parse(text, source: "t.toml"), to: temporaryDirectory(self).appendingPathComponent("r"))
        let section = try XCTUnwrap(report.sections.first)
        let (a, b, data) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), try DataSource.load("builtin:digits:test"))
        let source = try LayerActivationSource(network: a, layer: "relu1", data: data)
        var options = SAETrainingOptions.defaults
        (options.architecture, options.latents, options.k, options.steps, options.batchSize, options.seed) = (
            .topk, 128, 8, 100, min(options.batchSize, data.count), 3
        )
        let sae = try SAETrainer.train(on: source, options: options).sae
        let groups = try GitRebasin.run(a, b).result.groups
        var expected: [LatentTrail] = [], constant: [Int] = []
        for j in 0..<8 {
            do {
                expected.append(try LatentTrail.follow(.latent(j), layer: "relu1", of: a, sae: sae, data: data, b: b, rebasin: groups))
            } catch is LatentTrail.Constant { constant.append(j) }
        }
        let table = try XCTUnwrap(section.tables.first { $0.name == "trail" })
        XCTAssertEqual(table.rows.count, expected.count)
        for (row, t) in zip(table.rows, expected) {
            XCTAssertEqual(row[0], .text("\(t.object)"))
            XCTAssertEqual(row[1].number, Double(t.topSample))
            XCTAssertEqual(row[3].number!, t.explained, accuracy: 1e-9)
            XCTAssertEqual(row[5].number, t.partner.map { Double($0.unit) })
            XCTAssertEqual(row[6].number!, t.partner!.correlation, accuracy: 1e-12)
            XCTAssertEqual(row[7].number, t.rebasinUnit.map(Double.init))
        }
        if !constant.isEmpty {
            XCTAssertTrue(section.text.contains { $0.contains(constant.map { "latent \($0)" }.joined(separator: ", ")) }, "\(section.text)")
        }
        guard case .heatmap(let mosaic) = try XCTUnwrap(section.plots.first).content else { return XCTFail("the maps are not a heatmap") }
        for y in 0..<8 { XCTAssertEqual(Array(mosaic.values[y][9..<17]), expected[0].relevance[(y * 8)..<(y * 8 + 8)].map(Double.init)) }
    }

    func testRefusals() {
        XCTAssertThrowsError(try TrailMethod.validate(ProbeParameters([:]))) {
            XCTAssertEqual("\($0)", "give follow_latents (of an SAE trained on the layer) or follow_units, one of them")
        }
        XCTAssertThrowsError(try TrailMethod.validate(ProbeParameters(["follow_units": .integers([-1])]))) {
            XCTAssertEqual("\($0)", "follow_units must list numbers from 0")
        }
    }
}
