import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// SAELens's layout: fixtures written by SAELens 6.54 (Tests/Fixtures/sparse/make_fixtures.py)
/// load, encode and decode as SAELens does; SAEs written here read back unchanged.
final class SAEFileTests: XCTestCase {
    let directory = fixtures.appendingPathComponent("sparse")

    func expected(_ name: String) throws -> (x: Matrix<Float>, codes: Matrix<Float>, reconstruction: Matrix<Float>) {
        let file = try SafeTensors.read(directory.appendingPathComponent("expected.safetensors"))
        return (file["\(name).x"]!.matrix(), file["\(name).codes"]!.matrix(), file["\(name).reconstruction"]!.matrix())
    }

    func assertClose(_ a: Matrix<Float>, _ b: Matrix<Float>, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.rows, b.rows, file: file, line: line)
        XCTAssertEqual(a.cols, b.cols, file: file, line: line)
        let scale = max(b.maxAbs(), 1)
        let worst = zip(a.storage, b.storage).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst / scale, 1e-5, "\(what): largest difference \(worst)", file: file, line: line)
    }

    func testSAELensFixturesEncodeAndDecodeAsSAELens() throws {
        let architectures: [String: SAEArchitecture] = [
            "standard": .standard, "topk": .topk, "topk_rescaled": .topk, "jumprelu": .jumprelu,
            "matching_pursuit": .matchingPursuit, "no_b_dec_input": .standard
        ]
        for (name, architecture) in architectures {
            let (sae, info) = try SAEFile.load(directory.appendingPathComponent(name))
            XCTAssertEqual(sae.architecture, architecture, name)
            XCTAssertNil(info, name)
            XCTAssertEqual(sae.inputSize, 8)
            XCTAssertEqual(sae.latentCount, 16)
            let (x, codes, reconstruction) = try expected(name)
            let encoded = sae.encode(x)
            assertClose(encoded.dense, codes, "\(name) encode")
            assertClose(sae.decode(encoded), reconstruction, "\(name) decode")
            assertClose(sae.decode(dense: codes), reconstruction, "\(name) decode of SAELens's codes")
        }
    }

    func testMatchingPursuitSettingsComeFromTheConfig() throws {
        let (sae, _) = try SAEFile.load(directory.appendingPathComponent("matching_pursuit"))
        XCTAssertEqual(sae.stopping, MatchingPursuitStopping(maxSteps: 5, residualThreshold: 0.5, stopWhenSupportUnchanged: true))
        XCTAssertEqual(sae.encoder.rows, 0)
    }

    func testSavedSAEReadsBackAndFoldsNothingTwice() throws {
        let dir = try temporaryDirectory(self)
        var rng = SeededRandom(seed: 3)
        for architecture in SAEArchitecture.allCases {
            var sae = SparseAutoencoder<Float>.initialised(
                architecture: architecture, inputSize: 6, latents: 10, k: 3,
                decoderNorm: 1, rng: &rng)
            sae.encoderBias = sae.encoderBias.map { _ in Float(rng.normal()) }
            sae.decoderBias = sae.decoderBias.map { _ in Float(rng.normal()) }
            if architecture == .batchtopk { sae.threshold = [Float](repeating: 0.3, count: 10) }
            if architecture == .gated {
                sae.magnitudeLogScale = (0..<10).map { _ in Float(0.5 * rng.normal()) }
                sae.magnitudeBias = (0..<10).map { _ in Float(0.3 * rng.normal()) }
            }
            sae.stopping = MatchingPursuitStopping(maxSteps: 3, residualThreshold: 0.25, stopWhenSupportUnchanged: true)
            let info = SAEFileInfo(model: "demo:mlp-1", layer: "relu1", data: "builtin:digits:train", inputScale: 2.5)
            let url = dir.appendingPathComponent(architecture.rawValue)
            try SAEFile.save(sae, info: info, to: url)
            let (back, backInfo) = try SAEFile.load(url)
            // Batch top-k is saved as the JumpReLU it is at inference, as SAELens does.
            XCTAssertEqual(back.architecture, architecture == .batchtopk ? .jumprelu : architecture)
            XCTAssertEqual(backInfo?.trainedAs, architecture == .batchtopk ? .batchtopk : nil)
            XCTAssertEqual(backInfo?.model, "demo:mlp-1")
            XCTAssertEqual(backInfo?.inputScale, 2.5)
            XCTAssertEqual(back.decoder, sae.decoder)
            XCTAssertEqual(back.encoder, sae.encoder)
            XCTAssertEqual(back.decoderBias, sae.decoderBias)
            XCTAssertEqual(back.encoderBias, sae.encoderBias)
            XCTAssertEqual(back.magnitudeLogScale, sae.magnitudeLogScale)
            XCTAssertEqual(back.magnitudeBias, sae.magnitudeBias)
            XCTAssertEqual(back.k, sae.k)
            if architecture == .matchingPursuit { XCTAssertEqual(back.stopping, sae.stopping) }
            var x: Matrix<Float> = rng.normalMatrix(rows: 5, cols: 6)
            x.scale(by: 2)
            XCTAssertEqual(back.encode(x), sae.encode(x), architecture.rawValue)
        }
        // What SAELens needs to read it: its cfg.json keys and tensor names.
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("topk/cfg.json"))) as! [String: Any]
        XCTAssertEqual(cfg["architecture"] as? String, "topk")
        XCTAssertEqual(cfg["d_in"] as? Int, 6)
        XCTAssertEqual(cfg["normalize_activations"] as? String, "none")
        XCTAssertEqual((cfg["metadata"] as? [String: Any])?["hook_name"] as? String, "relu1")
        let weights = try SafeTensors.read(dir.appendingPathComponent("topk/sae_weights.safetensors"))
        XCTAssertEqual(weights["W_enc"]?.shape, [6, 10])
        XCTAssertEqual(weights["W_dec"]?.shape, [10, 6])
        XCTAssertEqual(
            Set(try SafeTensors.read(dir.appendingPathComponent("matching_pursuit/sae_weights.safetensors")).tensors.keys),
            ["W_dec", "b_dec"])
        // Gated as SAELens's GatedSAE: b_gate, r_mag and b_mag, no b_enc.
        let gatedCfg =
            try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("gated/cfg.json"))) as! [String: Any]
        XCTAssertEqual(gatedCfg["architecture"] as? String, "gated")
        let gated = try SafeTensors.read(dir.appendingPathComponent("gated/sae_weights.safetensors"))
        XCTAssertEqual(
            gated.tensors.mapValues(\.shape),
            ["W_enc": [6, 10], "b_gate": [10], "r_mag": [10], "b_mag": [10], "W_dec": [10, 6], "b_dec": [6]])
    }

    /// Folding the training-time input scale s gives an SAE on raw x that codes x as the
    /// training SAE coded s·x and reconstructs x̂/s.
    /// An SAE is written into a folder that exists already (empty, or made by the user for it).
    func testSavesIntoAnExistingFolder() throws {
        let dir = try temporaryDirectory(self).appendingPathComponent("sae")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        var rng = SeededRandom(seed: 4)
        let sae = SparseAutoencoder<Float>.initialised(architecture: .topk, inputSize: 6, latents: 10, k: 3, decoderNorm: 1, rng: &rng)
        try SAEFile.save(sae, to: dir)
        XCTAssertEqual(try SAEFile.load(dir).sae.decoder, sae.decoder)
    }

    func testFoldingTheInputScale() {
        var rng = SeededRandom(seed: 4)
        let s: Float = 3.5
        var x: Matrix<Float> = rng.normalMatrix(rows: 7, cols: 6)
        x.scale(by: 0.4)
        var scaled = x
        scaled.scale(by: s)
        for architecture in SAEArchitecture.allCases {
            var sae = SparseAutoencoder<Float>.initialised(
                architecture: architecture, inputSize: 6, latents: 12, k: 3,
                decoderNorm: 1, initialThreshold: 0.2, rng: &rng)
            sae.decoderBias = sae.decoderBias.map { _ in Float(rng.normal()) }
            sae.encoderBias = sae.encoderBias.map { _ in Float(0.1 * rng.normal()) }
            if architecture == .batchtopk { sae.threshold = [Float](repeating: 0.2, count: 12) }
            if architecture == .gated {
                sae.magnitudeLogScale = (0..<12).map { _ in Float(0.5 * rng.normal()) }
                sae.magnitudeBias = (0..<12).map { _ in Float(0.1 * rng.normal()) }
            }
            let folded = sae.foldingInputScale(s)
            let codes = folded.encode(x).dense, trainingCodes = sae.encode(scaled).dense
            var expectedReconstruction = sae.reconstruct(scaled)
            expectedReconstruction.scale(by: 1 / s)
            if architecture == .matchingPursuit {
                var rescaled = trainingCodes
                rescaled.scale(by: 1 / s)
                XCTAssertEqual((codes - rescaled).maxAbs(), 0, accuracy: 1e-5, "\(architecture)")
            } else {
                XCTAssertEqual((codes - trainingCodes).maxAbs(), 0, accuracy: 1e-4, "\(architecture)")
            }
            XCTAssertEqual((folded.reconstruct(x) - expectedReconstruction).maxAbs(), 0, accuracy: 1e-5, "\(architecture)")
            XCTAssertGreaterThan(codes.maxAbs(), 0)
        }
    }

    func testBadFilesAreRefusedWithOneLine() throws {
        let dir = try temporaryDirectory(self)
        assertThrowsMessage(try SAEFile.load(dir), contains: [dir.path, "cfg.json"])
        func write(_ cfg: String, tensors: [String: Tensor]? = nil) throws -> URL {
            let url = dir.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data(cfg.utf8).write(to: url.appendingPathComponent("cfg.json"))
            if let tensors {
                try SafeTensors.write(SafeTensorsFile(tensors: tensors), to: url.appendingPathComponent("sae_weights.safetensors"))
            }
            return url
        }
        let good: [String: Tensor] = [
            "W_enc": Tensor([Float](repeating: 0, count: 8), shape: [2, 4]),
            "b_enc": Tensor([Float](repeating: 0, count: 4), shape: [4]),
            "W_dec": Tensor([Float](repeating: 0, count: 8), shape: [4, 2]),
            "b_dec": Tensor([Float](repeating: 0, count: 2), shape: [2])
        ]
        assertThrowsMessage(try SAEFile.load(write("[1, 2]")), contains: ["cfg.json", "not a JSON object"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"architecture": "mystery", "d_in": 2, "d_sae": 4}"#)),
            contains: ["architecture 'mystery' is not supported"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"architecture": "gated", "d_in": 2, "d_sae": 4}"#, tensors: good)), contains: ["no tensor 'b_gate'"])
        assertThrowsMessage(try SAEFile.load(write(#"{"d_in": 2}"#)), contains: ["'d_sae' must be a positive integer"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"d_in": 2, "d_sae": 4, "normalize_activations": "expected_average_only_in"}"#, tensors: good)),
            contains: ["normalize_activations", "expected_average_only_in"])
        assertThrowsMessage(try SAEFile.load(write(#"{"d_in": 2, "d_sae": 4}"#)), contains: ["no sae_weights.safetensors"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"d_in": 2, "d_sae": 5}"#, tensors: good)),
            contains: ["sae_weights.safetensors", "'W_dec' has shape [4, 2], expected [5, 2]"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"architecture": "jumprelu", "d_in": 2, "d_sae": 4}"#, tensors: good)),
            contains: ["no tensor 'threshold'"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"architecture": "topk", "d_in": 2, "d_sae": 4}"#, tensors: good)),
            contains: ["'k' between 1 and d_sae = 4"])
        var nan = good
        nan["b_dec"] = Tensor([Float.nan, 0], shape: [2])
        assertThrowsMessage(try SAEFile.load(write(#"{"d_in": 2, "d_sae": 4}"#, tensors: nan)), contains: ["'b_dec' contains NaN"])
    }

    /// Configs that once crashed or were silently read as something else: a `loupe` block that
    /// is not an object (a JSONSerialization trap), an architecture that is missing, null or not
    /// a string (a top-k SAE evaluated as standard reported L0 31 instead of 8), and sizes
    /// beyond the memory budget.
    func testHostileConfigs() throws {
        let dir = try temporaryDirectory(self)
        let good: [String: Tensor] = [
            "W_enc": Tensor([Float](repeating: 0, count: 8), shape: [2, 4]),
            "b_enc": Tensor([Float](repeating: 0, count: 4), shape: [4]),
            "W_dec": Tensor([Float](repeating: 0, count: 8), shape: [4, 2]),
            "b_dec": Tensor([Float](repeating: 0, count: 2), shape: [2])
        ]
        func write(_ cfg: String) throws -> URL {
            let url = dir.appendingPathComponent(UUID().uuidString)
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            try Data(cfg.utf8).write(to: url.appendingPathComponent("cfg.json"))
            try SafeTensors.write(SafeTensorsFile(tensors: good), to: url.appendingPathComponent("sae_weights.safetensors"))
            return url
        }
        XCTAssertNil(try SAEFile.load(write(#"{"architecture": "standard", "d_in": 2, "d_sae": 4, "loupe": null}"#)).info)
        for block in ["5", "\"x\"", "[1]", "true"] {
            assertThrowsMessage(
                try SAEFile.load(write(#"{"architecture": "standard", "d_in": 2, "d_sae": 4, "loupe": \#(block)}"#)),
                contains: ["cfg.json", "'loupe' must be an object"])
        }
        for value in ["null", "[]", "3"] {
            assertThrowsMessage(
                try SAEFile.load(write(#"{"architecture": \#(value), "d_in": 2, "d_sae": 4, "k": 2}"#)),
                contains: ["'architecture' must be a string"])
        }
        assertThrowsMessage(
            try SAEFile.load(write(#"{"d_in": 2, "d_sae": 4, "k": 2}"#)),
            contains: ["no 'architecture'", "the file has k", "not a standard SAE"])
        assertThrowsMessage(
            try SAEFile.load(write(#"{"d_in": 2, "d_sae": 4, "activation_fn": "topk"}"#)),
            contains: ["no 'architecture'", "activation_fn topk"])
        XCTAssertEqual(
            try SAEFile.load(write(#"{"d_in": 2, "d_sae": 4, "activation_fn": "relu"}"#)).sae.architecture, .standard,
            "an old SAELens config with nothing but a ReLU is a standard SAE")
        assertThrowsMessage(
            try SAEFile.load(write(#"{"architecture": "standard", "d_in": 1000000000, "d_sae": 1000000000}"#)),
            contains: ["an SAE of d_in 1000000000 × d_sae 1000000000", "memory budget"])
    }

    /// --d-sae 1e11 and --expansion 1e9 once ended in allocation aborts.
    func testTrainingSizesAreCheckedBeforeAllocating() {
        var options = SAETrainingOptions(architecture: .topk, latents: 100_000_000_000, k: 8)
        assertThrowsMessage(try options.resolved(inputSize: 64), contains: ["d_sae 100000000000", "memory budget"])
        options.latents = nil
        options.expansionFactor = 1e9
        assertThrowsMessage(try options.resolved(inputSize: 256), contains: ["expansion factor", "does not give a usable d_sae"])
        options.expansionFactor = .infinity
        assertThrowsMessage(try options.resolved(inputSize: 256), contains: ["does not give a usable d_sae"])
    }
}
