import Foundation
import TensorIO

/// A GPT-2 as a Hugging Face checkpoint folder that both `Transformer.load` and transformers'
/// `GPT2LMHeadModel.from_pretrained` open: config.json, model.safetensors (float32, GPT-2's
/// tensor names, Conv1D weights [in, out], no lm_head.weight since it is tied) and tokenizer.json.
public enum GPT2Checkpoint {
    /// The files `save` writes into the folder.
    public static let files = ["config.json", "model.safetensors", "tokenizer.json"]

    /// config.json of a GPT-2 with these shapes (MLP 4·width, gelu_new, LayerNorm ε 1e-5, no
    /// dropout); `endOfText` is its bos/eos token.
    public static func configJSON(layers: Int, width: Int, heads: Int, context: Int, vocabulary: Int, endOfText: Int?) -> Data {
        var fields: [String: Any] = [
            "model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "vocab_size": vocabulary, "n_positions": context,
            "n_embd": width, "n_layer": layers, "n_head": heads, "n_inner": NSNull(), "activation_function": "gelu_new",
            "layer_norm_epsilon": 1e-5, "initializer_range": 0.02, "tie_word_embeddings": true, "dtype": "float32",
            "attn_pdrop": 0.0, "embd_pdrop": 0.0, "resid_pdrop": 0.0, "scale_attn_weights": true,
            "scale_attn_by_inverse_layer_idx": false, "reorder_and_upcast_attn": false, "use_cache": true
        ]
        if let endOfText {
            fields["bos_token_id"] = endOfText
            fields["eos_token_id"] = endOfText
        }
        return try! JSONSerialization.data(withJSONObject: fields, options: [.prettyPrinted, .sortedKeys])
    }

    /// The configuration `configJSON` describes.
    public static func config(layers: Int, width: Int, heads: Int, context: Int, vocabulary: Int) throws -> TransformerConfig {
        try TransformerConfig.decode(
            configJSON(layers: layers, width: width, heads: heads, context: context, vocabulary: vocabulary, endOfText: nil),
            source: "gpt2 spec")
    }

    /// Writes the folder (made when missing), each file atomically; `replacing: false` refuses
    /// one that exists. `tokenizer` is copied in; `metadata` goes into model.safetensors' header.
    public static func save(
        _ p: GPT2Parameters, to folder: URL, tokenizer: URL, endOfText: Int?, metadata: [String: String] = [:], replacing: Bool
    ) throws {
        let c = p.config
        let tokenizerData: Data
        do { tokenizerData = try Data(contentsOf: tokenizer) } catch {
            throw TransformerError("\(tokenizer.path): cannot be read")
        }
        var isDirectory: ObjCBool = false
        if !(FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) && isDirectory.boolValue) {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        }
        let config = configJSON(
            layers: c.layers, width: c.dModel, heads: c.heads, context: c.maxPositions, vocabulary: c.vocabSize, endOfText: endOfText)
        try AtomicFile.write(config, to: folder.appendingPathComponent("config.json"), replacing: replacing)
        try SafeTensors.write(
            SafeTensorsFile(tensors: p.tensors, metadata: metadata.merging(["format": "pt"]) { _, pt in pt }),
            to: folder.appendingPathComponent("model.safetensors"),
            replacing: replacing)
        try AtomicFile.write(tokenizerData, to: folder.appendingPathComponent("tokenizer.json"), replacing: replacing)
    }
}
