import Foundation
import LinAlg
import TestSupport
import Tokenizers
import Transformers
import XCTest

/// `loupe train --arch gpt2:… --text …` as a user runs it: a checkpoint folder that
/// Transformer.load opens, and a held-out loss that the test computes again from the saved
/// model through the inference path; bad input is one line and exit status 1.
final class TextTrainTests: XCTestCase {
    let tokenizer = fixtures.appendingPathComponent("transformers/gpt2/tokenizer.json").path
    let corpus = fixtures.appendingPathComponent("tokenizers/corpus.txt")

    func testTrainsAGPT2AndReportsItsHeldOutLoss() throws {
        let dir = try temporaryDirectory(self)
        let lines = try String(contentsOf: corpus, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).prefix(200)
        try lines.joined(separator: "\n").write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let r = try LoupeProcess.run(
            [
                "train", "--arch", "gpt2:l1-d16-h2-c16", "--text", "c.txt", "--tokenizer", tokenizer, "--steps", "30", "--batch", "4",
                "--lr", "0.01", "--holdout-every", "10", "--out", "m", "--json"
            ], in: dir, timeout: 300)
        XCTAssertEqual(r.status, 0, r.stderr)
        let output = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], r.stdout)
        let reported = try XCTUnwrap(output["heldOutLoss"] as? Double)
        XCTAssertEqual(output["steps"] as? Int, 30)
        // The saved checkpoint through the inference path, on the held-out lines (every 10th,
        // joined by <|endoftext|>) in consecutive windows of 17 tokens.
        let model = try Transformer.load(dir.appendingPathComponent("m"))
        XCTAssertEqual(model.config.layers, 1)
        XCTAssertEqual(model.config.dModel, 16)
        let tok = try XCTUnwrap(model.tokenizer)
        let eot = try XCTUnwrap(tok.id("<|endoftext|>"))
        var stream: [Int] = []
        for (n, line) in lines.enumerated() where n % 10 == 9 && !line.allSatisfy(\.isWhitespace) {
            if !stream.isEmpty { stream.append(eot) }
            stream += try tok.encode(String(line), addSpecialTokens: false)
        }
        var total = 0.0, count = 0
        for start in stride(from: 0, to: stream.count - 1, by: 16) {
            let window = Array(stream[start..<min(start + 17, stream.count)])
            let logits = try XCTUnwrap(try model.run(Array(window.dropLast()), keeping: ["logits"]).hooks["logits"])
            for (row, target) in window.dropFirst().enumerated() {
                total += tokenLoss(logits.row(row), target: target)
                count += 1
            }
        }
        XCTAssertEqual(reported, total / Double(count), accuracy: 1e-4)
        XCTAssertLessThan(reported, log(Double(tok.vocabularySize)) - 1, "30 steps learn something of the text")
        // The folder is not replaced without --force.
        try LoupeProcess.refuses(
            ["train", "--arch", "gpt2:l1-d16-h2-c16", "--text", "c.txt", "--tokenizer", tokenizer, "--steps", "1", "--out", "m"], in: dir,
            ["already holds", "--force"])
    }

    func testBadInputIsOneLine() throws {
        let dir = try temporaryDirectory(self)
        try "one line of text\nanother line\n".write(to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        try Data([0xFF, 0xFE, 0x00, 0x80]).write(to: dir.appendingPathComponent("binary.txt"))
        try Data([1, 2, 3]).write(to: dir.appendingPathComponent("x.npy"))
        let base = ["train", "--tokenizer", tokenizer, "--steps", "1", "--out", "m"]
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d16-h2-c16", "--text", "x.npy"], in: dir, ["must be a .txt file"])
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d16-h2-c16", "--text", "binary.txt"], in: dir, ["not UTF-8"])
        try LoupeProcess.refuses(base + ["--arch", "mlp:64-10", "--text", "t.txt"], in: dir, ["--arch must be gpt2:"])
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d16-h2-c16"], in: dir, ["--text"])
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d15-h2-c16", "--text", "t.txt"], in: dir, ["does not split into 2 heads"])
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d16-c16", "--text", "t.txt"], in: dir, ["e.g. gpt2:l4-d128-h4-c128"])
        try LoupeProcess.refuses(
            ["train", "--arch", "gpt2:l1-d16-h2-c16", "--text", "t.txt", "--tokenizer", "missing.json", "--out", "m"], in: dir,
            ["missing.json"])
        try LoupeProcess.refuses(
            ["train", "--arch", "gpt2:l1-d16-h2-c16", "--text", "t.txt", "--out", "m"], in: dir, ["--text needs --tokenizer"])
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d16-h2-c64", "--text", "t.txt"], in: dir, ["fewer than one context"])
        try LoupeProcess.refuses(base + ["--arch", "gpt2:l1-d16-h2-c16", "--text", "t.txt", "--optimizer", "sgd"], in: dir, ["AdamW"])
        try LoupeProcess.refuses(
            base + ["--arch", "gpt2:l1-d16-h2-c16", "--text", "t.txt", "--epochs", "3"], in: dir, ["trains for --steps"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("m").path), "a refused run writes nothing")
    }
}
