import Figures
import Foundation
import LinAlg
import Tokenizers
import Transformers
import Workbench

/// The logit lens (nostalgebraist 2020): the residual stream after the embedding and after each
/// block, put through the final norm and the unembedding as if it were the last, shows what the
/// model would predict at that depth. A grid of the top token per layer and position around
/// the selected token, and for that token each layer's top tokens with their probabilities and
/// the probability and rank of the token that actually comes next.
public final class LogitLensView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var cursor = TextCursor()
        public var position = 0
        public init() {}
    }

    /// One context through the lens.
    struct Lens {
        struct Reading {
            /// The `LogitLensView.topCount` likeliest tokens, likeliest first.
            let top: [(id: Int, probability: Double)]
            /// The probability and rank (1 = likeliest) of the next token; nil at the last position.
            let next: (probability: Double, rank: Int)?
        }

        /// "embed", then "block 0" …: the stream each row reads.
        let layers: [String]
        /// [layer][position].
        let readings: [[Reading]]
    }

    public static let kind = "logitlens"
    public static let summary = "the logit lens: each block's residual stream unembedded, top tokens per layer and position"
    static let topCount = 5

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let lenses = KeyedResult<ContextKey, Lens>()

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "Logit lens" }

    public enum Action: Sendable, Equatable {
        case cursor(TextCursor.Action)
        case positionNext, positionPrevious, positionNext10, positionPrevious10
    }

    public var keyBindings: [KeyBinding<Action>] {
        TextCursor.bindings.map { KeyBinding($0.keys, .cursor($0.action), $0.help) } + [
            KeyBinding([.right, .char("l")], .positionNext, "next token"),
            KeyBinding([.left, .char("h")], .positionPrevious, "previous token"),
            KeyBinding([.char("L")], .positionNext10, "10 tokens on"),
            KeyBinding([.char("H")], .positionPrevious10, "10 tokens back")
        ]
    }

    private var model: LoadedTextModel { workspace.textModels[settings.cursor.model] }

    public func opened(_ context: ViewContext) { compute(context) }

    private var key: ContextKey { ContextKey(model: settings.cursor.model, context: settings.cursor.context) }

    private func compute(_ context: ViewContext) {
        guard let ids = workspace.text?.contexts[settings.cursor.context], model.transformer.hasHead else { return }
        let transformer = model.transformer
        lenses.request(key, "logit lens", in: context) { job in try Self.read(transformer, ids, job: job) }
    }

    /// The lens of one context: every layer's stream unembedded at every position.
    static func read(_ transformer: Transformer, _ ids: [Int], job: JobControl) throws -> Lens {
        let streams = ["blocks.0.hook_resid_pre"] + (0..<transformer.config.layers).map { "blocks.\($0).hook_resid_post" }
        let run = try transformer.run(ids, keeping: Set(streams))
        var readings: [[Lens.Reading]] = []
        for (l, stream) in streams.enumerated() {
            try job.checkCancellation()
            _ = job.report(Double(l) / Double(streams.count), "unembedding \(l == 0 ? "the embedding" : "block \(l - 1)")")
            let logits = try transformer.unembed(run.hooks[stream]!)
            readings.append(
                (0..<ids.count).map { p in
                    reading(logits.row(p), next: transformer.config.causal && p + 1 < ids.count ? ids[p + 1] : nil)
                })
        }
        return Lens(layers: ["embed"] + (0..<transformer.config.layers).map { "block \($0)" }, readings: readings)
    }

    /// The top tokens of one row of logits (softmax in Double), and the next token's place.
    static func reading(_ logits: ArraySlice<Float>, next: Int?) -> Lens.Reading {
        let z = Logits.logSumExp(logits)
        func probability(_ v: Float) -> Double { exp(Double(v) - z) }
        var best: [(id: Int, value: Float)] = []
        for (i, v) in logits.enumerated() where best.count < topCount || v > best[best.count - 1].value {
            let at = best.firstIndex { v > $0.value } ?? best.count
            best.insert((i, v), at: at)
            if best.count > topCount { best.removeLast() }
        }
        let nextPlace = next.map { n -> (Double, Int) in
            let v = logits[logits.startIndex + n]
            return (probability(v), 1 + logits.reduce(0) { $0 + ($1 > v ? 1 : 0) })
        }
        return Lens.Reading(top: best.map { ($0.id, probability($0.value)) }, next: nextPlace)
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .cursor(let move):
            let before = settings.cursor.context
            settings.cursor.perform(move, in: workspace)
            if settings.cursor.context != before { settings.position = 0 }
        case .positionNext: settings.position += 1
        case .positionPrevious: settings.position -= 1
        case .positionNext10: settings.position += 10
        case .positionPrevious10: settings.position -= 10
        }
        clampPosition()
        compute(context)
        return true
    }

    private func clampPosition() {
        let count = workspace.text?.contexts[settings.cursor.context].count ?? 1
        settings.position = min(max(settings.position, 0), count - 1)
    }

    public func exportTable() -> Table? {
        let c = settings.cursor.context
        guard let lens = lenses.value(for: key), let tokenizer = model.transformer.tokenizer, let ids = workspace.text?.contexts[c] else {
            return nil
        }
        var table = Table(
            columns: ["model", "context", "layer", "position", "token", "rank", "candidate", "probability", "next_probability", "next_rank"]
                .map { .init($0) })
        for (l, layer) in lens.layers.enumerated() {
            for (p, reading) in lens.readings[l].enumerated() {
                for (k, candidate) in reading.top.enumerated() {
                    table.rows.append([
                        .text(model.reference), .integer(c), .text(layer), .integer(p),
                        .text(tokenizer.decode([ids[p]], skipSpecialTokens: false)), .integer(k + 1),
                        .text(tokenizer.decode([candidate.id], skipSpecialTokens: false)), .number(candidate.probability),
                        reading.next.map { .number($0.probability) } ?? .missing, reading.next.map { .integer($0.rank) } ?? .missing
                    ])
                }
            }
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let text = workspace.text, let tokenizer = model.transformer.tokenizer else { return }
        settings.cursor.clamp(in: workspace)
        clampPosition()
        let ids = text.contexts[settings.cursor.context], p = settings.position
        canvas.text(0, 0, model.title, Theme.heading)
        var about = "  \(settings.cursor.describe(text)) · token \(p) '\(TokenText.shown(ids[p], tokenizer))'"
        if model.transformer.config.causal, p + 1 < ids.count { about += " → next '\(TokenText.shown(ids[p + 1], tokenizer))'" }
        canvas.text(model.title.unicodeScalars.count, 0, about)
        guard model.transformer.hasHead else {
            canvas.text(
                0, 1, "\(model.reference) has no language-model head: there is no unembedding to read the stream with.", Theme.warning)
            return
        }
        if let failure = lenses.failure { canvas.text(0, 1, failure, Theme.error); return }
        guard let lens = lenses.value(for: key) else {
            canvas.text(0, 1, "unembedding every layer of the context…", Theme.dim)
            return
        }
        let detailHeight = lens.layers.count + 2
        let gridHeight = canvas.height - 1 - detailHeight
        if gridHeight >= lens.layers.count + 2 {
            renderGrid(lens, ids, tokenizer, canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: gridHeight)))
        }
        renderDetail(
            lens, tokenizer, canvas.sub(Rect(x: 0, y: max(canvas.height - detailHeight, 1), width: canvas.width, height: detailHeight)))
    }

    /// Layers down, positions across (a window around the selected one): each cell the top
    /// token, its background the token's probability.
    private func renderGrid(_ lens: Lens, _ ids: [Int], _ tokenizer: Tokenizer, _ canvas: Canvas) {
        let labelWidth = 9, cellWidth = 9
        let columns = max((canvas.width - labelWidth) / cellWidth, 1)
        let first = min(max(settings.position - columns / 2, 0), max(ids.count - columns, 0))
        let positions = first..<min(first + columns, ids.count)
        canvas.text(0, 0, "input", Theme.dim)
        let scale = ColorScale.sequential(low: 0, high: 1)
        for (i, p) in positions.enumerated() {
            let style = p == settings.position ? Theme.selected : Theme.title
            canvas.text(labelWidth + i * cellWidth, 0, TokenText.shown(ids[p], tokenizer), style, maxWidth: cellWidth - 1)
        }
        for (l, layer) in lens.layers.enumerated().reversed() {
            let y = 1 + (lens.layers.count - 1 - l)
            canvas.text(0, y, layer, Theme.dim)
            for (i, p) in positions.enumerated() {
                let best = lens.readings[l][p].top[0]
                var style = Style.plain
                if canvas.colors.hasColor {
                    let background = scale.color(best.probability)
                    style = Style(foreground: TokenColors.readable(on: background), background: background)
                } else if best.probability >= 0.5 {
                    style = Style(attributes: .bold)
                }
                if p == settings.position { style = style.with(.underline) }
                let cell = TokenText.shown(best.id, tokenizer)
                canvas.text(
                    labelWidth + i * cellWidth, y, cell + String(repeating: " ", count: max(cellWidth - 1 - cell.unicodeScalars.count, 0)),
                    style, maxWidth: cellWidth - 1)
            }
        }
    }

    /// The selected position: each layer's top tokens and the next token's probability and rank.
    private func renderDetail(_ lens: Lens, _ tokenizer: Tokenizer, _ canvas: Canvas) {
        let causal = model.transformer.config.causal
        canvas.text(0, 0, "layer     p(next)  rank    top tokens (probability)", Theme.title)
        for (l, layer) in lens.layers.enumerated().reversed() {
            let y = 1 + (lens.layers.count - 1 - l)
            let reading = lens.readings[l][settings.position]
            canvas.text(0, y, layer, Theme.dim)
            if causal, let next = reading.next {
                canvas.text(10, y, NumberFormat.readable(next.probability, digits: 3))
                canvas.text(19, y, "\(next.rank)")
            }
            var x = 27
            for candidate in reading.top {
                let token = TokenText.shown(candidate.id, tokenizer)
                x += canvas.text(x, y, token, Theme.accent)
                x += canvas.text(x, y, " \(NumberFormat.readable(candidate.probability, digits: 2))  ", Theme.dim)
            }
        }
    }
}
