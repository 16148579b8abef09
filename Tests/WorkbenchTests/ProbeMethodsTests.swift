import Foundation
import Interpret
import Networks
import TestSupport
import Workbench
import XCTest

/// Each run type reports what its library call computes: the sections' headline figures are
/// compared with the methods called directly, and every table and plot is present.
final class ProbeMethodsTests: XCTestCase {
    func run(_ runs: String, data: String = "builtin:digits:test") throws -> Report {
        let text = """
            data = "\(data)"
            seed = 2
            [models]
            a = "demo:mlp-1"
            b = "demo:mlp-2"
            cnn = "demo:cnn"
            bilinear = "demo:bilinear"
            \(runs)
            """
        let report = try ProbeRunner.run(Probe.parse(text, source: "t.toml"), to: temporaryDirectory(self).appendingPathComponent("r"))
        // Each table and plot has its own CSV: a shared name would overwrite one with the other.
        for section in report.sections {
            let names = section.tables.map(\.name) + section.plots.map(\.name)
            XCTAssertEqual(Set(names).count, names.count, "\(section.method) names a CSV twice: \(names)")
        }
        return report
    }

    let test = { try! Digits.load(.test) }()

    func testComparisonRuns() throws {
        let report = try run(
            """
            [[run]]
            method = "cka"
            models = ["a", "b"]
            [[run]]
            method = "align"
            models = ["a", "b"]
            layer_a = "relu1"
            [[run]]
            method = "rebasin"
            models = ["a", "b"]
            steps = 5
            """)
        let (a, b) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"))
        let cka = try LayerCKA.compute(a, b, data: test)
        let diagonal = cka.rowLayers.indices.map { cka.values[$0][$0] }
        XCTAssertEqual(
            report.sections[0].headline["summary.mean_corresponding"]!, diagonal.reduce(0, +) / Double(diagonal.count), accuracy: 1e-12)
        let align = try ConvergentLearning.compare(a, b, data: test, layerA: "relu1", layerB: "relu1")
        XCTAssertEqual(report.sections[1].headline["bipartite mean correlation"]!, align.bipartite.meanCorrelation, accuracy: 1e-12)
        let rebasin = try GitRebasin.run(a, b, data: test, options: RebasinOptions(seed: 4, interpolationSteps: 5)).result
        XCTAssertEqual(report.sections[2].headline["barriers.loss_permuted"]!, rebasin.permuted!.lossBarrier, accuracy: 1e-9)
        XCTAssertEqual(report.sections[2].headline["barriers.loss_naive"]!, rebasin.naive!.lossBarrier, accuracy: 1e-9)
        XCTAssertEqual(report.sections.map { $0.plots.count }, [1, 3, 2])
    }

    func testAttributionAndBilinearRuns() throws {
        let report = try run(
            """
            [[run]]
            method = "lrp"
            model = "cnn"
            composites = ["epsilon-plus"]
            samples = [0, 1]
            flip_samples = 20
            steps = 4
            [[run]]
            method = "interp"
            model = "a"
            samples = [5]
            [[run]]
            method = "bilinear"
            model = "bilinear"
            """)
        let cnn = try DemoModels.load("cnn")
        let flipping = try PixelFlippingResult.compute(
            network: cnn, data: test, samples: Array(0..<20),
            methods: [LRPConfiguration(composite: .epsilonPlus)],
            options: PixelFlippingOptions(steps: 4, seed: 2))
        for curve in flipping.curves {
            XCTAssertEqual(report.sections[0].headline["AUC \(curve.method)"]!, curve.auc, accuracy: 1e-9, curve.method)
        }
        let interp = try LinearInterpretation.compute(network: DemoModels.load("mlp-1"), data: test, samples: [5])
        XCTAssertEqual(report.sections[1].headline["max residual"]!, interp[0].maxResidual, accuracy: 1e-15)
        XCTAssertLessThan(report.sections[1].headline["max residual"]!, 1e-5)
        let curve = try BilinearAnalysis(network: DemoModels.load("bilinear"), layer: "bilinear").truncation(on: test)
        XCTAssertEqual(report.sections[2].headline["k for 95% of accuracy"], curve.kFor95Percent.map(Double.init))
        XCTAssertEqual(report.sections[2].headline["model accuracy"]!, curve.modelAccuracy, accuracy: 1e-12)
    }

    func testBilinearRunOnAModelWithoutABilinearLayer() throws {
        XCTAssertThrowsError(
            try run(
                """
                [[run]]
                method = "bilinear"
                model = "a"
                """)
        ) { XCTAssertTrue("\($0)".contains("model 'a' (demo:mlp-1) has no bilinear layer; the bilinear run needs one"), "\($0)") }
    }

    func testSAERuns() throws {
        let report = try run(
            """
            [[run]]
            method = "sae"
            model = "a"
            layer = "relu1"
            architecture = "topk"
            k = 4
            latents = 64
            steps = 50
            [[run]]
            method = "sae-sweep"
            model = "a"
            layer = "relu1"
            latents = 64
            steps = 30
            over = "k"
            values = [2, 6]
            """)
        XCTAssertEqual(report.sections[0].headline["metrics.l0"], 4, "a top-k SAE has exactly k active latents")
        let fvu = try XCTUnwrap(report.sections[0].headline["metrics.fvu"])
        XCTAssertTrue(fvu > 0 && fvu < 1)
        let sweep = try XCTUnwrap(report.sections[1].tables.first)
        XCTAssertEqual(sweep.rows.map { $0[1] }, [.number(2), .number(6)], "L0 of each top-k run is its k")
    }
}
