import Foundation
import Networks
import TensorIO
import TestSupport
import XCTest

/// Every input that once crashed Loupe (exit 132/134), hung it, or gave a silently wrong or
/// unreadable answer, run through the command line: exit status 1 and one line naming what is
/// wrong. The time each took is printed at the end; all are refused long before any work.
final class RefusalTests: XCTestCase {
    override class func tearDown() {
        let slowest = LoupeProcess.timings.max { $0.1 < $1.1 }
        print("refusals: \(LoupeProcess.timings.count), slowest \(slowest.map { String(format: "%.2f s (%@)", $0.1, $0.0) } ?? "-")")
        super.tearDown()
    }

    /// An architecture JSON with a conv layer, for `--arch`.
    func writeConvModel(
        in dir: URL, padding: String = "1", shape: String = "[1, 8, 8]", classes: String? = nil,
        layers: String? = nil, weight: Float = 0.1
    ) throws {
        let classList = classes.map { ", \"classes\": \($0)" } ?? ""
        let layerList =
            layers ?? """
                [{"name": "c1", "kind": "conv2d", "weight": "c1.weight", "bias": "c1.bias", "padding": \(padding)},
                 {"name": "f", "kind": "flatten"}, {"name": "fc", "kind": "linear", "weight": "fc.weight"}]
                """
        try """
        {"format": "loupe.arch/1", "name": "t", "input": {"shape": \(shape)}\(classList), "layers": \(layerList)}
        """.write(to: dir.appendingPathComponent("arch.json"), atomically: true, encoding: .utf8)
        let tensors = [
            "c1.weight": Tensor([Float](repeating: weight, count: 18), shape: [2, 1, 3, 3]),
            "c1.bias": Tensor([Float](repeating: 0, count: 2), shape: [2]),
            "fc.weight": Tensor([Float](repeating: 0.01, count: 10 * 128), shape: [10, 128])
        ]
        try SafeTensors.write(SafeTensorsFile(tensors: tensors), to: dir.appendingPathComponent("m.safetensors"))
    }

    func testArchitecturesThatOnceCrashed() throws {
        let dir = try temporaryDirectory(self)
        for padding in ["10000", "1000000", "1000000000000"] {
            try writeConvModel(in: dir, padding: padding)
            try LoupeProcess.refuses(
                ["inspect", "m.safetensors", "--arch", "arch.json"], in: dir,
                ["layer 'c1' (conv2d)", "padding \(padding)×\(padding) must be smaller than the 3×3 kernel"])
        }
        try writeConvModel(in: dir, shape: "[1, 100000, 100000]")
        try LoupeProcess.refuses(
            ["inspect", "m.safetensors", "--arch", "arch.json", "--max-memory", "8G"], in: dir,
            ["one input sample of shape [1, 100000, 100000] needs 40.0 GB", "memory budget"])
        // Fewer class names than outputs: interp once died with SIGILL, inspect said "1 outputs".
        try writeConvModel(in: dir, classes: "[\"zero\"]")
        for command in [
            ["inspect"], ["interp", "--index", "0", "--out", "i.npy"], ["lrp", "--index", "0", "--target", "5", "--out", "l.npy"]
        ] {
            let extra = command.count > 1 ? Array(command.dropFirst()) + ["--data", "builtin:digits:test"] : []
            try LoupeProcess.refuses(
                [command[0], "m.safetensors", "--arch", "arch.json"] + extra, in: dir,
                ["\"classes\" names 1 classes but the network has 10 outputs"])
        }
        try writeConvModel(in: dir, layers: "[]")
        try LoupeProcess.refuses(["inspect", "m.safetensors", "--arch", "arch.json"], in: dir, ["\"layers\" is empty"])
        try writeConvModel(in: dir, weight: 1e38)
        try LoupeProcess.refuses(
            ["inspect", "m.safetensors", "--arch", "arch.json"], in: dir,
            ["layer 'c1' computes infinity or NaN", "overflow Float32"])
    }

