import Foundation

/// demo:gpt2-tiny, the text demo: a GPT-2 (4 layers, width 128, 4 heads, 128-token context,
/// 2 048 byte-level BPE tokens) that `loupe train` trained on the Jargon File 4.4.7 and The
/// Devil's Dictionary (both public domain), shipped as a checkpoint folder in the module's
/// resources with the corpus it learnt (Resources/gpt2-tiny/README.md; scripts/train-demo-gpt2-tiny
/// made it).
public enum TextDemo {
    public static let name = "gpt2-tiny"

    /// The checkpoint folder: config.json, model.safetensors, tokenizer.json (and the corpus).
    public static var folder: URL {
        Bundle.module.url(forResource: name, withExtension: nil) ?? Bundle.module.bundleURL.appendingPathComponent(name)
    }

    /// The corpus, one paragraph per line; lines n with n mod `holdOutEvery` = `holdOutEvery` − 1
    /// (from 0) were held out of its training.
    public static var corpus: URL { folder.appendingPathComponent("corpus.txt") }

    /// Every how many lines of `corpus` one was held out.
    public static let holdOutEvery = LanguageModelOptions.holdOutEvery

    public static func load() throws -> Transformer {
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            throw TransformerError("demo:\(name): the bundled checkpoint is missing from this installation")
        }
        return try Transformer.load(folder)
    }
}
