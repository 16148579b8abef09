import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

final class SAETrainingTests: XCTestCase {
    static let data = try! SyntheticFeatures.generate(samples: 2000, dimension: 16, features: 48, meanActive: 3, seed: 11)
    let source = ActivationMatrix(SAETrainingTests.data.activations, name: "synthetic")

    func options(_ architecture: SAEArchitecture, steps: Int = 30) -> SAETrainingOptions {
        SAETrainingOptions(architecture: architecture, latents: 64, k: 3, learningRate: 3e-3, steps: steps, batchSize: 128, seed: 5)
    }

    func testSameSeedSameSAE() throws {
        for architecture in SAEArchitecture.allCases {
            let a = try SAETrainer.train(on: source, options: options(architecture))
            let b = try SAETrainer.train(on: source, options: options(architecture))
            XCTAssertEqual(a.sae.decoder, b.sae.decoder, architecture.rawValue)
            XCTAssertEqual(a.sae.encoder, b.sae.encoder, architecture.rawValue)
            XCTAssertEqual(a.summary.history, b.summary.history, architecture.rawValue)
            var other = options(architecture)
            other.seed = 6
            XCTAssertNotEqual(try SAETrainer.train(on: source, options: other).sae.decoder, a.sae.decoder)
            // Training lowers the loss.
            XCTAssertLessThan(a.summary.history.last!.loss.mse, a.summary.history.first!.loss.mse, architecture.rawValue)
        }
    }

