import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import Workbench
import XCTest

/// The Match view trains two SAEs as the workbench's preset does and shows what
/// `LatentMatching` computes for them (the same SAEs trained here): shares, the null, the pair
/// table; across models and sizes; and at 80×24.
final class LatentMatchViewTests: XCTestCase {
    func matching(b: String = "mlp-1", ratio: Int = 1, permutations: Int = 0) throws -> LatentMatching {
        let data = try DataSource.load("builtin:digits:test")
        let (a, nb) = (try DemoModels.load("mlp-1"), try DemoModels.load(b))
        let (sa, sb) = (
            try LayerActivationSource(network: a, layer: "relu1", data: data),
            try LayerActivationSource(network: nb, layer: "relu1", data: data)
        )
        var options = SAETrainingOptions.workbench
        options.batchSize = min(options.batchSize, data.count)
        options.seed = 1
        let saeA = try SAETrainer.train(on: sa, options: options).sae
        options.seed = 2
        options.latents = saeA.latentCount * ratio
        let saeB = try SAETrainer.train(on: sb, options: options).sae
        return try LatentMatching.compare(
            saeA, saeB, names: ("a", "b"),
            codes: (try saeA.encode(sa).dense.converted(to: Double.self), try saeB.encode(sb).dense.converted(to: Double.self), data.name),
            options: LatentMatchingOptions(permutations: permutations, seed: 1))
    }

    func testTwoSeedsThenModelsThenSizes() throws {
        let (app, _) = try makeApp(self, tabs: [Session.Tab(kind: "match", settings: .null)])
        settle(app)
        let m = try matching()
        var text = app.frame().text
        XCTAssertTrue(text.contains("Latent matching · relu1 · A demo:mlp-1 seed 1 against A demo:mlp-1 seed 2"), text)
        let d = m.decoder, act = try XCTUnwrap(m.activation)
        XCTAssertTrue(
            text.contains(
                "decoder cosine ≥ 0.7: A \(NumberFormat.percent(d.shareA, digits: 1)) · B \(NumberFormat.percent(d.shareB, digits: 1)) have a partner · mean \(NumberFormat.readable(d.meanScore, digits: 3))"
            ), text)
        XCTAssertTrue(text.contains("activation correlation ≥ 0.7: A \(NumberFormat.percent(act.shareA, digits: 1))"), text)
        let view = try XCTUnwrap(app.currentView as? LatentMatchView)
        XCTAssertEqual(view.figures, m.figures.withNames(from: view.current!))
        let table = try XCTUnwrap(view.exportTable())
        XCTAssertEqual(table.rows.count, m.latentsA)
        for p in d.pairs.prefix(20) { XCTAssertEqual(table.rows[p.latentA][1], .integer(p.latentB)) }

        press(app, "t")
        let tested = try matching(permutations: 99)
        text = app.frame().text
        XCTAssertTrue(text.contains(try XCTUnwrap(tested.activation?.null).text), text)

        press(app, "td")
        let larger = try matching(ratio: 2)
        text = app.frame().text
        XCTAssertTrue(text.contains("seed 2 (2×)"), text)
        XCTAssertTrue(text.contains("splits: \(larger.splits.count) latents of A"), text)
        XCTAssertTrue(text.contains("one-to-one matching leaves at least \(larger.latentsB - larger.latentsA) latents"), text)

        press(app, "ddm")
        let models = try matching(b: "mlp-2")
        text = app.frame().text
        XCTAssertTrue(text.contains("against B demo:mlp-2 seed 2"), text)
        XCTAssertTrue(text.contains("mean \(NumberFormat.readable(models.decoder.meanScore, digits: 3))"), text)
        XCTAssertTrue(app.frame(80, 24).text.contains("Latent matching · relu1"))
    }
}

extension FigureSheet {
    /// The sheet with the SAEs' names as `m` gives them (the view names them after the models).
    func withNames(from m: LatentMatching) -> FigureSheet {
        var s = self
        for i in s.figures.indices where s.figures[i].section == "latents" {
            s.figures[i].label = s.figures[i].label.replacingOccurrences(of: "(a)", with: "(\(m.saeA))").replacingOccurrences(
                of: "(b)", with: "(\(m.saeB))")
        }
        return s
    }
}
