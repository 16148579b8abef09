import Foundation
import TestSupport
import Tokenizers
import XCTest

/// What the corpus does not reach: decoding, added tokens' single_word / rstrip / normalized
/// rules (against the `tokenizers` library, Tests/Fixtures/tokenizers/cases.json), and the
/// one-line refusals of files Loupe cannot use.
final class TokenizerBehaviourTests: XCTestCase {
    static let folder = fixtures.appendingPathComponent("tokenizers")
    static let cases =
        try! JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("cases.json"))) as! [String: Any]

    func bertJSON() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.folder.appendingPathComponent("bert.json"))) as! [String: Any]
    }

    func tokenizer(_ json: [String: Any], _ name: String = "test.json") throws -> Tokenizer {
        try Tokenizer(json: JSONSerialization.data(withJSONObject: json), source: name)
    }

    func testDecodingMatchesTokenizers() throws {
        let decode = Self.cases["decode"] as! [String: [[Any]]]
        for (name, pairs) in decode {
            let tokenizer = try Tokenizer.load(Self.folder.appendingPathComponent("\(name).json"))
            XCTAssertGreaterThan(pairs.count, 50)
            for pair in pairs {
                let ids = pair[0] as! [Int], text = pair[1] as! String
                XCTAssertEqual(
                    Array(tokenizer.decode(ids).utf8), Array(text.utf8),
                    "\(name): \(ids.prefix(12)) decodes to \(tokenizer.decode(ids).debugDescription), tokenizers gives \(text.debugDescription)"
                )
            }
        }
    }

    /// "hello world" matched after lowercasing (normalized), "<sw>" only as a word of its own,
    /// "<rs>" taking the whitespace after it.
    func testAddedTokenRulesMatchTokenizers() throws {
        var json = try bertJSON()
        json["added_tokens"] =
            (json["added_tokens"] as! [Any]) + [
                [
                    "id": 30522, "content": "hello world", "single_word": false, "lstrip": false, "rstrip": false, "normalized": true,
                    "special": false
                ],
                [
                    "id": 30523, "content": "<sw>", "single_word": true, "lstrip": false, "rstrip": false, "normalized": false,
                    "special": false
                ],
                [
                    "id": 30524, "content": "<rs>", "single_word": false, "lstrip": false, "rstrip": true, "normalized": false,
                    "special": true
                ]
            ]
        let tokenizer = try tokenizer(json)
        let cases = Self.cases["added"] as! [[Any]]
        XCTAssertEqual(cases.count, 10)
        for c in cases {
            let text = c[0] as! String, ids = c[1] as! [Int]
            XCTAssertEqual(try tokenizer.encode(text), ids, text)
        }
        XCTAssertEqual(tokenizer.vocabularySize, 30525)
    }

    /// Special tokens come and go with the flags; a hand-checked BERT case.
    func testSpecialTokensAndLookups() throws {
        let bert = try Tokenizer.load(Self.folder.appendingPathComponent("bert.json"))
        let ids = try bert.encode("Hello, world!")
        XCTAssertEqual(ids.map { bert.token($0)! }, ["[CLS]", "hello", ",", "world", "!", "[SEP]"])
        XCTAssertEqual(try bert.encode("Hello, world!", addSpecialTokens: false), Array(ids.dropFirst().dropLast()))
        XCTAssertEqual(bert.decode(ids), "hello, world!")
        XCTAssertEqual(bert.decode(ids, skipSpecialTokens: false), "[CLS] hello, world! [SEP]")
        XCTAssertEqual(bert.id("[SEP]"), 102)
        let llama = try Tokenizer.load(Self.folder.appendingPathComponent("llama3.json"))
        XCTAssertEqual(try llama.encode("hi").first, llama.id("<|begin_of_text|>"))
        XCTAssertNotEqual(try llama.encode("hi", addSpecialTokens: false).first, llama.id("<|begin_of_text|>"))
    }

    func testRefusalsNameTheField() throws {
        var json = try bertJSON()
        json["model"] = ["type": "Unigram", "vocab": [:] as [String: Any]]
        assertThrowsMessage(try tokenizer(json), contains: ["test.json", "model.type", "Unigram", "BPE and WordPiece"])

        json = try bertJSON()
        json["normalizer"] = ["type": "Precompiled"]
        assertThrowsMessage(try tokenizer(json), contains: ["normalizer.type", "Precompiled", "BertNormalizer"])

        json = try bertJSON()
        json["pre_tokenizer"] = ["type": "Sequence", "pretokenizers": [["type": "Metaspace"]]]
        assertThrowsMessage(try tokenizer(json), contains: ["pre_tokenizer.pretokenizers[0].type", "Metaspace"])

        json = try bertJSON()
        var model = json["model"] as! [String: Any]
        model["unk_token"] = "[NOPE]"
        json["model"] = model
        assertThrowsMessage(try tokenizer(json), contains: ["model.unk_token", "[NOPE]", "not in model.vocab"])

        json = try bertJSON()
        model = json["model"] as! [String: Any]
        model["vocab"] = ["a": -1]
        json["model"] = model
        assertThrowsMessage(try tokenizer(json), contains: ["model.vocab[\"a\"]", "token id"])

        json = try bertJSON()
        json["model"] = ["type": "BPE", "vocab": ["a": 0, "b": 1], "merges": ["a c"]]
        assertThrowsMessage(try tokenizer(json), contains: ["model.merges[0]", "two tokens of model.vocab"])

        json = try bertJSON()
        json["post_processor"] = [
            "type": "TemplateProcessing", "single": [["SpecialToken": ["id": "[X]", "type_id": 0]]], "special_tokens": [:] as [String: Any]
        ]
        assertThrowsMessage(try tokenizer(json), contains: ["post_processor.special_tokens", "[X]"])

        json = try bertJSON()
        json["pre_tokenizer"] = ["type": "Split", "pattern": ["Regex": "(unclosed"], "behavior": "Isolated", "invert": false]
        assertThrowsMessage(try tokenizer(json), contains: ["pre_tokenizer.pattern.Regex", "(unclosed"])

        assertThrowsMessage(try Tokenizer(json: Data("[1, 2]".utf8), source: "list.json"), contains: ["list.json", "JSON object"])
        assertThrowsMessage(try Tokenizer(json: Data("{".utf8), source: "cut.json"), contains: ["cut.json", "not JSON"])
        assertThrowsMessage(
            try Tokenizer.load(URL(fileURLWithPath: "/nonexistent/tokenizer.json")),
            contains: ["/nonexistent/tokenizer.json", "cannot be read"])

        // A byte-level-less BPE meets a character it has no symbol for, and no unk_token.
        let bare = try tokenizer(["model": ["type": "BPE", "vocab": ["a": 0], "merges": [] as [Any]]], "bare.json")
        XCTAssertEqual(try bare.encode("aa"), [0, 0])
        assertThrowsMessage(try bare.encode("ab"), contains: ["bare.json", "U+62", "unk_token"])
    }
}
