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

    /// An SAE on a language model's hook point: trained from the model reading the text, its
    /// figures with the spliced-in loss, and three latent dashboards whose heatmap rows peak at
    /// the excerpt's token; an MP-SAE's report has its residual curve.
    func testSAERunsOnALanguageModel() throws {
        let text = """
            title = "lm"
            text = "demo:gpt2-tiny"
            seed = 3
            [models]
            lm = "demo:gpt2-tiny"
            [[run]]
            method = "sae"
            model = "lm"
            layer = "blocks.1.hook_resid_post"
            architecture = "topk"
            k = 8
            latents = 256
            steps = 40
            batch = 256
            max_tokens = 600
            [[run]]
            method = "sae"
            model = "lm"
            layer = "blocks.1.hook_resid_post"
            architecture = "matching_pursuit"
            k = 6
            latents = 256
            steps = 10
            batch = 256
            max_tokens = 300
            dashboards = [3]
            """
        let report = try ProbeRunner.run(Probe.parse(text, source: "t.toml"), to: temporaryDirectory(self).appendingPathComponent("r"))
        let section = report.sections[0]
        let figures = try XCTUnwrap(section.tables.first { $0.name == "figures" })
        XCTAssertTrue(figures.rows.contains { $0[1] == .text("loss recovered (vs zero ablation)") }, "\(figures.rows)")
        XCTAssertTrue(section.plots.contains { $0.name == "density" })
        let excerptTables = section.tables.filter { $0.name.hasSuffix("-excerpts") }
        XCTAssertEqual(excerptTables.count, 3)
        for excerpts in excerptTables {
            let stem = String(excerpts.name.dropLast("-excerpts".count))
            XCTAssertTrue(section.tables.contains { $0.name == stem + "-tokens" })
            XCTAssertTrue(section.plots.contains { $0.name == stem + "-histogram" })
            let plot = try XCTUnwrap(section.plots.first { $0.name == stem + "-contexts" })
            guard case .heatmap(let heatmap) = plot.content else { return XCTFail("\(stem)-contexts is no heatmap") }
            XCTAssertEqual(heatmap.values.count, excerpts.rows.count)
            let centre = try XCTUnwrap(heatmap.columnLabels.firstIndex(of: "0"))
            for (row, values) in zip(excerpts.rows, heatmap.values) {
                // The peak of its context, hence of its window, sits at offset 0.
                XCTAssertEqual(values[centre], row[3].number)
                XCTAssertEqual(values.max(), values[centre])
            }
        }
        let pursuit = try XCTUnwrap(report.sections[1].plots.first { $0.name == "pursuit" })
        guard case .lines(let curve) = pursuit.content else { return XCTFail("the pursuit plot is no curve") }
        let left = curve.series[0].y
        XCTAssertEqual(left.first, 1)
        XCTAssertEqual(left.count, 7)
        XCTAssertEqual(left, left.sorted(by: >), "each step leaves at most what the one before left")
        XCTAssertEqual(report.sections[1].tables.filter { $0.name.hasSuffix("-excerpts") }.map(\.name), ["latent-3-excerpts"])
    }
}
