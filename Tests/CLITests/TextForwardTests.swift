import Foundation
import LinAlg
import TensorIO
import TestSupport
import Tokenizers
import Transformers
import XCTest

/// `loupe forward CHECKPOINT --text FILE` as a user runs it: one row per token, streamed to a
/// .npy with the document, context, position and token of each row beside it, in bounded memory.
final class TextForwardTests: XCTestCase {
    let gpt2 = fixtures.appendingPathComponent("transformers/gpt2").path
    let llama = fixtures.appendingPathComponent("transformers/llama").path
    let corpus = try! String(contentsOf: fixtures.appendingPathComponent("tokenizers/corpus.txt"), encoding: .utf8)
        .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

    /// Rows, records and values against the model run on each context through the library, with
    /// contexts short enough that long lines continue in the next one.
    func testRowsAreTokensAndTraceBackToTheText() throws {
        let dir = try temporaryDirectory(self)
        let lines = Array(corpus[0..<60])
        try lines.joined(separator: "\n").write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let r = try LoupeProcess.run(
            ["forward", llama, "--text", "c.txt", "--layer", "blocks.1.hook_resid_post", "--ctx", "9", "--out", "a.npy", "--json"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let acts = try NPY.read(dir.appendingPathComponent("a.npy")), records = try NPY.read(dir.appendingPathComponent("a.tokens.npy"))
        let rows = try records.int64s().map(Int.init)
        let model = try Transformer.load(URL(fileURLWithPath: llama))
        let tokenizer = try XCTUnwrap(model.tokenizer)
        let bos = try XCTUnwrap(tokenizer.id("<|begin_of_text|>"))
        // Expected: each non-blank line in 8-token runs, each run after a BOS.
        var expected: [[Int]] = []
        var contexts: [[Int]] = []
        for (line, text) in lines.enumerated() where !text.allSatisfy(\.isWhitespace) {
            let ids = try tokenizer.encode(text, addSpecialTokens: false)
            for (c, start) in stride(from: 0, to: max(ids.count, 1), by: 8).enumerated() {
                let context = [bos] + ids[start..<min(start + 8, ids.count)]
                contexts.append(context)
                expected += context.enumerated().map { [line, c, $0.offset, $0.element] }
            }
        }
        XCTAssertEqual(records.shape, [expected.count, 4])
        XCTAssertEqual(acts.shape, [expected.count, 64])
        XCTAssertEqual(rows, expected.flatMap { $0 })
        XCTAssertTrue(
            r.stdout.contains("\"contexts\":\(contexts.count)") || r.stdout.contains("\"contexts\" : \(contexts.count)"), r.stdout)
        // Rows of the first, a middle and the last context equal the library's run of it alone.
        let values = acts.floats()
        var offset = 0
        for (i, context) in contexts.enumerated() {
            if [0, contexts.count / 2, contexts.count - 1].contains(i) {
                let want = try model.run(context, keeping: ["blocks.1.hook_resid_post"]).hooks["blocks.1.hook_resid_post"]!.storage
                // Contexts run in batches, whose products round differently from one alone.
                let got = values[(offset * 64)..<((offset + context.count) * 64)]
                let scale = want.reduce(0) { max($0, abs($1)) }
                XCTAssertLessThan(zip(got, want).reduce(0) { max($0, abs($1.0 - $1.1)) }, 1e-5 * scale, "context \(i)")
            }
            offset += context.count
        }
    }

    func testJSONLinesWholeFileAndBOSOptions() throws {
        let dir = try temporaryDirectory(self)
        try "{\"body\": \"Hello world\"}\n\n{\"body\": \"Zweite Zeile\", \"n\": 2}\n".write(
            to: dir.appendingPathComponent("c.jsonl"), atomically: true, encoding: .utf8)
        let tokenizer = try XCTUnwrap(try Transformer.load(URL(fileURLWithPath: gpt2)).tokenizer)
        let hello = try tokenizer.encode("Hello world", addSpecialTokens: false),
            zweite = try tokenizer.encode("Zweite Zeile", addSpecialTokens: false)
        XCTAssertEqual(
            try LoupeProcess.run(
                ["forward", gpt2, "--text", "c.jsonl", "--text-field", "body", "--layer", "hook_embed", "--out", "j.npy"], in: dir
            ).status, 0)
        XCTAssertEqual(
            try NPY.read(dir.appendingPathComponent("j.tokens.npy")).int64s().map(Int.init),
            hello.enumerated().flatMap { [0, 0, $0.offset, $0.element] } + zweite.enumerated().flatMap { [2, 0, $0.offset, $0.element] })
        // GPT-2's tokenizer adds nothing; --prepend-bos puts config.json's bos_token_id first (there: out of the
        // fixture's vocabulary, so refused).
        try LoupeProcess.refuses(
            ["forward", gpt2, "--text", "c.jsonl", "--text-field", "body", "--prepend-bos", "--out", "b.npy"], in: dir, ["bos_token_id"])
        // --whole-file: one document, its lines joined by their newlines.
        try "one\ntwo".write(to: dir.appendingPathComponent("w.txt"), atomically: true, encoding: .utf8)
        XCTAssertEqual(
            try LoupeProcess.run(
                ["forward", llama, "--text", "w.txt", "--whole-file", "--no-bos", "--layer", "hook_embed", "--out", "w.npy"], in: dir
            ).status, 0)
        let whole = try Transformer.load(URL(fileURLWithPath: llama)).tokenizer!.encode("one\ntwo", addSpecialTokens: false)
        XCTAssertEqual(
            try NPY.read(dir.appendingPathComponent("w.tokens.npy")).int64s().map(Int.init),
            whole.enumerated().flatMap { [0, 0, $0.offset, $0.element] })
    }

    func testRefusals() throws {
        let dir = try temporaryDirectory(self)
        try "{\"text\": \"fine\"}\n{\"txt\": \"no\"}\n".write(
            to: dir.appendingPathComponent("bad.jsonl"), atomically: true, encoding: .utf8)
        try Data([0x61, 0xFF, 0x0A]).write(to: dir.appendingPathComponent("bin.txt"))
        try "hello\n".write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        try "keep me".write(to: dir.appendingPathComponent("old.npy"), atomically: true, encoding: .utf8)
        try LoupeProcess.refuses(
            ["forward", gpt2, "--text", "bad.jsonl", "--out", "a.npy"], in: dir, ["bad.jsonl line 2", "no \"text\" field"])
        try LoupeProcess.refuses(["forward", gpt2, "--text", "bin.txt", "--out", "a.npy"], in: dir, ["bin.txt line 1", "not UTF-8"])
        try LoupeProcess.refuses(["forward", gpt2, "--text", "c.txt", "--out", "a.csv"], in: dir, ["stream to a .npy"])
        try LoupeProcess.refuses(
            ["forward", gpt2, "--text", "c.txt", "--layer", "blocks.0.attn.hook_pattern", "--out", "a.npy"], in: dir, ["pattern"])
        try LoupeProcess.refuses(
            ["forward", gpt2, "--text", "c.txt", "--layer", "blocks.9.hook_resid_post", "--out", "a.npy"], in: dir, ["no hook point"])
        try LoupeProcess.refuses(
            ["forward", gpt2, "--text", "c.txt", "--ctx", "65", "--out", "a.npy"], in: dir, ["--ctx 65", "64 learned positions"])
        try LoupeProcess.refuses(
            ["forward", gpt2, "--data", "builtin:digits", "--out", "a.npy"], in: dir, ["transformer checkpoint", "--text"])
        try LoupeProcess.refuses(["forward", "demo:mlp-1", "--text", "c.txt", "--out", "a.npy"], in: dir, ["--text", "not one"])
        try LoupeProcess.refuses(
            ["sae", "train", gpt2, "--data", "builtin:digits", "--layer", "x", "--out", "s"], in: dir, ["transformer checkpoint"])
        try LoupeProcess.refuses(["forward", gpt2, "--text", "c.txt", "--out", "old.npy"], in: dir, ["old.npy"])
        try LoupeProcess.refuses(
            ["inspect", gpt2, "--max-memory", "1M"], in: dir, ["the weights of gpt2 in float32 needs 1.4 MB", "1.0 MB memory budget"])
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("old.npy"), encoding: .utf8), "keep me")
        // A failure part-way leaves no output behind.
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.npy").path))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("a.tokens.npy").path))
    }

