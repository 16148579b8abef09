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
            "Tokens per context, special tokens included; a longer document continues in the next context (default: \(TextOptions.defaultContext), or the model's positions if fewer).",
            valueName: "N"))
    var ctx: Int?

    @Flag(help: "Start every context with the checkpoint's BOS token (config.json's bos_token_id), whatever its tokenizer adds.")
    var prependBos = false

    @Flag(help: "Add no special tokens (no BOS, [CLS] or [SEP]).") var noBos = false

    static let defaultContext = 128

    func validate() throws {
        guard ctx.map({ $0 > 0 }) ?? true else { throw ValidationError("--ctx must be positive") }
        guard !(prependBos && noBos) else { throw ValidationError("--prepend-bos and --no-bos contradict each other; give one") }
    }

    /// The corpus, or nil without --text.
    func corpus() throws -> TextCorpus? {
        guard let text else { return nil }
        return try TextCorpus(URL(fileURLWithPath: text), wholeFile: wholeFile, field: textField)
    }

    /// How documents become contexts for `model`.
    func cutter(for model: Transformer) throws -> ContextCutter {
        guard let tokenizer = model.tokenizer else {
            throw TransformerError("\(model.name): no tokenizer.json beside the checkpoint, so --text cannot be read")
        }
        let learned = model.config.family != .llama
        let length = ctx ?? (learned ? min(Self.defaultContext, model.config.maxPositions) : Self.defaultContext)
        if learned, length > model.config.maxPositions {
            throw TransformerError("--ctx \(length) is longer than \(model.name)'s \(model.config.maxPositions) learned positions")
        }
        var (before, after) = tokenizer.specialTokens
        if noBos { (before, after) = ([], []) }
        if prependBos {
            guard let bos = model.config.bosTokenID else {
                throw TransformerError("\(model.name)/config.json names no bos_token_id inside its vocabulary for --prepend-bos")
            }
            if before.first != bos { before.insert(bos, at: 0) }
        }
        return try ContextCutter(length: length, before: before, after: after)
    }
}
