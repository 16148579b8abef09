import Foundation
import LinAlg
import TestSupport
import Tokenizers
import Transformers
import XCTest

/// demo:gpt2-tiny as shipped: its tokenizer gives the Python library's ids on corpus lines
/// (scripts/gpt2-tiny-tokenizer wrote them), and it predicts held-out lines of its corpus far
/// better than the corpus's own unigram distribution does.
final class TextDemoTests: XCTestCase {
    static let lines = try! String(contentsOf: TextDemo.corpus, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        .map(String.init)

    func testTokenizerGivesTheLibrarysIdsOnCorpusLines() throws {
        struct Case: Decodable { let line: Int; let ids: [Int] }
        let cases = try JSONDecoder().decode(
            [Case].self, from: Data(contentsOf: fixtures.appendingPathComponent("transformers/gpt2-tiny-ids.json")))
        let tokenizer = try XCTUnwrap(try TextDemo.load().tokenizer)
        XCTAssertEqual(tokenizer.vocabularySize, 2048)
        XCTAssertEqual(tokenizer.id("<|endoftext|>"), 0)
        XCTAssertGreaterThan(cases.count, 5)
        for c in cases { XCTAssertEqual(try tokenizer.encode(Self.lines[c.line]), c.ids, "line \(c.line)") }
    }

    /// The unigram entropy H = −Σ p(t) ln p(t) of the corpus's tokens is what a model that knows
    /// only how often each token occurs scores; the demo's mean next-token loss on held-out lines
    /// (never trained on), through the inference path, must be far below it.
    func testHeldOutLossIsFarBelowTheUnigramEntropy() throws {
        let model = try TextDemo.load()
        XCTAssertEqual(model.name, TextDemo.name)
        XCTAssertEqual(model.config.family, .gpt2)
        XCTAssertLessThanOrEqual(model.config.dModel, 256)
        let tokenizer = try XCTUnwrap(model.tokenizer)
        var counts = [Double](repeating: 0, count: tokenizer.vocabularySize)
        var heldOut: [Int] = []
        let eot = try XCTUnwrap(tokenizer.id("<|endoftext|>"))
        for (n, line) in Self.lines.enumerated() where !line.isEmpty {
            let ids = try tokenizer.encode(line)
            for id in ids { counts[id] += 1 }
            // The first 60 held-out lines, joined as training joined documents.
            if n % TextDemo.holdOutEvery == TextDemo.holdOutEvery - 1, n < 60 * TextDemo.holdOutEvery {
                if !heldOut.isEmpty { heldOut.append(eot) }
                heldOut += ids
            }
        }
        let total = counts.reduce(0, +)
        let unigram = -counts.filter { $0 > 0 }.reduce(0.0) { $0 + $1 / total * log($1 / total) }
        let context = model.config.maxPositions
        var loss = 0.0, predicted = 0
        for start in stride(from: 0, to: heldOut.count - 1, by: context) {
            let window = Array(heldOut[start..<min(start + context + 1, heldOut.count)])
            let logits = try XCTUnwrap(try model.run(Array(window.dropLast()), keeping: ["logits"]).hooks["logits"])
            for (row, target) in window.dropFirst().enumerated() {
                loss += tokenLoss(logits.row(row), target: target)
                predicted += 1
            }
        }
        loss /= Double(predicted)
        print("demo:gpt2-tiny: held-out loss \(loss) nats/token over \(predicted) tokens; unigram entropy \(unigram) nats")
        XCTAssertGreaterThan(predicted, 3000)
        XCTAssertLessThan(loss, unigram - 1, "held-out loss \(loss) against the unigram entropy \(unigram)")
    }
}