    /// CKA between hook points of two models on one text, through the files: both runs cut the
    /// text the same way, so row i is the same token in both; `loupe cka --acts` gives the
    /// linear CKA computed here in Float64 from the two arrays.
    func testCKABetweenHookPointsOfTwoModels() throws {
        let dir = try temporaryDirectory(self)
        try corpus[0..<80].joined(separator: "\n").write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let llama31 = fixtures.appendingPathComponent("transformers/llama31").path
        for (model, hook, out) in [(llama, "blocks.0.hook_resid_post", "a.npy"), (llama31, "blocks.1.hook_resid_post", "b.npy")] {
            XCTAssertEqual(try LoupeProcess.run(["forward", model, "--text", "c.txt", "--layer", hook, "--out", out], in: dir).status, 0)
        }
        XCTAssertEqual(
            try NPY.read(dir.appendingPathComponent("a.tokens.npy")).int64s(),
            try NPY.read(dir.appendingPathComponent("b.tokens.npy")).int64s())
        let r = try LoupeProcess.run(["cka", "--acts", "a.npy", "b.npy", "--json"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        let figures = json["figures"] as! [[String: Any]]
        let reported = try XCTUnwrap(figures.first { $0["key"] as? String == "a.npy|b.npy" }?["value"] as? Double)
        let expected = try Self.linearCKA(dir.appendingPathComponent("a.npy"), dir.appendingPathComponent("b.npy"))
        XCTAssertEqual(reported, expected, accuracy: 1e-6)
        XCTAssertGreaterThan(expected, 0.05)
        XCTAssertLessThan(expected, 0.99)
    }

    /// Linear CKA of two activation files' first `rows` rows in Float64:
    /// ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred columns.
    static func linearCKA(_ a: URL, _ b: URL, rows: Int? = nil) throws -> Double {
        func centred(_ url: URL) throws -> Matrix<Double> {
            let t = try NPY.read(url)
            let n = rows ?? t.shape[0]
            var m = Matrix<Double>(rows: n, cols: t.shape[1], storage: Array(t.doubles()[0..<(n * t.shape[1])]))
            let means = m.columnMeans()
            for r in 0..<m.rows { for c in 0..<m.cols { m[r, c] -= means[c] } }
            return m
        }
        let (x, y) = (try centred(a), try centred(b))
        func squaredNorm(_ m: Matrix<Double>) -> Double { m.storage.reduce(0) { $0 + $1 * $1 } }
        return squaredNorm(matmul(y, x, transposeA: true))
            / (squaredNorm(matmul(x, x, transposeA: true)).squareRoot() * squaredNorm(matmul(y, y, transposeA: true)).squareRoot())
    }

    /// CKA, Align and SAE training read hook points of checkpoints straight from --text: the
    /// first --max-tokens tokens, the same rows `loupe forward --text` streams, both models on
    /// the same token ids.
    func testCKAAlignAndSAEReadTextDirectly() throws {
        let dir = try temporaryDirectory(self)
        try corpus[0..<80].joined(separator: "\n").write(to: dir.appendingPathComponent("c.txt"), atomically: true, encoding: .utf8)
        let llama31 = fixtures.appendingPathComponent("transformers/llama31").path
        let (hookA, hookB) = ("blocks.0.hook_resid_post", "blocks.1.mlp.hook_post")
        for (model, hook, out) in [(llama, hookA, "a.npy"), (llama31, hookB, "b.npy")] {
            XCTAssertEqual(try LoupeProcess.run(["forward", model, "--text", "c.txt", "--layer", hook, "--out", out], in: dir).status, 0)
        }
        let r = try LoupeProcess.run(
            ["cka", llama, llama31, "--text", "c.txt", "--layers", hookA, "--layers-b", hookB, "--max-tokens", "300", "--json"], in: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(json["samples"] as? Int, 300)
        let values = try XCTUnwrap(json["values"] as? [[Double]])
        let expected = try Self.linearCKA(dir.appendingPathComponent("a.npy"), dir.appendingPathComponent("b.npy"), rows: 300)
        XCTAssertEqual(values[0][0], expected, accuracy: 1e-6)

        let align = try LoupeProcess.run(
            ["align", llama, llama31, "--text", "c.txt", "--layer-a", hookA, "--layer-b", hookB, "--max-tokens", "300", "--json"], in: dir)
        XCTAssertEqual(align.status, 0, align.stderr)
        let aligned = try JSONSerialization.jsonObject(with: Data(align.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(aligned["observations"] as? Int, 300)
        XCTAssertEqual(aligned["unitsA"] as? Int, 64)
        XCTAssertEqual(aligned["unitsB"] as? Int, try Transformer.load(URL(fileURLWithPath: llama31)).hookPoint(hookB).width)

        let sae = try LoupeProcess.run(
            [
                "sae", "train", llama, "--text", "c.txt", "--layer", hookA, "--max-tokens", "300", "-a", "topk", "--k", "4", "--d-sae",
                "64",
                "--steps", "50", "--out", "sae"
            ], in: dir)
        XCTAssertEqual(sae.status, 0, sae.stderr)
        XCTAssertTrue(sae.stdout.contains("300 tokens"), sae.stdout)

        try LoupeProcess.refuses(["cka", gpt2, llama, "--text", "c.txt"], in: dir, ["tokenises line 1", "differently"])
        try LoupeProcess.refuses(["cka", gpt2, "--data", "builtin:digits"], in: dir, ["give --text FILE"])
        try LoupeProcess.refuses(
            ["align", gpt2, "demo:mlp-1", "--text", "c.txt", "--layer-a", "x", "--layer-b", "y"], in: dir, ["not one of each"])
        try LoupeProcess.refuses(["tui", gpt2, "--data", "builtin:digits"], in: dir, ["give --text FILE instead of --data"])
        try LoupeProcess.refuses(["tui", "demo:cnn", "--text", "c.txt"], in: dir, ["demo:cnn is a network"])
    }

    /// Runs loupe (paths in `arguments` absolute) and returns its exit status and its own peak RSS in bytes, from
    /// wait4's accounting of that one child (Foundation's Process reaps its children itself).
    static func runMeasuringMemory(_ arguments: [String]) throws -> (status: Int32, rss: Int) {
        let argv = ([LoupeProcess.executable.path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var pid: pid_t = 0
        guard posix_spawn(&pid, LoupeProcess.executable.path, &actions, nil, argv, environ) == 0 else {
            throw XCTSkip("posix_spawn failed")
        }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        return ((status >> 8) & 0xFF, usage.ru_maxrss * 1024)
    }

    /// Six times the text, six times the output (over 100 MB), the same peak memory: rows go
    /// to disk as they are computed. Peak RSS of each run, as the kernel accounts it for that process.
    func testMemoryStaysFlatAsTheCorpusGrows() throws {
        let dir = try temporaryDirectory(self)
        let lines = corpus.filter { !$0.allSatisfy(\.isWhitespace) && $0.count < 200 }
        try lines.prefix(1000).joined(separator: "\n").write(to: dir.appendingPathComponent("small.txt"), atomically: true, encoding: .utf8)
        try (0..<6).map { _ in lines.prefix(1000).joined(separator: "\n") }.joined(separator: "\n")
            .write(to: dir.appendingPathComponent("large.txt"), atomically: true, encoding: .utf8)
        func peak(_ text: String) throws -> (rss: Int, bytes: Int) {
            let out = dir.appendingPathComponent("\(text).npy").path
            let (status, rss) = try Self.runMeasuringMemory(
                [
                    "forward", gpt2, "--text", dir.appendingPathComponent("\(text).txt").path, "--layer", "blocks.1.mlp.hook_post", "--out",
                    out
                ])
            XCTAssertEqual(status, 0)
            let bytes = try FileManager.default.attributesOfItem(atPath: out)[.size] as! Int
            return (rss, bytes)
        }
        let small = try peak("small"), large = try peak("large")
        XCTAssertGreaterThan(large.bytes, 5 * small.bytes)
        XCTAssertGreaterThan(large.bytes, 100 << 20)
        XCTAssertLessThan(
            large.rss, small.rss + (large.bytes - small.bytes) / 4,
            "peak RSS \(small.rss) → \(large.rss) bytes for outputs of \(small.bytes) → \(large.bytes)")
    }
}
