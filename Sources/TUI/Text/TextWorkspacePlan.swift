import Foundation
import Interpret
import Transformers
import Workbench

/// How the workbench reads a text file for transformer checkpoints: the options of
/// `loupe forward --text`, so that a context in the workbench is the same context there.
public struct TextReading: Sendable {
    /// A .txt file as one document.
    public var wholeFile = false
    /// The field of each .jsonl line that holds its text.
    public var field: String?
    /// Tokens per context (nil: `ContextCutter.defaultLength` or the model's positions).
    public var length: Int?
    public var specials = ContextCutter.Specials.tokenizer
    /// Read only the lines n with n mod k = k − 1 (from 0): demo:gpt2-tiny's held-out lines of
    /// its corpus, which its training never saw.
    public var everyKthLine: Int?
    /// An SAE directory whose latents the latent views show (on model A's hook point).
    public var sae: String?

    public init() {}
}

extension TextModels {
    /// The weights file a session records the digest of.
    static func weightsFile(_ reference: String) -> URL? {
        let folder = TextModels.folder(of: reference)
        return Transformer.files(of: folder).first { $0.pathExtension == "safetensors" && FileManager.default.fileExists(atPath: $0.path) }
            ?? Transformer.files(of: folder).first { $0.lastPathComponent.hasSuffix("index.json") }
    }
}

extension WorkspacePlan {
    /// Whether the plan opens transformer checkpoints on text.
    public var isText: Bool { models.contains(where: TextModels.isTextModel) }

    /// Opens the checkpoints and checks the text file, so that a wrong one is one line before
    /// the workbench starts.
    mutating func preloadText() throws {
        if let network = models.first(where: { !TextModels.isTextModel($0) }) {
            throw WorkbenchError(
                "\(network) is a network and \(models.first(where: TextModels.isTextModel)!) a transformer checkpoint; the workbench compares models of one kind"
            )
        }
        guard !data.hasPrefix("builtin:") else {
            throw WorkbenchError("a transformer checkpoint reads text: give --text FILE (a .txt file with a document per line, or .jsonl)")
        }
        for reference in models { loadedTextModels[reference] = try TextModels.load(reference) }
        _ = try corpus()
    }

    private func corpus() throws -> TextCorpus {
        let url = URL(fileURLWithPath: data)
        guard FileManager.default.isReadableFile(atPath: url.path) else { throw WorkbenchError("\(data): no such text file") }
        return try TextCorpus(url, wholeFile: textReading.wholeFile, field: textReading.field)
    }

    /// The text workspace: the checkpoints and the first contexts of the text, tokenised by
    /// model A's tokenizer (model B must tokenise it alike: the views compare token by token).
    func loadText(_ job: JobControl?) throws -> Workspace {
        let names = LoadedModel.shortNames(models)
        var loaded: [LoadedTextModel] = []
        for (i, reference) in models.enumerated() {
            _ = job?.report(Double(i) / Double(models.count + 1), "opening \(reference)")
            let transformer = try loadedTextModels[reference] ?? TextModels.load(reference)
            loaded.append(
                LoadedTextModel(
                    label: i == 0 ? "A" : "B", reference: reference, transformer: transformer, file: TextModels.weightsFile(reference),
                    shortName: names[i]))
        }
        let first = loaded[0].transformer
        guard let tokenizer = first.tokenizer else {
            throw WorkbenchError("\(models[0]): no tokenizer.json beside the checkpoint, so the text cannot be read")
        }
        for other in loaded.dropFirst() where other.transformer.config.vocabSize != first.config.vocabSize {
            throw WorkbenchError(
                "\(other.reference) has a vocabulary of \(other.transformer.config.vocabSize) tokens and \(models[0]) of \(first.config.vocabSize): the views compare models token by token, so they must share a tokenizer"
            )
        }
        _ = job?.report(Double(models.count) / Double(models.count + 1), "reading \(data)")
        let length = textReading.length ?? loaded.map { ContextCutter.defaultLength(for: $0.transformer) }.min()
        let cutter = try ContextCutter(for: first, length: length, specials: textReading.specials)
        let name = textReading.everyKthLine.map { "\(data) (every \($0)th line)" } ?? data
        let text = try TextSample.read(
            corpus(), name: name, cutter: cutter, tokenizer: tokenizer,
            keeping: textReading.everyKthLine.map { k in { LanguageModelText.isHeldOut(line: $0, every: k) } } ?? { _ in true })
        return Workspace(
            textModels: loaded, text: text, textFile: URL(fileURLWithPath: data),
            sae: try textReading.sae.map { try loadSAE($0, for: first) })
    }

    /// The SAE at `path`, on the hook point its cfg.json names, which `model` must have at its width.
    private func loadSAE(_ path: String, for model: Transformer) throws -> LoadedSAE {
        let (sae, info) = try SAEFile.load(URL(fileURLWithPath: path))
        guard let hook = info?.layer ?? info?.saeLens?.hookName else {
            throw WorkbenchError("\(path)/cfg.json names no hook_name: the workbench cannot tell where the SAE reads \(model.name)")
        }
        let width = try model.hookPoint(hook).width
        guard width == sae.inputSize else {
            throw WorkbenchError(
                "\(path): the SAE takes d_in = \(sae.inputSize), but \(model.name)'s \(hook) has \(width) values per token")
        }
        return LoadedSAE(reference: path, sae: sae, hook: hook)
    }
}
