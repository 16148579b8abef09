import Foundation
import TestSupport
import Tokenizers
import XCTest

/// Loupe's tokenizers against the Python `tokenizers` library on 10 508 lines of text (prose,
/// code, twenty scripts, emoji, whitespace runs and controls, random code points): every
/// line's ids must be the library's (Tests/Fixtures/tokenizers/make_tokenizer_fixtures.py).
final class TokenizerParityTests: XCTestCase {
    static let folder = fixtures.appendingPathComponent("tokenizers")

    /// The corpus, split on "\n" only, as the script split it.
    static let corpus: [String] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("corpus.txt"))
        return data.split(separator: 0x0A, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    }()

    /// Per line, the library's count of ids and the FNV-1a hash of them.
    func expected(_ name: String) throws -> [(count: Int, hash: UInt64)] {
        let text = try String(contentsOf: Self.folder.appendingPathComponent("expected-\(name).txt"), encoding: .utf8)
        return text.split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            return (Int(parts[0])!, UInt64(parts[1], radix: 16)!)
        }
    }

    static func fnv1a(_ ids: [Int]) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for id in ids {
            var v = UInt32(id)
            for _ in 0..<4 {
                h ^= UInt64(v & 0xFF)
                h = h &* 0x100_0000_01b3
                v >>= 8
            }
        }
        return h
    }

    func load(_ name: String) throws -> Tokenizer {
        try Tokenizer.load(Self.folder.appendingPathComponent("\(name).json"))
    }

    func assertParity(_ tokenizer: Tokenizer, expected name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try expected(name)
        XCTAssertEqual(reference.count, Self.corpus.count, "expected-\(name).txt and corpus.txt differ in lines", file: file, line: line)
        var mismatches = 0
        for (i, text) in Self.corpus.enumerated() {
            let ids = try tokenizer.encode(text)
            if ids.count != reference[i].count || Self.fnv1a(ids) != reference[i].hash {
                mismatches += 1
                if mismatches <= 5 {
                    XCTFail(
                        "\(name) line \(i + 1) \(text.debugDescription.prefix(200)): \(ids.count) ids, tokenizers gives \(reference[i].count); "
                            + "Loupe's: \(ids.prefix(40).map { "\($0):\(tokenizer.token($0) ?? "?")" })", file: file, line: line)
                }
            }
        }
        XCTAssertEqual(mismatches, 0, "\(name): lines whose ids differ from tokenizers'", file: file, line: line)
    }

    func testCorpusIsLargeAndVaried() {
        XCTAssertGreaterThanOrEqual(Self.corpus.count, 10_000)
        let all = Self.corpus.joined()
        XCTAssertTrue(all.unicodeScalars.contains { $0.properties.isEmojiPresentation })
        XCTAssertTrue(all.contains("\t\t") && all.contains("    ") && all.contains("\u{3000}"))
        XCTAssertTrue(all.contains("func ") && all.contains("def "))
    }

    func testWordPieceMatchesTokenizers() throws {
        try assertParity(try load("bert"), expected: "bert")
    }

    /// The same vocabulary with a cased normaliser: accents stripped, case kept, CJK unpadded.
    func testCasedWordPieceMatchesTokenizers() throws {
        var json =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("bert.json"))) as! [String: Any]
        json["normalizer"] = [
            "type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": false, "strip_accents": true, "lowercase": false
        ]
        let cased = try Tokenizer(json: JSONSerialization.data(withJSONObject: json), source: "bert-cased")
        try assertParity(cased, expected: "bert-cased")
    }

    func testGPT2ByteLevelBPEMatchesTokenizers() throws {
        try assertParity(try load("gpt2"), expected: "gpt2")
    }

    func testLlama3ByteLevelBPEMatchesTokenizers() throws {
        try assertParity(try load("llama3"), expected: "llama3")
    }

    func testQwen2ByteLevelBPEMatchesTokenizers() throws {
        try assertParity(try load("qwen2"), expected: "qwen2")
    }

    /// decode(encode(text)) is the text, byte for byte, for byte-level BPE: every byte has a
    /// symbol. Qwen2's gives the NFC form it normalises to; lines where an added token with
    /// lstrip took the whitespace before it (gpt2's <mask>) are left out.
    func testByteLevelRoundTrip() throws {
        for name in ["gpt2", "llama3", "qwen2"] {
            let tokenizer = try load(name)
            var checked = 0
            for text in Self.corpus where !(name == "gpt2" && text.contains("<mask>")) {
                let decoded = tokenizer.decode(try tokenizer.encode(text, addSpecialTokens: false), skipSpecialTokens: false)
                let want = name == "qwen2" ? text.precomposedStringWithCanonicalMapping : text
                if Array(decoded.utf8) != Array(want.utf8) {
                    XCTFail("\(name): \(text.debugDescription.prefix(120)) decodes to \(decoded.debugDescription.prefix(120))")
                    return
                }
                checked += 1
            }
            XCTAssertGreaterThan(checked, 10_000)
        }
    }
}
