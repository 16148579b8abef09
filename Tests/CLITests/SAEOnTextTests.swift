import Foundation
import TensorIO
import TestSupport
import XCTest

/// `loupe sae train CHECKPOINT --text FILE --layer HOOK` as a user runs it: the report has what
/// splicing the SAE into the language model does.
final class SAEOnTextTests: XCTestCase {
    func testTrainingOnTheTextDemoReportsTheLanguageModelEffect() throws {
        let dir = try temporaryDirectory(self)
        let corpus = try String(contentsOf: fixtures.appendingPathComponent("tokenizers/corpus.txt"), encoding: .utf8)
        try corpus.split(separator: "\n").prefix(200).joined(separator: "\n").write(
            to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let r = try LoupeProcess.run(
            [
                "sae", "train", "demo:gpt2-tiny", "--text", "c.txt", "--layer", "blocks.1.hook_resid_post", "--max-tokens", "1500",
                "-a", "topk", "--k", "16", "--d-sae", "256", "--steps", "300", "--batch", "512", "--out", "sae", "--json"
            ], in: dir, timeout: 600)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let metrics = try XCTUnwrap((json["report"] as? [String: Any])?["metrics"] as? [String: Any])
        let lm = try XCTUnwrap(metrics["languageModel"] as? [String: Any], "\(metrics.keys)")
        let value = { (key: String) in lm[key] as? Double ?? .nan }
        XCTAssertEqual(lm["hook"] as? String, "blocks.1.hook_resid_post")
        XCTAssertGreaterThan(value("lossRecovered"), 0)
        XCTAssertLessThan(value("lossRecovered"), 1)
        // Better than replacing the stream by its mean; with the error term kept, the clean model.
        XCTAssertLessThan(value("splicedLoss"), value("meanAblatedLoss"))
        XCTAssertEqual(value("errorKeptLoss"), value("cleanLoss"), accuracy: 1e-5)
        XCTAssertGreaterThan(value("splicedKL"), 0)

        // Steering with the trained SAE: by zero nothing changes; ablating a latent that fires does.
        let steer = ["sae", "steer", "sae", "demo:gpt2-tiny", "--prompt", "The hacker wrote a", "--layer", "blocks.1.hook_resid_post"]
        let still = try LoupeProcess.run(steer + ["--latent", "0", "--alpha", "0", "--json"], in: dir, timeout: 120)
        XCTAssertEqual(still.status, 0, still.stderr)
        let unchanged = try JSONSerialization.jsonObject(with: Data(still.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(unchanged["kl"] as? Double ?? .nan, 0, accuracy: 1e-9)
        let shown = try LoupeProcess.run(steer + ["--latent", "0", "--alpha", "5"], in: dir, timeout: 120)
        XCTAssertEqual(shown.status, 0, shown.stderr)
        XCTAssertTrue(shown.stdout.contains("5 × latent 0's direction added"), shown.stdout)
        XCTAssertTrue(shown.stdout.contains("KL(before ‖ after) = "), shown.stdout)
        try LoupeProcess.refuses(steer + ["--latent", "0"], in: dir, ["--alpha A (steer) or --ablate"])
        try LoupeProcess.refuses(steer + ["--latent", "0", "--alpha", "1", "--ablate"], in: dir, ["--alpha A (steer) or --ablate"])
        try LoupeProcess.refuses(steer + ["--latent", "9999", "--ablate"], in: dir, ["latent 9999 is not one of the SAE's 256"])

        // Dashboards of two latents: the top excerpts strongest first, each centred on its peak.
        let dashboard = try LoupeProcess.run(
            [
                "sae", "dashboard", "sae", "demo:gpt2-tiny", "--text", "c.txt", "--layer", "blocks.1.hook_resid_post", "--max-tokens",
                "800",
                "--latent", "0,5", "--json"
            ], in: dir, timeout: 120)
        XCTAssertEqual(dashboard.status, 0, dashboard.stderr)
        let boards = try XCTUnwrap(
            (try JSONSerialization.jsonObject(with: Data(dashboard.stdout.utf8)) as? [String: Any])?["dashboards"] as? [[String: Any]])
        XCTAssertEqual(boards.compactMap { $0["latent"] as? Int }, [0, 5])
        for board in boards {
            let top = try XCTUnwrap((board["bands"] as? [[String: Any]])?.first?["excerpts"] as? [[String: Any]])
            let peaks = top.compactMap { $0["value"] as? Double }
            XCTAssertEqual(peaks, peaks.sorted(by: >))
            for e in top {
                let (values, start, position) = (e["values"] as! [Double], e["start"] as! Int, e["position"] as! Int)
                XCTAssertEqual(values[position - start], e["value"] as! Double)
                XCTAssertEqual(values.max(), e["value"] as? Double)
            }
        }
        try LoupeProcess.refuses(["sae", "dashboard", "sae", "--acts", "x.npy", "--latent", "0"], in: dir, ["x.npy"])
    }

    /// `--cache DIR`: the first run writes the activations, the next reads them (and, seeded,
    /// trains the same SAE); a cache of one hook point is refused for another.
    func testACacheIsWrittenOnceAndReused() throws {
        let dir = try temporaryDirectory(self)
        let corpus = try String(contentsOf: fixtures.appendingPathComponent("tokenizers/corpus.txt"), encoding: .utf8)
        try corpus.split(separator: "\n").prefix(60).joined(separator: "\n").write(
            to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let train = [
            "sae", "train", "demo:gpt2-tiny", "--text", "c.txt", "--layer", "blocks.1.hook_resid_post", "-a", "topk", "--k", "8",
            "--d-sae", "128", "--steps", "20", "--batch", "256", "--no-eval"
        ]
        let first = try LoupeProcess.run(train + ["--cache", "acts", "--out", "a"], in: dir, timeout: 300)
        XCTAssertEqual(first.status, 0, first.stderr)
        XCTAssertFalse(first.stdout.contains("reusing"), first.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("acts/cache.json").path))
        let second = try LoupeProcess.run(train + ["--cache", "acts", "--out", "b"], in: dir, timeout: 300)
        XCTAssertEqual(second.status, 0, second.stderr)
        XCTAssertTrue(second.stdout.contains("reusing acts:"), second.stdout)
        let weights = { (sae: String) in try Data(contentsOf: dir.appendingPathComponent("\(sae)/sae_weights.safetensors")) }
        XCTAssertEqual(try weights("a"), try weights("b"))

        var other = train
        other[other.firstIndex(of: "blocks.1.hook_resid_post")!] = "blocks.2.hook_resid_post"
        try LoupeProcess.refuses(other + ["--cache", "acts", "--out", "c"], in: dir, ["a cache of another hook point"])
        try LoupeProcess.refuses(train + ["--cache", "d", "--out", "d"], in: dir, ["--cache d is the SAE's --out folder"])
        let text = try Data(contentsOf: dir.appendingPathComponent("c.txt"))
        try LoupeProcess.refuses(train + ["--cache", "c.txt", "--out", "g"], in: dir, ["c.txt is a file; give a folder"])
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("c.txt")), text)
        try LoupeProcess.refuses(
            Array(train.prefix(while: { $0 != "--steps" })) + ["--epochs", "1", "--out", "e"], in: dir,
            ["--epochs: a text is read as training goes"])
        try LoupeProcess.refuses(
            ["sae", "train", "--acts", "x.npy", "--buffer", "4", "--out", "f"], in: dir, ["--buffer and --cache apply"])
    }

    /// Special tokens that wrap a context are no samples; --exclude-special also leaves out those
    /// inside the text (demo:gpt2-tiny's tokenizer adds none; its BOS is <|endoftext|>, id 0).
    func testSpecialTokensAreNoSamples() throws {
        let dir = try temporaryDirectory(self)
        try "The hacker wrote<|endoftext|>a program.\nThe kludge<|endoftext|>worked.".write(
            to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let trained = try LoupeProcess.run(
            [
                "sae", "train", "demo:gpt2-tiny", "--text", "c.txt", "--layer", "blocks.0.hook_resid_post", "-a", "topk", "--k", "4",
                "--d-sae", "64", "--steps", "5", "--batch", "8", "--no-eval", "--out", "sae"
            ], in: dir, timeout: 300)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        func samples(_ extra: [String]) throws -> Int {
            let r = try LoupeProcess.run(
                ["sae", "eval", "sae", "demo:gpt2-tiny", "--text", "c.txt", "--json"] + extra, in: dir, timeout: 300)
            XCTAssertEqual(r.status, 0, r.stderr)
            let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
            return try XCTUnwrap((json["metrics"] as? [String: Any])?["samples"] as? Int, r.stdout)
        }
        let forward = try LoupeProcess.run(
            ["forward", "demo:gpt2-tiny", "--text", "c.txt", "--layer", "hook_embed", "--out", "t.npy"], in: dir)
        XCTAssertEqual(forward.status, 0, forward.stderr)
        let tokens = try NPYFile(dir.appendingPathComponent("t.npy")).rowCount
        XCTAssertEqual(try samples([]), tokens)
        XCTAssertEqual(try samples(["--exclude-special"]), tokens - 2)
        // A BOS per line is added and left out, and with it the <|endoftext|> that is the same token.
        XCTAssertEqual(try samples(["--prepend-bos"]), tokens - 2)
    }
}
