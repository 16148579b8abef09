import Foundation
import LoupeCLI
import Networks
import TensorIO
import TestSupport
import XCTest

/// Every subcommand, in process: its arguments parse into the command they name, with their
/// values; a mistake is refused with the line the user reads; and `--json` prints one object
/// of the documented shape.
final class CommandLineTests: XCTestCase {
    var directory: URL!
    var previous = ""

    override func setUpWithError() throws {
        directory = try temporaryDirectory(self)
        previous = FileManager.default.currentDirectoryPath
        _ = FileManager.default.changeCurrentDirectoryPath(directory.path)
        for name in ["mlp-1", "mlp-2", "bilinear", "cnn"] { _ = try DemoModels.load(name) }
    }

    override func tearDown() {
        _ = FileManager.default.changeCurrentDirectoryPath(previous)
    }

    /// The command `arguments` parse to, by type name, with the value its `_field` holds.
    func assertParses(
        _ arguments: [String], as type: String, _ fields: [String: String] = [:],
        file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let command = try LoupeCLI.parse(arguments)
            XCTAssertEqual(String(describing: Swift.type(of: command)), type, file: file, line: line)
            let children = Dictionary(
                Mirror(reflecting: command).children.compactMap { c in c.label.map { ($0, String(describing: c.value)) } },
                uniquingKeysWith: { a, _ in a })
            for (name, value) in fields {
                let shown = children["_" + name] ?? children[name] ?? ""
                XCTAssertTrue(shown.contains(value), "\(name): \(shown) lacks \(value)", file: file, line: line)
            }
        } catch {
            XCTFail("\(arguments.joined(separator: " ")): \(LoupeCLI.message(for: error))", file: file, line: line)
        }
    }

    /// Parses and runs `arguments`, which must be refused with a line containing every one of `parts`.
    func assertRefuses(_ arguments: [String], _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
        do {
            var command = try LoupeCLI.parse(arguments)
            _ = try Console.capture { try command.run() }
            XCTFail("\(arguments.joined(separator: " ")) was not refused", file: file, line: line)
        } catch {
            let message = LoupeCLI.message(for: error)
            XCTAssertFalse(message.contains("\n"), file: file, line: line)
            for p in parts { XCTAssertTrue(message.contains(p), "'\(p)' not in: \(message)", file: file, line: line) }
        }
    }

    /// Runs `arguments` (with --json) and returns the one JSON object it printed, after checking
    /// it has every one of `keys`.
    @discardableResult
    func assertJSON(_ arguments: [String], keys: [String], file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        var command = try LoupeCLI.parse(arguments + ["--json"])
        let text = try Console.capture { try command.run() }
        XCTAssertEqual(text.split(separator: "\n").count, 1, "one line of JSON: \(text.prefix(200))", file: file, line: line)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], file: file, line: line)
        for key in keys { XCTAssertNotNil(object[key], "no '\(key)' in \(object.keys.sorted())", file: file, line: line) }
        return object
    }

    let data = ["--data", "builtin:digits:test"]

    func testInspect() throws {
        assertParses(["inspect", "demo:mlp-1", "--data", "builtin:digits"], as: "InspectCommand", ["model": "demo:mlp-1"])
        assertRefuses(["inspect", "demo:nope"], ["unknown demo model 'demo:nope'"])
        let o = try assertJSON(["inspect", "demo:mlp-1"] + data, keys: ["name", "parameters", "layers", "evaluation"])
        XCTAssertEqual(o["parameters"] as? Int, 85002)
    }

    func testForward() throws {
        assertParses(
            ["forward", "demo:mlp-1", "--layer", "relu1", "--out", "a.npy"] + data, as: "ForwardCommand", ["layer": "relu1", "out": "a.npy"]
        )
        assertRefuses(["forward", "demo:mlp-1", "--layer", "relu9", "--out", "a.npy"] + data, ["no layer 'relu9'"])
        let o = try assertJSON(["forward", "demo:mlp-1", "--layer", "relu1", "--out", "a.npy"] + data, keys: ["file", "layer", "shape"])
        XCTAssertEqual(o["shape"] as? [Int], [449, 256])
    }

    func testTrain() throws {
        assertParses(
            ["train", "--arch", "mlp:64-16-10", "--epochs", "1", "--out", "t.safetensors"] + data, as: "TrainCommand",
            ["arch": "mlp:64-16-10"])
        assertRefuses(["train", "--arch", "rnn:1-2", "--out", "t.safetensors"] + data, ["unknown kind 'rnn'"])
        try assertJSON(
            ["train", "--arch", "mlp:64-16-10", "--epochs", "1", "--out", "t.safetensors"] + data,
            keys: ["file", "parameters", "train", "finalLoss"])
    }

    func testDemo() throws {
        assertParses(["demo"], as: "DemoCommand")
        assertRefuses(["demo", "--bogus"], ["--bogus"])
        let o = try assertJSON(["demo"], keys: ["models"])
        let rows = try XCTUnwrap(o["models"] as? [[String: Any]])
        XCTAssertEqual(rows.compactMap { $0["model"] as? String }, DemoModels.names.map { "demo:\($0)" } + ["demo:gpt2-tiny"])
        // The language model has no accuracy; its loss is per token, under a uniform guess's ln 2048.
        let text = try XCTUnwrap(rows.last)
        XCTAssertNil(text["testAccuracy"])
        XCTAssertEqual(text["parameters"] as? Int, 1_071_872)
        XCTAssertLessThan(try XCTUnwrap(text["testLoss"] as? Double), log(2048) - 2)
    }

    func testSAECommands() throws {
        assertParses(
            ["sae", "synth", "--samples", "300", "--dim", "8", "--features", "16", "--out", "s.npy"], as: "SAESynthCommand",
            ["samples": "300"])
        assertRefuses(["sae", "synth", "--samples", "0", "--out", "z.npy"], ["must be positive"])
        try assertJSON(
            ["sae", "synth", "--samples", "300", "--dim", "8", "--features", "16", "--out", "s.npy"],
            keys: ["files", "samples", "dimension", "features", "meanActive"])

        assertParses(
            ["sae", "train", "--acts", "s.npy", "-a", "mp", "--k", "4", "--out", "sae"], as: "SAETrainCommand",
            ["architecture": "matchingPursuit", "k": "4"])
        assertParses(
            ["sae", "train", "--acts", "s.npy", "-a", "gated", "--l1", "4", "--out", "sae"], as: "SAETrainCommand",
            ["architecture": "gated", "l1": "4.0"])
        assertRefuses(["sae", "train", "--acts", "s.npy", "-a", "gate", "--out", "sae"], ["'gate' is invalid for '-a <architecture>'"])
        let train = try assertJSON(
            ["sae", "train", "--acts", "s.npy", "--k", "4", "--d-sae", "32", "--steps", "20", "--out", "sae"],
            keys: ["directory", "training", "report", "figures", "caveats"])
        XCTAssertNotNil((train["figures"] as? [[String: Any]])?.first { $0["key"] as? String == "l0" })

        assertParses(["sae", "eval", "sae", "--acts", "s.npy"], as: "SAEEvalCommand", ["sae": "sae"])
        assertRefuses(["sae", "eval", "nowhere", "--acts", "s.npy"], ["nowhere", "not an SAE directory"])
        try assertJSON(["sae", "eval", "sae", "--acts", "s.npy"], keys: ["metrics", "figures", "caveats", "architecture"])

        assertParses(["sae", "encode", "sae", "--acts", "s.npy", "--out", "c.npy"], as: "SAEEncodeCommand", ["out": "c.npy"])
        assertRefuses(["sae", "encode", "sae", "--acts", "s.npy", "--out", "c.txt"], ["unknown format '.txt'"])
        try assertJSON(["sae", "encode", "sae", "--acts", "s.npy", "--out", "c.npy"], keys: ["file", "samples", "latents", "meanL0"])
    }

    /// Two SAEs of two seeds on the same activations: matched by decoder and by activation, or
    /// by decoder only; a threshold outside [-1, 1] is refused.
    func testSAEMatch() throws {
        try assertJSON(
            ["sae", "synth", "--samples", "800", "--dim", "8", "--features", "16", "--out", "s.npy"], keys: ["files"])
        for seed in ["1", "2"] {
            try assertJSON(
                ["sae", "train", "--acts", "s.npy", "--k", "2", "--d-sae", "16", "--steps", "80", "--batch", "256", "--seed", seed]
                    + ["--no-eval", "--out", "sae\(seed)"], keys: ["directory"])
        }
        assertParses(
            ["sae", "match", "sae1", "sae2", "--acts", "s.npy", "--threshold", "0.5", "--permutations", "9", "--decoder-only"],
            as: "SAEMatchCommand", ["saeA": "sae1", "threshold": "0.5", "permutations": "9", "decoderOnly": "true"])
        assertRefuses(["sae", "match", "sae1", "sae2", "--threshold", "2"], ["threshold", "[-1, 1]", "got 2"])
        assertRefuses(["sae", "match", "sae1", "sae2", "--permutations", "-3"], ["permutations", "-3"])
        let o = try assertJSON(
            ["sae", "match", "sae1", "sae2", "--acts", "s.npy", "--permutations", "4"],
            keys: ["saeA", "saeB", "latentsA", "latentsB", "threshold", "decoder", "activation", "samples", "agreement", "splits"]
                + ["figures", "caveats"])
        XCTAssertEqual(o["samples"] as? Int, 800)
        XCTAssertEqual(o["latentsA"] as? Int, 16)
        let decoder = try XCTUnwrap(o["decoder"] as? [String: Any])
        for key in ["criterion", "pairs", "sortedScores", "meanScore", "shareA", "shareB", "unmatchedA", "unmatchedB"] {
            XCTAssertNotNil(decoder[key], key)
        }
        XCTAssertEqual((decoder["pairs"] as? [Any])?.count, 16, "equal sizes: every latent of A has a decoder pair")
        let null = try XCTUnwrap((o["activation"] as? [String: Any])?["null"] as? [String: Any])
        XCTAssertEqual(null["permutations"] as? Int, 4)
        XCTAssertEqual(null["pValue"] as? Double, 0.2, "two seeds' codes agree far beyond shuffled samples")
        let figures = try XCTUnwrap(o["figures"] as? [[String: Any]])
        XCTAssertTrue(figures.contains { $0["section"] as? String == "activation" && $0["key"] as? String == "p_value" })
        let decoderOnly = try assertJSON(["sae", "match", "sae1", "sae2", "--decoder-only"], keys: ["decoder", "caveats"])
        XCTAssertNil(decoderOnly["activation"])
        XCTAssertEqual((decoderOnly["caveats"] as? [[String: Any]])?.compactMap { $0["key"] as? String }, ["match.no_activations"])
    }

    func testLRPAndPixelFlipping() throws {
        assertParses(
            ["lrp", "demo:cnn", "--index", "0,3", "--composite", "deep-taylor", "--out", "r.npy"] + data, as: "LRPExplainCommand",
            ["composite": "deep-taylor"])
        assertRefuses(["lrp", "demo:cnn", "--index", "0", "--composite", "nope", "--out", "r.npy"] + data, ["nope"])
        try assertJSON(["lrp", "demo:cnn", "--index", "0,3", "--out", "r.npy"] + data, keys: ["samples", "maxConservationError"])

        assertParses(["lrp", "flip", "demo:cnn", "--index", "0", "--steps", "4"] + data, as: "LRPFlipCommand", ["steps": "4"])
        assertRefuses(["lrp", "flip", "demo:cnn", "--index", "0", "--steps", "100000"] + data, ["at most 64 steps"])
        try assertJSON(["lrp", "flip", "demo:cnn", "--index", "0,1", "--steps", "4", "--random", "2"] + data, keys: ["result"])
    }

    func testModelRandomisation() throws {
        assertParses(
            ["lrp", "randomise", "demo:cnn", "--samples", "7", "--independent", "--composite", "epsilon"] + data,
            as: "LRPRandomiseCommand", ["samples": "7", "independent": "true", "composite": "epsilon"])
        assertRefuses(["lrp", "randomise", "demo:cnn", "--samples", "0"] + data, ["--samples", "positive"])
        assertRefuses(["lrp", "randomise", "demo:cnn", "--target", "11"] + data, ["--target 11", "0…9"])
        let object = try assertJSON(
            ["lrp", "randomise", "demo:cnn", "--samples", "6"] + data,
            keys: ["model", "data", "options", "samples", "stages", "figures", "caveats"])
        let stages = try XCTUnwrap(object["stages"] as? [[String: Any]])
        XCTAssertEqual(stages.count, 4)
        XCTAssertEqual(stages.map { $0["randomisedLayers"] as? [String] }, [[], ["fc1"], ["fc1", "conv2"], ["fc1", "conv2", "conv1"]])
        for key in ["meanSpearman", "spearmanStd", "meanAbsoluteSpearman", "absoluteSpearmanStd", "spearman", "absoluteSpearman"] {
            XCTAssertNotNil(stages[1][key], key)
        }
        XCTAssertEqual(stages[0]["meanSpearman"] as? Double, 1)
        XCTAssertEqual((stages[2]["spearman"] as? [Double])?.count, 6)
        XCTAssertEqual((object["samples"] as? [Int])?.count, 6)
        let figures = try XCTUnwrap(object["figures"] as? [[String: Any]])
        XCTAssertTrue(figures.contains { $0["section"] as? String == "spearman" && $0["key"] as? String == "stage_3" })
    }

    func testInterp() throws {
        assertParses(["interp", "demo:cnn", "--index", "2", "--out", "i.npy"] + data, as: "InterpCommand", ["index": "2"])
        assertRefuses(["interp", "demo:bilinear", "--index", "0", "--out", "i.npy"] + data, ["piecewise-linear"])
        try assertJSON(["interp", "demo:cnn", "--index", "2", "--out", "i.npy"] + data, keys: ["model", "interpretation", "maxResidual"])
    }

    func testBilinear() throws {
        assertParses(["bilinear", "demo:bilinear", "--top", "2"], as: "BilinearCommand", ["top": "2"])
        assertRefuses(["bilinear", "demo:mlp-1"], ["no bilinear layer"])
        try assertJSON(["bilinear", "demo:bilinear", "--top", "2"], keys: ["layer", "spectra"])
    }

    func testCKA() throws {
        assertParses(["cka", "demo:mlp-1", "demo:mlp-2", "--kernel", "rbf"] + data, as: "CKACommand", ["kernel": "rbf"])
        assertRefuses(["cka", "demo:mlp-1", "--kernel", "poly"] + data, ["'poly' is invalid for '--kernel <kernel>'"])
        try assertJSON(["cka", "demo:mlp-1", "demo:mlp-2", "--layers", "relu1"] + data, keys: ["values", "rowLayers", "figures", "caveats"])
        assertParses(
            ["cka", "demo:mlp-1", "--measure", "mutual-knn", "--neighbours", "5", "--permutations", "9"] + data, as: "CKACommand",
            ["measure": "mutualKNN", "neighbours": "5", "permutations": "9"])
        assertRefuses(["cka", "demo:mlp-1", "--permutations", "-1"] + data, ["permutations", "-1"])
        assertRefuses(["cka", "demo:mlp-1", "--measure", "mutual-knn", "--batch", "64"] + data, ["mutual k-NN", "minibatch"])
        let o = try assertJSON(
            ["cka", "demo:mlp-1", "demo:mlp-2", "--layers", "relu1", "--measure", "mutual-knn", "--permutations", "4"] + data,
            keys: ["values", "null", "neighbours"])
        let null = try XCTUnwrap((o["null"] as? [[[String: Any]]])?.first?.first)
        XCTAssertEqual(null["permutations"] as? Int, 4)
        XCTAssertEqual(null["pValue"] as? Double, 0.2, "trained twins share neighbours far beyond chance")
        // --out keeps the null beside the values.
        let out = directory.appendingPathComponent("knn.safetensors")
        _ = try assertJSON(
            ["cka", "demo:mlp-1", "demo:mlp-2", "--layers", "relu1,relu2", "--permutations", "4", "--out", out.path] + data, keys: ["null"])
        let tensors = try SafeTensors.read(out)
        XCTAssertEqual(tensors["p_value"]?.shape, [2, 2])
        XCTAssertEqual(tensors["p_value"]?.matrix(Double.self).storage, [0.2, 0.2, 0.2, 0.2])
        XCTAssertNotNil(tensors["cka"])
    }

    func testAlign() throws {
        let layers = ["--layer-a", "relu1", "--layer-b", "relu1"]
        assertParses(["align", "demo:mlp-1", "demo:mlp-2", "--method", "semi"] + layers + data, as: "AlignCommand", ["method": "semi"])
        assertRefuses(
            ["align", "demo:mlp-1", "demo:mlp-2", "--method", "best"] + layers + data, ["'best' is invalid for '--method <method>'"])
        try assertJSON(["align", "demo:mlp-1", "demo:mlp-2"] + layers + data, keys: ["method", "layerA", "layerB"])
        let o = try assertJSON(["align", "demo:mlp-1", "demo:mlp-2", "--permutations", "4"] + layers + data, keys: ["matching"])
        let null = try XCTUnwrap((o["matching"] as? [String: Any])?["null"] as? [String: Any])
        XCTAssertEqual(null["permutations"] as? Int, 4)
        XCTAssertEqual(null["pValue"] as? Double, 0.2)
        assertRefuses(["align", "demo:mlp-1", "demo:mlp-2", "--permutations", "100001"] + layers + data, ["permutations"])
    }

    func testRebasin() throws {
        assertParses(
            ["rebasin", "demo:mlp-1", "demo:mlp-2", "--method", "activation", "--out", "p.safetensors"] + data, as: "RebasinCommand",
            ["method": "activation"])
        assertRefuses(["rebasin", "demo:mlp-1", "demo:cnn", "--out", "p.safetensors"], ["architecture"])
        try assertJSON(
            ["rebasin", "demo:mlp-1", "demo:mlp-2", "--out", "p.safetensors"] + data, keys: ["groups", "figures", "caveats", "naive"])
    }

    func testReport() throws {
        try "title = \"t\"\ndata = \"builtin:digits:test\"\n[models]\nm = \"demo:mlp-1\"\n[[run]]\nmethod = \"summary\"\nmodel = \"m\"\n"
            .write(to: directory.appendingPathComponent("p.toml"), atomically: true, encoding: .utf8)
        assertParses(["report", "p.toml", "--out", "r", "--force"], as: "ReportCommand", ["out": "r"])
        assertRefuses(["report", "missing.toml"], ["missing.toml", "no such probe file"])
        let o = try assertJSON(["report", "p.toml", "--out", "r"], keys: ["report", "headline"])
        XCTAssertTrue((o["report"] as? String)?.hasSuffix("r/report.md") ?? false)
    }

    func testBench() throws {
        assertParses(["bench", "--quick", "--only", "linalg"], as: "BenchCommand")
        assertRefuses(["bench", "--only", "nothing"], ["nothing"])
        assertRefuses(["bench", "--peer-inputs", "no-such-folder"], ["no-such-folder", "no such folder"])
        assertRefuses(["bench", "--peer-inputs", ".", "--only", "linalg"], ["peer row", "linalg", "lrp-cnn"])
        assertRefuses(["bench", "--peer-inputs", ".", "--quick"], ["--peer-inputs", "--quick"])
        let o = try assertJSON(["bench", "--quick", "--only", "linalg"], keys: ["version", "results"])
        XCTAssertFalse((o["results"] as? [Any])?.isEmpty ?? true)
    }

    /// The workbench needs a terminal, so it has no --json: it parses, and refuses to start
    /// without a terminal.
    func testTUI() {
        assertParses(["tui", "demo:cnn", "--data", "builtin:digits"], as: "TUICommand", ["model": "demo:cnn"])
        assertParses([], as: "TUICommand")
        assertRefuses(["tui", "--session", "s", "demo:cnn"], ["--session restores its own models"])
        assertRefuses(["tui", "demo:cnn"], ["needs a terminal"])
    }
}
