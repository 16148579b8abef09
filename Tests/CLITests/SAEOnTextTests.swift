import Foundation
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
                "-a", "topk", "--k", "16", "--d-sae", "256", "--steps", "300", "--out", "sae", "--json"
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
}
