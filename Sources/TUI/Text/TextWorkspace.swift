import Figures
import Foundation
import Interpret
import LinAlg
import Tokenizers
import Transformers

/// A transformer checkpoint open in the workbench: A, or B when comparing.
public struct LoadedTextModel: Sendable {
    /// "A" or "B".
    public let label: String
    /// As the user named it: a checkpoint folder, `demo:gpt2-tiny`.
    public let reference: String
    public let transformer: Transformer
    /// The weights file a session records (nil for a demo model shipped with Loupe).
    public let file: URL?
    public var shortName: String

    public var title: String { "\(label) \(shortName)" }
}

/// An SAE on a text model's hook point (`loupe tui CHECKPOINT --text FILE --sae DIR`).
public struct LoadedSAE: Sendable {
    /// As the user named it: the SAE's directory.
    public let reference: String
    public let sae: SparseAutoencoder<Float>
    /// The hook point of model A it reads (its cfg.json's hook_name).
    public let hook: String
}

/// The text a text model's views read: the first contexts of the user's text, tokenised by
/// model A's tokenizer and cut as `loupe forward --text` cuts them, so that a context here is
/// the same context there.
public struct TextSample: Sendable {
    /// How the user named the text.
    public let name: String
    public let contexts: [[Int]]
    /// The document (line of the file, from 0) each context comes from.
    public let documents: [Int]
    /// The token ids the contexts are wrapped in (BOS, [CLS], [SEP]): never an SAE's samples.
    public let special: Set<Int>
    /// The whole text and how it is cut, for what reads all of it (an SAE trained here).
    public let corpus: TextCorpus
    public let cutter: ContextCutter

    /// Contexts the workbench reads from the start of a text: enough to browse, few enough
    /// that every view's work on all of them takes moments.
    public static let maxContexts = 64

    /// Reads up to `maxContexts` contexts of the documents of `corpus` that `keeping` accepts.
    public static func read(
        _ corpus: TextCorpus, name: String, cutter: ContextCutter, tokenizer: Tokenizer, keeping: (Int) -> Bool = { _ in true }
    ) throws -> TextSample {
        var contexts: [[Int]] = [], documents: [Int] = []
        struct Enough: Error {}
        do {
            try corpus.forEachDocument { document, text in
                guard keeping(document) else { return }
                for ids in cutter.contexts(try tokenizer.encode(text, addSpecialTokens: false)) {
                    guard contexts.count < maxContexts else { throw Enough() }
                    contexts.append(ids)
                    documents.append(document)
                }
            }
        } catch is Enough {}
        guard !contexts.isEmpty else { throw TransformerError("\(name): no text (every line is blank)") }
        return TextSample(
            name: name, contexts: contexts, documents: documents, special: Set(cutter.before + cutter.after), corpus: corpus,
            cutter: cutter)
    }
}

extension App {
    /// The sidebar of a text workspace: each model's family and sizes, then the text.
    func textSidebarItems(_ workspace: Workspace) -> [ListItem] {
        var items: [ListItem] = []
        for model in workspace.textModels {
            let c = model.transformer.config
            items.append(ListItem(model.title, style: Theme.title, elision: .middle))
            if model.shortName != model.reference { items.append(ListItem(model.reference, depth: 1, style: Theme.dim, elision: .middle)) }
            items.append(ListItem("\(c.modelType) · \(c.layers) blocks · d \(c.dModel)", depth: 1))
            let kv = c.kvHeads < c.heads ? " (\(c.kvHeads) kv)" : ""
            items.append(ListItem("\(c.heads) heads\(kv) · \(NumberFormat.grouped(c.vocabSize)) tokens", depth: 1, style: Theme.dim))
        }
        guard let text = workspace.text else { return items }
        items.append(ListItem("Text", style: Theme.heading))
        items.append(ListItem(text.name, depth: 1, elision: .middle))
        let tokens = text.contexts.reduce(0) { $0 + $1.count }
        items.append(ListItem("\(text.contexts.count) contexts, \(NumberFormat.grouped(tokens)) tokens", depth: 1, style: Theme.dim))
        return items
    }
}
