import Foundation
import Networks
import TensorIO
import TestSupport
import XCTest

/// What once destroyed users' files, run as a user runs it: each file survives, and the
/// refusal names the path.
final class DataLossTests: XCTestCase {
    /// A copy of demo:mlp-1 as the user's own model file.
    func userModel(in dir: URL) throws -> URL {
        _ = try DemoModels.load("mlp-1")
        let url = dir.appendingPathComponent("m.safetensors")
        try FileManager.default.copyItem(at: Models.file(of: "demo:mlp-1"), to: url)
        return url
    }

    func testAReportNeverDeletesAFolderOrAFile() throws {
        let dir = try temporaryDirectory(self)
        let probe = dir.appendingPathComponent("p.toml")
        try "title = \"t\"\ndata = \"builtin:digits:test\"\n[models]\nm = \"demo:mlp-1\"\n[[run]]\nmethod = \"summary\"\nmodel = \"m\"\n"
            .write(to: probe, atomically: true, encoding: .utf8)
        let model = try userModel(in: dir)
        let before = try Data(contentsOf: model)
        // --out . : the probe's own folder.
        try LoupeProcess.refuses(["report", "p.toml", "--out", "."], in: dir, [dir.path, "p.toml"])
        try LoupeProcess.refuses(["report", "p.toml", "--out", ".", "--force"], in: dir, [dir.path])
        // A folder of the user's.
        let notes = dir.appendingPathComponent("notes")
        try FileManager.default.createDirectory(at: notes, withIntermediateDirectories: false)
        try Data("mine".utf8).write(to: notes.appendingPathComponent("a.txt"))
        try LoupeProcess.refuses(
            ["report", "p.toml", "--out", "notes", "--force"], in: dir, [notes.path, "not an earlier Loupe report", "a.txt"])
        // A file.
        try Data("text".utf8).write(to: dir.appendingPathComponent("notes.txt"))
        try LoupeProcess.refuses(["report", "p.toml", "--out", "notes.txt"], in: dir, ["notes.txt", "is a file"])
        XCTAssertEqual(try Data(contentsOf: model), before)
        XCTAssertEqual(try String(contentsOf: notes.appendingPathComponent("a.txt"), encoding: .utf8), "mine")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("notes.txt"), encoding: .utf8), "text")
        XCTAssertTrue(FileManager.default.fileExists(atPath: probe.path))
        // An earlier report: replaced with --force only.
        XCTAssertEqual(try LoupeProcess.run(["report", "p.toml", "--out", "r"], in: dir).status, 0)
        try LoupeProcess.refuses(["report", "p.toml", "--out", "r"], in: dir, ["holds an earlier report", "--force"])
        XCTAssertEqual(try LoupeProcess.run(["report", "p.toml", "--out", "r", "--force"], in: dir).status, 0)
    }

    /// The same file as input and output once was overwritten with exit 0.
    func testAnOutputIsNeverAnInput() throws {
        let dir = try temporaryDirectory(self)
        let model = try userModel(in: dir)
        let before = try Data(contentsOf: model)
        try FileManager.default.createSymbolicLink(at: dir.appendingPathComponent("link.safetensors"), withDestinationURL: model)
        let data = ["--data", "builtin:digits:test"]
        for out in ["m.safetensors", "link.safetensors", "./m.safetensors"] {
            try LoupeProcess.refuses(
                ["forward", "m.safetensors"] + data + ["--layer", "relu1", "--out", out, "--force"], in: dir,
                [out, "would overwrite the model"])
        }
        try LoupeProcess.refuses(
            ["lrp", "m.safetensors"] + data + ["--index", "0", "--out", "m.safetensors", "--force"], in: dir,
            ["would overwrite the model"])
        try LoupeProcess.refuses(
            ["rebasin", "m.safetensors", "demo:mlp-2", "--out", "m.safetensors", "--force"], in: dir,
            ["would overwrite the model"])
        try LoupeProcess.refuses(
            ["rebasin", "demo:mlp-2", "m.safetensors", "--out", "p.safetensors", "--merge", "m.safetensors", "--force"],
            in: dir, ["--merge", "would overwrite the model"])
        try LoupeProcess.refuses(
            ["rebasin", "demo:mlp-1", "demo:mlp-2", "--out", "p.safetensors", "--merge", "p.safetensors"], in: dir,
            ["--out and --merge name the same file"])
        XCTAssertEqual(try Data(contentsOf: model), before)

        // Activations: cka --acts X Y --out X.
        XCTAssertEqual(
            try LoupeProcess.run(["forward", "m.safetensors"] + data + ["--layer", "relu1", "--out", "a.npy"], in: dir).status, 0)
        let acts = try Data(contentsOf: dir.appendingPathComponent("a.npy"))
        try LoupeProcess.refuses(
            ["cka", "--acts", "a.npy", "a.npy", "--out", "a.npy", "--force"], in: dir, ["would overwrite the activations"])
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("a.npy")), acts)
        // An existing output needs --force.
        try LoupeProcess.refuses(
            ["forward", "m.safetensors"] + data + ["--layer", "relu1", "--out", "a.npy"], in: dir, ["a.npy", "already exists", "--force"])

        // An SAE's own weights.
        let train = try LoupeProcess.run(
            ["sae", "train", "--acts", "a.npy", "--k", "4", "--d-sae", "32", "--steps", "20", "--no-eval", "--out", "sae"], in: dir)
        XCTAssertEqual(train.status, 0, train.stderr)
        let weights = try Data(contentsOf: dir.appendingPathComponent("sae/sae_weights.safetensors"))
        try LoupeProcess.refuses(
            ["sae", "encode", "sae", "--acts", "a.npy", "--out", "sae/sae_weights.safetensors", "--force"], in: dir,
            ["would overwrite the SAE"])
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("sae/sae_weights.safetensors")), weights)
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "a.npy", "--k", "4", "--steps", "5", "--out", "sae"], in: dir, ["already holds", "--force"])
        // sae train --out FILE once printed NSCocoaErrorDomain Code=516.
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "a.npy", "--k", "4", "--steps", "5", "--out", "a.npy"], in: dir,
            ["a.npy", "existing file", "must be a directory"])
        // A missing folder is not created behind the user's back.
        try LoupeProcess.refuses(
            ["forward", "m.safetensors"] + data + ["--layer", "relu1", "--out", "no/such/a.npy"], in: dir,
            ["no directory", "create it first"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path))
    }

    /// sae match --out naming a file of either SAE is refused, and the SAE is unchanged; two SAEs
    /// that decode into spaces of different widths are refused in one line.
    func testSAEMatchNeverOverwritesAnSAE() throws {
        let dir = try temporaryDirectory(self)
        for (name, dim) in [("a", "8"), ("b", "8"), ("c", "6")] {
            let synth = try LoupeProcess.run(
                ["sae", "synth", "--samples", "300", "--dim", dim, "--features", "12", "--out", "\(name).npy"], in: dir)
            XCTAssertEqual(synth.status, 0, synth.stderr)
            let train = try LoupeProcess.run(
                ["sae", "train", "--acts", "\(name).npy", "--k", "2", "--d-sae", "12", "--steps", "10", "--no-eval", "--out", name], in: dir
            )
            XCTAssertEqual(train.status, 0, train.stderr)
        }
        let weights = try Data(contentsOf: dir.appendingPathComponent("b/sae_weights.safetensors"))
        let config = try Data(contentsOf: dir.appendingPathComponent("a/cfg.json"))
        for out in ["b/sae_weights.safetensors", "./b/sae_weights.safetensors"] {
            try LoupeProcess.refuses(
                ["sae", "match", "a", "b", "--decoder-only", "--out", out, "--force"], in: dir, [out, "would overwrite the SAE b"])
        }
        try LoupeProcess.refuses(
            ["sae", "match", "a", "b", "--acts", "a.npy", "--out", "a.npy", "--force"], in: dir, ["would overwrite the activations"])
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("b/sae_weights.safetensors")), weights)
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("a/cfg.json")), config)
        try LoupeProcess.refuses(
            ["sae", "match", "a", "c", "--decoder-only"], in: dir, ["a decodes into 8 dimensions and c into 6", "one space"])
        XCTAssertEqual(try LoupeProcess.run(["sae", "match", "a", "b", "--decoder-only", "--out", "pairs.csv"], in: dir).status, 0)
    }

    /// Killing `loupe report` once left a hidden .NAME.partial-PID folder behind.
    func testAnInterruptedReportLeavesNothing() throws {
        let dir = try temporaryDirectory(self)
        // Long enough to be caught running: an SAE trained for many steps.
        try """
        title = "long"
        data = "builtin:digits:train"
        [models]
        m = "demo:mlp-1"
        [[run]]
        method = "summary"
        model = "m"
        [[run]]
        method = "sae"
        model = "m"
        layer = "relu1"
        steps = 1000000
        """.write(to: dir.appendingPathComponent("long.toml"), atomically: true, encoding: .utf8)
        _ = try DemoModels.load("mlp-1")
        for signal in [SIGINT, SIGTERM] {
            let process = Process()
            process.executableURL = LoupeProcess.executable
            process.arguments = ["report", "long.toml", "--out", "r"]
            process.currentDirectoryURL = dir
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait for the staging folder (the first run's section is written into it).
            let deadline = Date().addingTimeInterval(60)
            func partial() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasPrefix(".r.partial-") }
            }
            while partial().isEmpty, process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
            XCTAssertFalse(partial().isEmpty, "the report is being staged")
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "dies of the signal, as a shell expects")
            XCTAssertEqual(process.terminationStatus, signal)
            XCTAssertEqual(partial(), [], "signal \(signal): the staging folder is removed")
            XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("r").path))
        }
    }
}
