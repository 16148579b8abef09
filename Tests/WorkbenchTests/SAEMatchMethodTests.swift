import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TestSupport
import Workbench
import XCTest

/// The sae-match run reports what `LatentMatching.compare` computes for the same two SAEs,
/// trained here with the options and seeds the run's parameters stand for.
final class SAEMatchMethodTests: XCTestCase {
    func testTheRunReportsTheLibraryMatching() throws {
        let text = """
            data = "builtin:digits:test"
            seed = 3
            [models]
            mlp = "demo:mlp-1"
            [[run]]
            method = "sae-match"
            model = "mlp"
            layer = "relu1"
            latents = 48
            latents_b = 96
            k = 6
            steps = 120
            batch = 128
            seeds = [4, 7]
            threshold = 0.4
            permutations = 9
            """
        let report = try ProbeRunner.run(Probe.parse(text, source: "t.toml"), to: temporaryDirectory(self).appendingPathComponent("r"))
        let section = try XCTUnwrap(report.sections.first)

        let source = try LayerActivationSource(network: DemoModels.load("mlp-1"), layer: "relu1", data: Digits.load(.test))
        func train(_ seed: UInt64, _ latents: Int) throws -> SparseAutoencoder<Float> {
            try SAETrainer.train(
                on: source, options: SAETrainingOptions(architecture: .topk, latents: latents, k: 6, steps: 120, batchSize: 128, seed: seed)
            ).sae
        }
        let (a, b) = (try train(4, 48), try train(7, 96))
        func codes(_ sae: SparseAutoencoder<Float>) throws -> Matrix<Double> { try sae.encode(source).dense.converted(to: Double.self) }
        // The run's seed is the probe's plus its index: 3 for the first run.
        let m = try LatentMatching.compare(
            a, b, names: ("A", "B"), codes: (try codes(a), try codes(b), "digits"),
            options: LatentMatchingOptions(threshold: 0.4, permutations: 9, seed: 3))
        let activation = try XCTUnwrap(m.activation)
        let null = try XCTUnwrap(activation.null)

        XCTAssertEqual(section.method, "sae-match")
        XCTAssertEqual(section.headline.keys.sorted(), ["activation.p_value", "activation.share_a", "decoder.share_a"])
        XCTAssertEqual(section.headline["decoder.share_a"], m.decoder.shareA)
        XCTAssertEqual(section.headline["activation.share_a"], activation.shareA)
        XCTAssertEqual(section.headline["activation.p_value"], null.pValue)
        // Every figure, in order, with the library's value (labels name the SAEs differently).
        let figures = try XCTUnwrap(section.tables.first { $0.name == "figures" })
        XCTAssertEqual(figures.rows.map { $0[2].number }, m.figures.figures.map(\.value))
        // The curves are both criteria's sorted matched scores.
        guard case .lines(let curves) = try XCTUnwrap(section.plots.first { $0.name == "matched" }).content else {
            return XCTFail("the matched-score curve is not a line plot")
        }
        XCTAssertEqual(curves.series.map(\.name), ["decoder", "activation"])
        XCTAssertEqual(curves.series.map(\.y), [m.decoder.sortedScores, activation.sortedScores])
        // Unmatched latents: a row per criterion and side, the count and the first 50.
        let unmatched = try XCTUnwrap(section.tables.first { $0.name == "unmatched" })
        let expected = [m.decoder, activation].flatMap { [$0.unmatchedA, $0.unmatchedB] }
        XCTAssertEqual(unmatched.rows.map { $0[2].number }, expected.map { Double($0.count) })
        XCTAssertEqual(unmatched.rows.map { $0[3].exact }, expected.map { $0.prefix(50).map(String.init).joined(separator: " ") })
        XCTAssertGreaterThanOrEqual(m.decoder.unmatchedB.count, 96 - 48, "one to one leaves the larger SAE's surplus unmatched")
        XCTAssertFalse(m.splits.isEmpty, "twice the latents: some of A's split in B")
        let splits = try XCTUnwrap(section.tables.first { $0.name == "splits" })
        XCTAssertEqual(splits.rows.map { $0[0].number }, m.splits.prefix(50).map { Double($0.latentA) })
        XCTAssertEqual(splits.rows.map { $0[1].exact }, m.splits.prefix(50).map { $0.latentsB.map(String.init).joined(separator: " ") })
        XCTAssertTrue(section.text.contains { $0.contains("p = \(NumberFormat.readable(null.pValue))") }, "\(section.text)")
        XCTAssertTrue(section.text.contains { $0.contains("48 and 96 latents") }, "\(section.text)")
    }

