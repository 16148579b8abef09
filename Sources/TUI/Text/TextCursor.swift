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