    /// A memory-mapped .npy trains exactly as the same activations in memory.
    func testNPYSourceMatchesMemory() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("acts.npy")
        try NPY.write(Tensor(Self.data.activations), to: url)
        let file = try NPYActivations(url)
        XCTAssertEqual(file.count, 2000)
        XCTAssertEqual(file.dimension, 16)
        let fromFile = try SAETrainer.train(on: file, options: options(.topk))
        let fromMemory = try SAETrainer.train(on: source, options: options(.topk))
        XCTAssertEqual(fromFile.sae.decoder, fromMemory.sae.decoder)
        XCTAssertEqual(fromFile.summary.samplesSeen, 30 * 128)
    }

    func testCancellationStopsTraining() {
        var calls = 0
        XCTAssertThrowsError(
            try SAETrainer.train(on: source, options: options(.standard)) { p in
                calls += 1
                XCTAssertEqual(p.point.step, calls)
                XCTAssertEqual(p.totalSteps, 30)
                return calls < 3
            }
        ) { XCTAssertTrue($0 is CancellationError) }
        XCTAssertEqual(calls, 3)
    }

    func testSessionRecordsCurvesAndSchedule() throws {
        var o = options(.topk, steps: 40)
        o.warmupSteps = 4
        o.decayFraction = 0.25
        o.historyPoints = 40
        var session = try SAETrainingSession(source: source, options: o)
        var rates: [Double] = []
        while !session.isFinished { rates.append(try session.advance().learningRate) }
        // Linear warm-up over 4 steps, constant, then linear decay over the last 10.
        XCTAssertEqual(rates[0], 3e-3 / 5, accuracy: 1e-12)
        XCTAssertEqual(rates[3], 3e-3 * 4 / 5, accuracy: 1e-12)
        XCTAssertEqual(rates[10], 3e-3, accuracy: 1e-12)
        XCTAssertEqual(rates[30], 3e-3 * 10 / 11, accuracy: 1e-12)
        XCTAssertEqual(rates[39], 3e-3 / 11, accuracy: 1e-12)
        XCTAssertEqual(session.history.map(\.step), Array(1...40))
        let run = session.finish()
        XCTAssertEqual(run.summary.options.latents, 64)
        XCTAssertEqual(run.summary.options.unitNormDecoder, true)
        // Unit-norm decoder rows in training; the saved SAE has them divided by the input scale.
        for n in run.sae.decoder.rowNorms() { XCTAssertEqual(Double(n), 1 / run.summary.inputScale, accuracy: 1e-4) }
        // Inputs were scaled to mean norm √d.
        let meanNorm = Self.data.activations.rowNorms().reduce(0, +) / 2000
        XCTAssertEqual(run.summary.inputScale, 4 / Double(meanNorm), accuracy: 0.05 * run.summary.inputScale)
    }

    func testDeadLatentsAreResampledAndAuxiliaryLossRuns() throws {
        // A huge L1 kills latents; resampling brings them back.
        var standard = options(.standard, steps: 40)
        standard.sparsityCoefficient = 200
        standard.deadWindow = 5
        standard.resampleEvery = 10
        XCTAssertGreaterThan(try SAETrainer.train(on: source, options: standard).summary.resampledLatents, 0)
        // Top-k with many latents and k = 1 leaves latents dead: the auxiliary-k loss is on.
        var topk = options(.topk, steps: 40)
        topk.k = 1
        topk.latents = 256
        topk.deadWindow = 5
        let run = try SAETrainer.train(on: source, options: topk)
        XCTAssertTrue(run.summary.history.contains { $0.loss.auxiliary > 0 && $0.deadFraction > 0 })
    }

    func testBatchTopKBecomesAJumpReLUWithItsThreshold() throws {
        let run = try SAETrainer.train(on: source, options: options(.batchtopk, steps: 200))
        let threshold = run.sae.threshold
        XCTAssertEqual(threshold.count, 64)
        XCTAssertTrue(threshold.allSatisfy { $0 > 0 && $0 == threshold[0] })
        // At inference the threshold keeps about k latents per sample on average.
        let l0 = Double(run.sae.encode(Self.data.activations).nonzeroCount) / 2000
        XCTAssertEqual(l0, 3, accuracy: 1.5)
    }

    /// Gated trains its gate bias and magnitude path (from SAELens's zeros) with decoder rows of
    /// free norm, as its L1 is weighted by them, and without resampling; the loss terms it
    /// reports are SAELens's three.
    func testGatedTrainsItsGateAndMagnitudes() throws {
        let run = try SAETrainer.train(on: source, options: options(.gated, steps: 150))
        XCTAssertEqual(run.summary.options.unitNormDecoder, false)
        XCTAssertEqual(run.summary.options.resampleEvery, 0)
        XCTAssertEqual(run.summary.options.sparsityCoefficient, SAETrainingOptions.defaultSparsityCoefficient(.gated))
        let sae = run.sae
        XCTAssertEqual(sae.architecture, .gated)
        for (name, values) in [("b_gate", sae.encoderBias), ("r_mag", sae.magnitudeLogScale), ("b_mag", sae.magnitudeBias)] {
            XCTAssertEqual(values.count, 64, name)
            XCTAssertGreaterThan(values.map(abs).max() ?? 0, 1e-3, name)
        }
        let norms = sae.decoder.rowNorms().map { Double($0) * run.summary.inputScale }
        XCTAssertGreaterThan((norms.max() ?? 0) - (norms.min() ?? 0), 0.01, "decoder norms are free")
        let last = run.summary.history.last!.loss
        XCTAssertGreaterThan(last.sparsity, 0)
        XCTAssertGreaterThan(last.auxiliary, 0)
        XCTAssertEqual(last.total, last.mse + last.sparsity + last.auxiliary, accuracy: 1e-9 * last.total)
        // A sparse code that reconstructs (3 true features per sample, 48 in all).
        let metrics = try sae.evaluate(on: source)
        XCTAssertLessThan(metrics.l0, 10)
        XCTAssertLessThan(metrics.fvu, 0.3)
    }

    func testBadOptionsAreRefused() {
        var o = options(.topk)
        o.k = 65
        assertThrowsMessage(try SAETrainer.train(on: source, options: o), contains: ["k must be between 1 and d_sae = 64"])
        o = options(.standard)
        o.steps = 0
        assertThrowsMessage(try SAETrainer.train(on: source, options: o), contains: ["steps must be positive"])
        assertThrowsMessage(
            try SAETrainer.train(on: ActivationMatrix(Matrix(rows: 0, cols: 4), name: "empty.npy"), options: options(.topk)),
            contains: ["empty.npy", "no samples"])
        assertThrowsMessage(try SAEArchitecture.parse("gate"), contains: ["unknown SAE architecture 'gate'", "gated"])
        XCTAssertEqual(try SAEArchitecture.parse("Gated"), .gated)
        XCTAssertEqual(try SAEArchitecture.parse("mp"), .matchingPursuit)
        XCTAssertEqual(try SAEArchitecture.parse("batch-topk"), .batchtopk)
    }

    func testLayerActivationsAreTheLayersOutput() throws {
        let network = try NetworkFile.untrained(try ShortSpec.parse("mlp:16-8-3", name: "tiny"), seed: 1)
        let data = Dataset(name: "synthetic", x: Self.data.activations.rows(in: 0..<20), labels: nil, sampleShape: [16])
        let source = try LayerActivationSource(network: network, layer: "relu1", data: data)
        XCTAssertEqual((try source.rows(in: 5..<9) - network.trace(data.x)[2].rows(in: 5..<9)).maxAbs(), 0, accuracy: 1e-6)
        assertThrowsMessage(try LayerActivationSource(network: network, layer: "fc9", data: data), contains: ["no layer 'fc9'"])
    }

    func testOneCallReportAndSweep() throws {
        let (run, report) = try SAEAnalysis.trainAndAnalyse(
            on: source, training: options(.topk, steps: 60),
            analysis: SAEAnalysisOptions(darkMatterSamples: 1000, trueFeatures: Self.data.features))
        XCTAssertEqual(report.training, run.summary)
        XCTAssertNotNil(report.darkMatter)
        XCTAssertEqual(report.darkMatter?.trainSamples, 500)
        XCTAssertEqual(report.recovery?.maxCosine.count, 48)
        let json = try JSONEncoder().encode(report)
        XCTAssertEqual(try JSONDecoder().decode(SAEReport.self, from: json), report)

        let sweep = try SAESweep.run(on: source, base: options(.topk, steps: 30), over: .k([1, 2, 4]))
        XCTAssertEqual(sweep.parameter, "k")
        XCTAssertEqual(sweep.rows.map(\.value), [1, 2, 4])
        XCTAssertFalse(sweep.frontier.isEmpty)
        // No row on the frontier is beaten on both L0 and FVU by another row.
        for i in sweep.frontier {
            XCTAssertFalse(sweep.rows.contains { $0.l0 < sweep.rows[i].l0 && $0.fvu < sweep.rows[i].fvu })
        }
    }
}
