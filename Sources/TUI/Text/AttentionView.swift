import Figures
import Foundation
import LinAlg
import Tokenizers
import Transformers
import Workbench

/// Attention patterns of one context: for a block and a head, the queries × keys weights as a
/// heatmap (each row sums to 1), and for the selected query the tokens it attends to most.
public final class AttentionView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var cursor = TextCursor()
        public var layer = 0
        public var head = 0
        public var query = 0
        public init() {}
    }

    public static let kind = "attention"
    public static let summary = "attention patterns of a context per block and head: heatmap and the tokens a query attends to"

    public private(set) var settings: Settings
    private let workspace: Workspace
    /// Every block's pattern for one context: [heads·queries, keys] each.
    private let patterns = KeyedResult<ContextKey, [Matrix<Float>]>()

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "Attention" }

    public enum Action: Sendable, Equatable {
        case cursor(TextCursor.Action)
        case queryNext, queryPrevious, headNext, headPrevious, layerNext, layerPrevious
    }

    public var keyBindings: [KeyBinding<Action>] {
        TextCursor.bindings.map { KeyBinding($0.keys, .cursor($0.action), $0.help) } + [
            KeyBinding([.down, .char("j")], .queryNext, "next query token"),
            KeyBinding([.up, .char("k")], .queryPrevious, "previous query token"),
            KeyBinding([.right, .char("l")], .headNext, "next head"),
            KeyBinding([.left, .char("h")], .headPrevious, "previous head"),
            KeyBinding([.char("J")], .layerNext, "next block"),
            KeyBinding([.char("K")], .layerPrevious, "previous block")
        ]
    }

    private var model: LoadedTextModel { workspace.textModels[settings.cursor.model] }

    public func opened(_ context: ViewContext) { compute(context) }

    private var key: ContextKey { ContextKey(model: settings.cursor.model, context: settings.cursor.context) }

    private func compute(_ context: ViewContext) {
        guard let ids = workspace.text?.contexts[settings.cursor.context] else { return }
        let transformer = model.transformer
        patterns.request(key, "attention", in: context) { _ in
            let hooks = (0..<transformer.config.layers).map { "blocks.\($0).attn.hook_pattern" }
            let run = try transformer.run(ids, keeping: Set(hooks))
            return hooks.map { run.hooks[$0]! }
        }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .cursor(let move):
            let before = settings.cursor.context
            settings.cursor.perform(move, in: workspace)
            if settings.cursor.context != before { settings.query = 0 }
        case .queryNext: settings.query += 1
        case .queryPrevious: settings.query -= 1
        case .headNext: settings.head += 1
        case .headPrevious: settings.head -= 1
        case .layerNext: settings.layer += 1
        case .layerPrevious: settings.layer -= 1
        }
        clamp()
        compute(context)
        return true
    }

    private func clamp() {
        settings.cursor.clamp(in: workspace)
        let c = model.transformer.config
        settings.layer = min(max(settings.layer, 0), c.layers - 1)
        settings.head = min(max(settings.head, 0), c.heads - 1)
        settings.query = min(max(settings.query, 0), (workspace.text?.contexts[settings.cursor.context].count ?? 1) - 1)
    }

    /// The selected head's weights from query `q` to every key.
    func weights(_ layers: [Matrix<Float>], query q: Int) -> ArraySlice<Float> {
        let tokens = layers[settings.layer].cols
        return layers[settings.layer].row(settings.head * tokens + q)
    }

    public func exportTable() -> Table? {
        let c = settings.cursor.context
        guard let p = patterns.value(for: key), let ids = workspace.text?.contexts[c], let tokenizer = model.transformer.tokenizer else {
            return nil
        }
        var table = Table(
            columns: ["model", "context", "block", "head", "query", "query_token", "key", "key_token", "weight"].map { .init($0) })
        for q in ids.indices {
            for (k, w) in weights(p, query: q).enumerated() {
                table.rows.append([
                    .text(model.reference), .integer(c), .integer(settings.layer), .integer(settings.head), .integer(q),
                    .text(tokenizer.decode([ids[q]], skipSpecialTokens: false)), .integer(k),
                    .text(tokenizer.decode([ids[k]], skipSpecialTokens: false)), .number(Double(w))
                ])
            }
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let text = workspace.text, let tokenizer = model.transformer.tokenizer else { return }
        clamp()
        let ids = text.contexts[settings.cursor.context], q = settings.query
        let c = model.transformer.config
        canvas.text(0, 0, model.title, Theme.heading)
        canvas.text(
            model.title.unicodeScalars.count, 0,
            "  block \(settings.layer)/\(c.layers - 1) · head \(settings.head)/\(c.heads - 1) · \(settings.cursor.describe(text)) · query \(q) '\(TokenText.shown(ids[q], tokenizer))'"
        )
        if let failure = patterns.failure { canvas.text(0, 1, failure, Theme.error); return }
        guard let p = patterns.value(for: key) else {
            canvas.text(0, 1, "computing the attention patterns…", Theme.dim)
            return
        }
        let tokens = ids.count
        let listWidth = min(40, canvas.width / 3)
        let map = canvas.sub(Rect(x: 0, y: 2, width: canvas.width - listWidth - 2, height: canvas.height - 2))
        // A window of the queries × keys matrix that keeps the selected query in view.
        let rowsFit = canvas.colors.hasColor ? 2 * (map.height - 1) : map.height - 1
        let (rows, cols) = (min(tokens, max(rowsFit, 1)), min(tokens, max(map.width, 1)))
        let top = min(max(q - rows / 2, 0), tokens - rows), left = min(max(q - cols / 2, 0), tokens - cols)
        var values = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            let row = weights(p, query: top + r)
            for k in 0..<cols { values[r * cols + k] = Double(row[row.startIndex + left + k]) }
        }
        let attended = weights(p, query: q)
        let strongest = attended.indices.max { attended[$0] < attended[$1] }! - attended.startIndex
        let cursor = strongest >= left && strongest < left + cols ? (q - top) * cols + strongest - left : nil
        map.text(0, 0, "queries \(top)…\(top + rows - 1) ↓ × keys \(left)…\(left + cols - 1) →  (0 … 1)", Theme.dim)
        Heatmap(values: values, rows: rows, cols: cols, scale: .sequential(low: 0, high: 1), cursor: cursor)
            .render(map.sub(Rect(x: 0, y: 1, width: map.width, height: map.height - 1)))
        let list = canvas.sub(Rect(x: canvas.width - listWidth, y: 2, width: listWidth, height: canvas.height - 2))
        list.text(0, 0, "query \(q) attends to", Theme.title)
        // Masked keys (after the query, in a causal model) have weight 0 and are not listed.
        let order = attended.indices.filter { attended[$0] > 0 }.sorted { attended[$0] > attended[$1] }.prefix(max(list.height - 1, 0))
        for (i, k) in order.enumerated() {
            let key = k - attended.startIndex
            let weight = Double(attended[k])
            list.text(0, i + 1, "\(key)")
            let bar = Int((weight * 10).rounded())
            list.text(5, i + 1, String(repeating: "█", count: bar) + String(repeating: "·", count: 10 - bar), Theme.accent)
            list.text(16, i + 1, NumberFormat.readable(weight, digits: 2))
            list.text(23, i + 1, TokenText.shown(ids[key], tokenizer), .plain, maxWidth: listWidth - 23)
        }
    }
}