    /// On a transformer checkpoint both SAEs train from the model reading the probe's text and
    /// are compared on its first max_tokens tokens: what training and matching them here gives.
    func testTheRunOnALanguageModel() throws {
        let probe = try Probe.parse(
            """
            text = "demo:gpt2-tiny"
            [models]
            lm = "demo:gpt2-tiny"
            [[run]]
            method = "sae-match"
            model = "lm"
            layer = "blocks.1.hook_resid_post"
            latents = 64
            k = 4
            steps = 20
            batch = 256
            max_tokens = 400
            seeds = [1, 3]
            """, source: "t.toml")
        let report = try ProbeRunner.run(probe, to: temporaryDirectory(self).appendingPathComponent("r"))
        let section = try XCTUnwrap(report.sections.first)

        let spec = try ProbeContext(probe: probe).textHook("lm", hook: "blocks.1.hook_resid_post", excludeSpecial: false)
        func train(_ seed: UInt64) throws -> SparseAutoencoder<Float> {
            let options = SAETrainingOptions(architecture: .topk, latents: 64, k: 4, steps: 20, batchSize: 256, seed: seed)
            return try SAETrainer.train(try spec.trainingSession(options: options).session).sae
        }
        let (a, b) = (try train(1), try train(3))
        let source = try spec.source(maxTokens: 400)
        func codes(_ sae: SparseAutoencoder<Float>) throws -> Matrix<Double> { try sae.encode(source).dense.converted(to: Double.self) }
        let m = try LatentMatching.compare(a, b, names: ("A", "B"), codes: (try codes(a), try codes(b), "text"))
        let activation = try XCTUnwrap(m.activation)
        XCTAssertEqual(section.headline, ["decoder.share_a": m.decoder.shareA, "activation.share_a": activation.shareA])
        let figures = try XCTUnwrap(section.tables.first { $0.name == "figures" })
        XCTAssertEqual(figures.rows.map { $0[2].number }, m.figures.figures.map(\.value))
        XCTAssertEqual(m.samples, source.count)
        XCTAssertTrue(section.text[0].contains("the first \(source.count) tokens of demo:gpt2-tiny"), section.text[0])
    }

    func testRefusals() throws {
        func refuses(_ values: [String: ProbeValue], _ parts: [String]) {
            XCTAssertThrowsError(try SAEMatchMethod.validate(ProbeParameters(values))) { error in
                for p in parts { XCTAssertTrue("\(error)".contains(p), "'\(p)' not in: \(error)") }
            }
        }
        refuses(["seeds": .integers([1])], ["seeds must be two numbers", "[1]"])
        refuses(["seeds": .integers([1, 2, 3])], ["seeds must be two numbers"])
        refuses(["seeds": .integers([1, -2])], ["seeds must be two numbers"])
        refuses(["threshold": .number(2)], ["threshold", "[-1, 1]"])
        refuses(["permutations": .integer(-1)], ["permutations"])
        refuses(["latents_b": .integer(0)], ["latents_b must be at least 1"])
        XCTAssertNoThrow(try SAEMatchMethod.validate(ProbeParameters(["seeds": .integers([5, 5])])))
        // A network against a transformer checkpoint: refused before anything is trained.
        let probe = try Probe.parse(
            """
            data = "builtin:digits:test"
            text = "demo:gpt2-tiny"
            [models]
            mlp = "demo:mlp-1"
            lm = "demo:gpt2-tiny"
            [[run]]
            method = "sae-match"
            model = "mlp"
            layer = "relu1"
            model_b = "lm"
            """, source: "t.toml")
        XCTAssertThrowsError(try ProbeRunner.run(probe, to: temporaryDirectory(self).appendingPathComponent("r"))) {
            XCTAssertTrue("\($0)".contains("model_b: 'lm' and 'mlp' must both be transformer checkpoints or both networks"), "\($0)")
        }
        // A second layer of another width: refused before training (a million steps would not end).
        let narrow = try Probe.parse(
            """
            data = "builtin:digits:test"
            [models]
            mlp = "demo:mlp-1"
            [[run]]
            method = "sae-match"
            model = "mlp"
            layer = "relu1"
            layer_b = "fc3"
            steps = 1000000
            """, source: "t.toml")
        XCTAssertThrowsError(try ProbeRunner.run(narrow, to: temporaryDirectory(self).appendingPathComponent("n"))) {
            XCTAssertTrue("\($0)".contains("layer_b: fc3 of 'mlp' has 10 values per sample and relu1 of 'mlp' 256"), "\($0)")
        }
    }
}
