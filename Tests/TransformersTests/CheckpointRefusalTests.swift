import Foundation
import TestSupport
import Transformers
import XCTest

/// A checkpoint Loupe cannot run is refused in one line naming the file and what is wrong.
final class CheckpointRefusalTests: XCTestCase {
    static let gpt2 = fixtures.appendingPathComponent("transformers/gpt2")

    /// A copy of the GPT-2 fixture folder whose config.json has `edit` applied.
    func checkpoint(config edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let folder = try temporaryDirectory(self).appendingPathComponent("gpt2")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in ["model.safetensors", "tokenizer.json"] {
            // The tokenizer is a link into ../tokenizers: copy what it points to.
            try FileManager.default.copyItem(
                at: Self.gpt2.appendingPathComponent(file).resolvingSymlinksInPath(), to: folder.appendingPathComponent(file))
        }
        var config =
            try JSONSerialization.jsonObject(with: Data(contentsOf: Self.gpt2.appendingPathComponent("config.json"))) as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    func testUnknownModelType() throws {
        let folder = try checkpoint { $0["model_type"] = "t5" }
        assertThrowsMessage(
            try Transformer.load(folder), contains: ["gpt2/config.json", "model_type \"t5\"", "gpt2, bert, llama, qwen2, mistral"])
    }

    func testMismatchedShape() throws {
        let folder = try checkpoint { $0["n_inner"] = 200 }
        assertThrowsMessage(
            try Transformer.load(folder),
            contains: ["gpt2/model.safetensors", "'transformer.h.0.mlp.c_fc.weight'", "[64, 256]", "[64, 200]"])
    }

    func testMissingTensor() throws {
        let folder = try checkpoint { $0["n_layer"] = 3 }
        assertThrowsMessage(
            try Transformer.load(folder), contains: ["gpt2/model.safetensors", "no tensor 'transformer.h.2.attn.c_attn.weight'"])
    }

    func testMissingFieldAndBadValues() throws {
        assertThrowsMessage(try Transformer.load(try checkpoint { $0["n_embd"] = nil }), contains: ["config.json", "gpt2 needs n_embd"])
        assertThrowsMessage(try Transformer.load(try checkpoint { $0["n_head"] = "four" }), contains: ["config.json", "n_head"])
        assertThrowsMessage(try Transformer.load(try checkpoint { $0["n_head"] = 5 }), contains: ["width 64", "5 heads"])
        assertThrowsMessage(
            try Transformer.load(try checkpoint { $0["activation_function"] = "mish" }), contains: ["activation_function \"mish\""])
    }

    func testRopeScalingIsRefusedNotIgnored() throws {
        let folder = try temporaryDirectory(self).appendingPathComponent("llama")
        try FileManager.default.copyItem(at: fixtures.appendingPathComponent("transformers/llama"), to: folder)
        let url = folder.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        config["rope_parameters"] = ["rope_type": "yarn", "rope_theta": 500000.0, "factor": 8.0]
        try FileManager.default.removeItem(at: url)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        assertThrowsMessage(try Transformer.load(folder), contains: ["llama/config.json", "rope scaling \"yarn\"", "linear and llama3"])
        config["rope_parameters"] = ["rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0]
        try FileManager.default.removeItem(at: url)
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        assertThrowsMessage(try Transformer.load(folder), contains: ["rope scaling \"llama3\" needs a positive low_freq_factor"])
    }

    func testUnsupportedTokenizer() throws {
        let folder = try checkpoint()
        let url = folder.appendingPathComponent("tokenizer.json")
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        json["model"] = ["type": "Unigram", "vocab": [] as [Any]]
        try FileManager.default.removeItem(at: url)
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        assertThrowsMessage(try Transformer.load(folder), contains: ["tokenizer.json", "\"Unigram\" models are not supported"])
    }

    func testNotACheckpoint() throws {
        let empty = try temporaryDirectory(self)
        assertThrowsMessage(try Transformer.load(empty), contains: ["no config.json"])
        let folder = try checkpoint()
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        assertThrowsMessage(try Transformer.load(folder), contains: ["gpt2: no model.safetensors"])
    }

    func testBadIdsAndUnknownHooks() throws {
        let model = try Transformer.load(Self.gpt2)
        assertThrowsMessage(try model.run([5, 4001], keeping: ["logits"]), contains: ["token id 4001", "vocabulary of 4001"])
        assertThrowsMessage(try model.run(Array(repeating: 1, count: 65), keeping: []), contains: ["65 tokens", "64 learned positions"])
        assertThrowsMessage(try model.run([1], keeping: ["blocks.0.hook_resid_pst"]), contains: ["no hook point 'blocks.0.hook_resid_pst'"])
        XCTAssertThrowsError(try model.run([], keeping: []))
    }
}
