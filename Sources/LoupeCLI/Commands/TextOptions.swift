import ArgumentParser
import Foundation
import Transformers

/// `--text` and how it becomes contexts: the options of every command that runs a transformer
/// checkpoint on text.
struct TextOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Text for a transformer checkpoint: a .txt file (a document per line) or a .jsonl file.", valueName: "FILE"))
    var text: String?

    @Flag(help: "Read a .txt file as one document.") var wholeFile = false

    @Option(help: ArgumentHelp("The field of each .jsonl line that holds its text (default: text).", valueName: "NAME"))
    var textField: String?

    @Option(
        help: ArgumentHelp(
            "Tokens per context, special tokens included; a longer document continues in the next context (default: \(ContextCutter.defaultLength), or the model's positions if fewer).",
            valueName: "N"))
    var ctx: Int?

    @Flag(help: "Start every context with the checkpoint's BOS token (config.json's bos_token_id), whatever its tokenizer adds.")
    var prependBos = false

    @Flag(help: "Add no special tokens (no BOS, [CLS] or [SEP]).") var noBos = false

    func validate() throws {
        guard ctx.map({ $0 > 0 }) ?? true else { throw ValidationError("--ctx must be positive") }
        guard !(prependBos && noBos) else { throw ValidationError("--prepend-bos and --no-bos contradict each other; give one") }
    }

    /// The corpus, or nil without --text.
    func corpus() throws -> TextCorpus? {
        guard let text else { return nil }
        return try TextCorpus(URL(fileURLWithPath: text), wholeFile: wholeFile, field: textField)
    }

    /// Which special tokens wrap each context.
    var specials: ContextCutter.Specials { noBos ? .none : prependBos ? .prependBOS : .tokenizer }

    /// How documents become contexts for `model`.
    func cutter(for model: Transformer) throws -> ContextCutter {
        try ContextCutter(for: model, length: ctx, specials: specials)
    }
}

/// `--text` for commands that hold a transformer's hook points in memory (CKA, Align, SAE):
/// the text options, and how many tokens (the samples) to read.
struct TextSampleOptions: ParsableArguments {
    @OptionGroup var text: TextOptions
    @Option(help: ArgumentHelp("Tokens of --text to read: the samples (default \(TextSampleOptions.defaultTokens)).", valueName: "N"))
    var maxTokens = TextSampleOptions.defaultTokens

    static let defaultTokens = 4096

    /// Each model's hook points over the first `maxTokens` tokens of the text, with progress.
    func collect(_ models: [(transformer: Transformer, hooks: [String])]) throws -> TextActivations {
        guard let corpus = try text.corpus() else { throw ValidationError("missing --text FILE") }
        let bar = ProgressBar("reading \(corpus.url.lastPathComponent)")
        defer { bar.finish() }
        return try TextActivations.collect(
            models, corpus: corpus, cutter: text.cutter(for: models[0].transformer), maxTokens: maxTokens, progress: { bar.update($0, $1) })
    }
}