    func testSizesThatOnceAbortedAllocating() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertEqual(
            try LoupeProcess.run(["sae", "synth", "--samples", "200", "--dim", "16", "--features", "32", "--out", "s.npy"], in: dir).status,
            0)
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "s.npy", "--d-sae", "100000000000", "--out", "sae"], in: dir,
            ["d_sae 100000000000", "memory budget"])
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "s.npy", "--expansion", "1e9", "--out", "sae"], in: dir,
            ["expansion factor", "does not give a usable d_sae"])
        try LoupeProcess.refuses(
            ["train", "--arch", "mlp:64-1000000000-10", "--data", "builtin:digits", "--out", "t.safetensors"], in: dir,
            ["training a [1000000000, 64] 'weight'", "memory budget"])
        try LoupeProcess.refuses(["sae", "synth", "--samples", "100000000000", "--out", "big.npy"], in: dir, ["memory budget"])
        try LoupeProcess.refuses(["inspect", "demo:mlp-1", "--max-memory", "lots"], in: dir, ["--max-memory lots", "8G"])
        // A folder that cannot be written in is refused before the training, not after it.
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "s.npy", "--steps", "100000", "--out", "/proc/sae"], in: dir, ["cannot write in /proc"])
    }

    /// A consistent but enormous file (1 TiB, sparse on disk) once was read into memory.
    func testEnormousFiles() throws {
        let dir = try temporaryDirectory(self)
        let rows = 1 << 22, cols = 64
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        npy.append(contentsOf: [UInt8(dict.utf8.count & 0xff), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8))
        let url = dir.appendingPathComponent("big.npy")
        _ = FileManager.default.createFile(atPath: url.path, contents: npy)
        let handle = try FileHandle(forWritingTo: url)
        try handle.truncate(atOffset: UInt64(npy.count) + UInt64(rows * cols * 4))
        try handle.close()
        try LoupeProcess.refuses(
            ["inspect", "demo:mlp-1", "--data", "big.npy", "--max-memory", "64M"], in: dir,
            ["big.npy", "'x' [4194304, 64] as Float32 needs 1.1 GB", "memory budget"])
    }

    func testFilesThatAreNotFiles() throws {
        let dir = try temporaryDirectory(self)
        for name in ["x.npz", "x.npy", "x.csv", "x.safetensors"] {
            try FileManager.default.createDirectory(at: dir.appendingPathComponent(name), withIntermediateDirectories: false)
        }
        // A folder named x.npz once made inspect, forward, lrp and cka --acts spin forever.
        try LoupeProcess.refuses(["inspect", "demo:mlp-1", "--data", "x.npz"], in: dir, ["x.npz", "is a directory"])
        try LoupeProcess.refuses(["forward", "demo:mlp-1", "--data", "x.npz", "--out", "o.npy"], in: dir, ["x.npz", "is a directory"])
        try LoupeProcess.refuses(
            ["lrp", "demo:mlp-1", "--data", "x.npz", "--index", "0", "--out", "o.npy"], in: dir, ["x.npz", "is a directory"])
        try LoupeProcess.refuses(["cka", "--acts", "x.npz", "x.npz"], in: dir, ["x.npz", "is a directory"])
        // A .csv that is a folder once said "error 256"; /dev/null "You don't have permission".
        try LoupeProcess.refuses(["inspect", "demo:mlp-1", "--data", "x.csv"], in: dir, ["x.csv", "is a directory"])
        try LoupeProcess.refuses(["cka", "--acts", "/dev/null", "/dev/null"], in: dir, ["/dev/null"])
        try LoupeProcess.refuses(["inspect", "demo:mlp-1", "--data", "/dev/null"], in: dir, ["/dev/null"])
        // A label beyond Int once trapped.
        try "a,label\n1,99999999999999999999\n".write(to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        try LoupeProcess.refuses(
            ["inspect", "demo:mlp-1", "--data", "d.csv", "--label-column", "label"], in: dir,
            ["column 'label' must hold class labels"])
    }

    func testSAEConfigs() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertEqual(
            try LoupeProcess.run(["sae", "synth", "--samples", "200", "--dim", "16", "--features", "32", "--out", "s.npy"], in: dir).status,
            0)
        let train = try LoupeProcess.run(
            [
                "sae", "train", "--acts", "s.npy", "-a", "topk", "--k", "4", "--d-sae", "32", "--steps", "20",
                "--no-eval", "--out", "sae"
            ], in: dir)
        XCTAssertEqual(train.status, 0, train.stderr)
        let cfgURL = dir.appendingPathComponent("sae/cfg.json")
        let original = try JSONSerialization.jsonObject(with: Data(contentsOf: cfgURL)) as! [String: Any]
        func rewrite(_ change: (inout [String: Any]) -> Void) throws {
            var cfg = original
            change(&cfg)
            try JSONSerialization.data(withJSONObject: cfg).write(to: cfgURL)
        }
        // "loupe": 5 once was a JSONSerialization trap.
        try rewrite { $0["loupe"] = 5 }
        try LoupeProcess.refuses(["sae", "eval", "sae", "--acts", "s.npy"], in: dir, ["cfg.json", "'loupe' must be an object"])
        // A top-k SAE without its architecture once was evaluated as standard (L0 31 instead of 8).
        try rewrite { $0.removeValue(forKey: "architecture") }
        try LoupeProcess.refuses(["sae", "eval", "sae", "--acts", "s.npy"], in: dir, ["no 'architecture'", "the file has k"])
        try rewrite { $0["architecture"] = NSNull() }
        try LoupeProcess.refuses(["sae", "eval", "sae", "--acts", "s.npy"], in: dir, ["'architecture' must be a string", "null"])
        try rewrite { $0["architecture"] = [Any]() }
        try LoupeProcess.refuses(["sae", "eval", "sae", "--acts", "s.npy"], in: dir, ["'architecture' must be a string", "an array"])
    }

    /// Negative values after a space once said "Missing value for '--k <k>'".
    func testNegativeValuesReachTheirChecks() throws {
        let dir = try temporaryDirectory(self)
        XCTAssertEqual(
            try LoupeProcess.run(["sae", "synth", "--samples", "100", "--dim", "8", "--features", "16", "--out", "s.npy"], in: dir).status,
            0)
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "s.npy", "--k", "-1", "--out", "sae"], in: dir, ["k must be between 1 and d_sae"])
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "s.npy", "--steps", "-1", "--out", "sae"], in: dir, ["--steps must be positive"])
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "s.npy", "--expansion", "-.5", "--out", "sae"], in: dir, ["--expansion must be positive"])
        try LoupeProcess.refuses(
            ["cka", "demo:mlp-1", "--data", "builtin:digits:test", "--kernel", "rbf", "--threshold", "-1"], in: dir, ["threshold"])
        try LoupeProcess.refuses(
            ["lrp", "demo:mlp-1", "--data", "builtin:digits:test", "--index", "0", "--target", "-1", "--out", "l.npy"],
            in: dir, ["-1"])
        XCTAssertEqual(
            try LoupeProcess.run(["sae", "synth", "--samples", "100", "--dim", "8", "--features", "16", "--out", "s.npy"], in: dir).status,
            1, "an existing output is not replaced without --force")
    }

    /// A probe naming 5 000 samples once ran for minutes.
    func testProbeLimits() throws {
        let dir = try temporaryDirectory(self)
        let samples = "[" + (0..<5000).map(String.init).joined(separator: ", ") + "]"
        try """
        title = "t"
        data = "builtin:digits:test"
        [models]
        m = "demo:cnn"
        [[run]]
        method = "lrp"
        model = "m"
        samples = \(samples)
        """.write(to: dir.appendingPathComponent("p.toml"), atomically: true, encoding: .utf8)
        try LoupeProcess.refuses(["report", "p.toml"], in: dir, ["p.toml", "samples names 5000 samples", "at most 64"])
        XCTAssertFalse(
            FileManager.default.fileExists(atPath: dir.appendingPathComponent("reports").path), "a refused probe makes no folder")
    }
}
