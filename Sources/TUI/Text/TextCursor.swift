import Figures
import LinAlg
import Tokenizers
import Transformers
import Workbench

/// Which model and which context of the text a text view shows; every text view has one, and
/// the same keys move it.
public struct TextCursor: Codable, Equatable, Sendable {
    /// 0 for model A, 1 for B.
    public var model = 0
    public var context = 0

    public init() {}

    public enum Action: Sendable, Equatable { case contextNext, contextPrevious, contextNext10, contextPrevious10, model }

    public static let bindings: [KeyBinding<Action>] = [
        KeyBinding([.char("n"), .char(".")], .contextNext, "next context"),
        KeyBinding([.char("p"), .char(",")], .contextPrevious, "previous context"),
        KeyBinding([.char("N")], .contextNext10, "10 contexts on"),
        KeyBinding([.char("P")], .contextPrevious10, "10 contexts back"),
        KeyBinding([.char("m")], .model, "show the other model (A ↔ B)")
    ]

    /// Moves; returns whether the model changed (its results must then be computed).
    @discardableResult
    public mutating func perform(_ action: Action, in workspace: Workspace) -> Bool {
        let before = model
        switch action {
        case .contextNext: context += 1
        case .contextPrevious: context -= 1
        case .contextNext10: context += 10
        case .contextPrevious10: context -= 10
        case .model: model = (model + 1) % max(workspace.textModels.count, 1)
        }
        clamp(in: workspace)
        return model != before
    }

    public mutating func clamp(in workspace: Workspace) {
        model = min(max(model, 0), max(workspace.textModels.count - 1, 0))
        context = min(max(context, 0), max((workspace.text?.contexts.count ?? 1) - 1, 0))
    }

    /// "context 3/64 (line 12)".
    func describe(_ text: TextSample) -> String {
        "context \(context + 1)/\(text.contexts.count) (line \(text.documents[context] + 1))"
    }
}

/// A context's tokens drawn as running text, wrapped at token boundaries, each token in its own
/// style; returns the rows used. `selected` is drawn reversed.
enum TokenText {
    /// A token as decoded alone, with line breaks, tabs and other controls made visible.
    static func shown(_ id: Int, _ tokenizer: Tokenizer) -> String {
        let text = tokenizer.decode([id], skipSpecialTokens: false)
        let visible = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { s -> Unicode.Scalar in
                    switch s {
                    case "\n": return "↵"
                    case "\t": return "→"
                    default: return s.properties.generalCategory == .control ? "·" : s
                    }
                }))
        return visible.isEmpty ? "∅" : visible
    }

    @discardableResult
    static func render(_ tokens: [String], styles: [Style], selected: Int?, canvas: Canvas) -> Int {
        var x = 0, y = 0
        for (i, token) in tokens.enumerated() {
            let width = token.unicodeScalars.count
            if x > 0, x + width > canvas.width {
                x = 0
                y += 1
            }
            guard y < canvas.height else { break }
            let style = i == selected ? styles[i].with(.reverse) : styles[i]
            x += canvas.text(x, y, token, style, maxWidth: canvas.width - x)
        }
        return y + 1
    }
}

/// Runs every context of a text through a transformer in batches, keeping the hook points
/// named, with progress to `job`; `body` gets each batch's contexts (their indices) and result.
func runContexts(
    _ transformer: Transformer, _ contexts: [[Int]], keeping hooks: Set<String>, job: JobControl, label: String,
    _ body: (Range<Int>, TransformerActivations) throws -> Void
) throws {
    // Enough rows for efficient products; few enough that logits of a large vocabulary fit.
    let batch = max(1, min(8, 1 << 22 / max(transformer.config.vocabSize, 1)))
    for start in stride(from: 0, to: contexts.count, by: batch) {
        try job.checkCancellation()
        _ = job.report(Double(start) / Double(contexts.count), "\(label): context \(start + 1) of \(contexts.count)")
        let range = start..<min(start + batch, contexts.count)
        try body(range, try transformer.run(contexts: Array(contexts[range]), keeping: hooks))
    }
}
