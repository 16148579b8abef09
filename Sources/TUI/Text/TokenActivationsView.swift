import Figures
import Foundation
import LinAlg
import Transformers
import Workbench

/// One unit of a hook point read through the text: a context's tokens, each coloured by the
/// unit's activation there (on one scale for the whole text, so contexts compare), the tokens
/// where it is largest in this context, and the contexts where it fires most.
public final class TokenActivationsView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var cursor = TextCursor()
        /// The hook point, by its TransformerLens name (nil: the middle block's MLP neurons).
        public var hook: String?
        public var unit = 0
        public init() {}
    }

    /// A hook point's rows for every token of the text, for one model.
    struct Values {
        /// [tokens of every context in order, width].
        let values: Matrix<Float>
        /// The first row of each context.
        let starts: [Int]
    }

    public static let kind = "activations"
    public static let summary = "a unit of any hook point through the text: each token coloured by its activation; top tokens and contexts"

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let results = KeyedResult<HookKey, Values>()

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "Activations" }

    public enum Action: Sendable, Equatable {
        case cursor(TextCursor.Action)
        case hookNext, hookPrevious, unitNext, unitPrevious, unitNext10, unitPrevious10, unitTop
    }

    public var keyBindings: [KeyBinding<Action>] {
        TextCursor.bindings.map { KeyBinding($0.keys, .cursor($0.action), $0.help) } + [
            KeyBinding([.down, .char("j")], .hookNext, "next hook point"),
            KeyBinding([.up, .char("k")], .hookPrevious, "previous hook point"),
            KeyBinding([.right, .char("l")], .unitNext, "next unit"),
            KeyBinding([.left, .char("h")], .unitPrevious, "previous unit"),
            KeyBinding([.char("L")], .unitNext10, "10 units on"),
            KeyBinding([.char("H")], .unitPrevious10, "10 units back"),
            KeyBinding([.char("t")], .unitTop, "go to the context where the unit is largest")
        ]
    }

    private var model: LoadedTextModel { workspace.textModels[settings.cursor.model] }

    /// The hook points a unit can be read from: one row per token (not patterns), narrower than
    /// the vocabulary (not the logits).
    private var hooks: [HookPoint] { model.transformer.hookPoints.filter { !$0.isPattern && $0.name != "logits" } }

    private var hook: HookPoint {
        let all = hooks
        return all.first { $0.name == settings.hook } ?? all.first {
            $0.name == "blocks.\(model.transformer.config.layers / 2).mlp.hook_post"
        }
            ?? all[0]
    }

    public func opened(_ context: ViewContext) { compute(context) }

    /// The model and hook point the values are of.
    struct HookKey: Equatable {
        let model: Int
        let hook: String
    }

    private var key: HookKey { HookKey(model: settings.cursor.model, hook: hook.name) }

    /// Runs the text through the model for the selected hook point, unless that is on hand.
    private func compute(_ context: ViewContext) {
        guard let text = workspace.text else { return }
        let transformer = model.transformer, label = model.reference, hook = self.hook
        results.request(key, "activations", in: context) { job in
            var rows: [Float] = [], starts: [Int] = [], tokens = 0
            try runContexts(transformer, text.contexts, keeping: [hook.name], job: job, label: label) { range, run in
                for c in range {
                    starts.append(tokens)
                    tokens += text.contexts[c].count
                }
                rows += run.hooks[hook.name]!.storage
            }
            return Values(values: Matrix(rows: tokens, cols: hook.width, storage: rows), starts: starts)
        }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        let names = hooks.map(\.name), at = names.firstIndex(of: hook.name) ?? 0
        switch action {
        case .cursor(let move):
            settings.cursor.perform(move, in: workspace)
            settings.hook = hooks.contains { $0.name == settings.hook } ? settings.hook : nil
        case .hookNext: settings.hook = names[min(at + 1, names.count - 1)]; settings.unit = 0
        case .hookPrevious: settings.hook = names[max(at - 1, 0)]; settings.unit = 0
        case .unitNext: settings.unit += 1
        case .unitPrevious: settings.unit -= 1
        case .unitNext10: settings.unit += 10
        case .unitPrevious10: settings.unit -= 10
        case .unitTop:
            guard let top = topContexts(count: 1).first else { return false }
            settings.cursor.context = top.context
        }
        settings.unit = min(max(settings.unit, 0), hook.width - 1)
        compute(context)
        return true
    }

    // MARK: Figures

    /// The values of the selected model and hook point, when they are on hand.
    private var shown: Values? { results.value(for: key) }

    /// The unit's values over context `c`'s tokens.
    private func unitValues(_ v: Values, context c: Int) -> [Float] {
        let count = workspace.text!.contexts[c].count
        return (0..<count).map { v.values[v.starts[c] + $0, settings.unit] }
    }

    /// Contexts by the unit's largest value in them, largest first, with the token where it is.
    func topContexts(count: Int) -> [(context: Int, position: Int, value: Float)] {
        guard let v = shown else { return [] }
        let best = workspace.text!.contexts.indices.map { c -> (Int, Int, Float) in
            let values = unitValues(v, context: c)
            let p = values.indices.max { values[$0] < values[$1] }!
            return (c, p, values[p])
        }
        return Array(best.sorted { $0.2 > $1.2 }.prefix(count))
    }

    public func exportTable() -> Table? {
        guard let v = shown, let text = workspace.text, let tokenizer = model.transformer.tokenizer else { return nil }
        let c = settings.cursor.context
        var table = Table(
            columns: ["model", "hook", "unit", "context", "line", "position", "token_id", "token", "activation"].map { .init($0) })
        for (p, value) in unitValues(v, context: c).enumerated() {
            let id = text.contexts[c][p]
            table.rows.append([
                .text(model.reference), .text(hook.name), .integer(settings.unit), .integer(c), .integer(text.documents[c] + 1),
                .integer(p),
                .integer(id), .text(tokenizer.decode([id], skipSpecialTokens: false)), .number(Double(value))
            ])
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let text = workspace.text, let tokenizer = model.transformer.tokenizer else { return }
        settings.cursor.clamp(in: workspace)
        let c = settings.cursor.context
        canvas.text(0, 0, model.title, Theme.heading)
        canvas.text(
            model.title.unicodeScalars.count, 0,
            "  \(hook.name) [\(hook.width)] · unit \(settings.unit) · \(settings.cursor.describe(text))")
        if let failure = results.failure { canvas.text(0, 1, failure, Theme.error); return }
        guard let v = shown else {
            canvas.text(0, 1, "running the text through \(model.reference)…", Theme.dim)
            return
        }
        let column = v.values.column(settings.unit)
        let limit = Double(column.map { abs($0) }.max() ?? 0)
        let scale = ColorScale.diverging(limit: limit)
        canvas.text(
            0, 1,
            "colour: the unit's activation, \(NumberFormat.readable(-limit)) … 0 … \(NumberFormat.readable(limit)) over the whole text",
            Theme.dim)
        let values = unitValues(v, context: c)
        let tokens = text.contexts[c].map { TokenText.shown($0, tokenizer) }
        let styles = values.map { value -> Style in
            guard canvas.colors.hasColor else {
                return abs(Double(value)) >= 0.5 * limit && limit > 0 ? Style(attributes: [.bold, .underline]) : .plain
            }
            let background = scale.color(Double(value))
            return Style(foreground: TokenColors.readable(on: background), background: background)
        }
        let listHeight = min(7, max(canvas.height - 3 - 4, 0))
        let textArea = Rect(x: 0, y: 3, width: canvas.width, height: canvas.height - 3 - listHeight)
        TokenText.render(tokens, styles: styles, selected: nil, canvas: canvas.sub(textArea))
        guard listHeight >= 3 else { return }
        let lists = Rect(x: 0, y: canvas.height - listHeight, width: canvas.width, height: listHeight).columns(2, gap: 3)
        let here = values.indices.sorted { values[$0] > values[$1] }.prefix(listHeight - 1)
        let left = canvas.sub(lists[0])
        left.text(0, 0, "largest in this context (position)", Theme.title)
        for (i, p) in here.enumerated() {
            left.text(0, i + 1, "\(p)")
            left.text(6, i + 1, NumberFormat.readable(Double(values[p])))
            left.text(16, i + 1, tokens[p], Theme.accent)
        }
        let right = canvas.sub(lists[1])
        right.text(0, 0, "contexts where it fires most (t: the first)", Theme.title)
        for (i, top) in topContexts(count: listHeight - 1).enumerated() {
            right.text(0, i + 1, "\(top.context + 1)")
            right.text(6, i + 1, NumberFormat.readable(Double(top.value)))
            right.text(16, i + 1, TokenText.shown(text.contexts[top.context][top.position], tokenizer), Theme.accent)
        }
    }
}

/// Text colours for coloured token backgrounds.
enum TokenColors {
    /// Black on light backgrounds, white on dark ones (relative luminance, Rec. 709 weights).
    static func readable(on background: Color) -> Color {
        guard case .rgb(let r, let g, let b) = background else { return .terminalDefault }
        let luminance = 0.2126 * Double(r) + 0.7152 * Double(g) + 0.0722 * Double(b)
        return luminance > 140 ? .rgb(0, 0, 0) : .rgb(255, 255, 255)
    }
}
