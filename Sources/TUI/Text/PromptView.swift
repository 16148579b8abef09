import Figures
import Foundation
import Interpret
import LinAlg
import Transformers
import Workbench

/// A text of one's own through model A: `i` types a prompt, Enter runs it; its tokens, the
/// selected token's likeliest next tokens, and (with an SAE open) the latents active at that
/// token with their values. Enter on a latent opens its dashboard in the Latents view.
public final class PromptView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var prompt = ""
        public var token = 0
        /// The selected row of the active latents.
        public var latentRow = 0
        public init() {}
    }

    /// A prompt through the model: its tokens, the next-token probabilities at each, and the
    /// SAE's codes at each [tokens, d_sae] (nil without an SAE).
    struct Reading {
        let ids: [Int]
        let next: [[(token: Int, probability: Double)]]
        let codes: Matrix<Float>?
    }

    public static let kind = "prompt"
    public static let summary = "type a text: its tokens, the next-token predictions, and the SAE latents active at a token"
    static let listed = 8

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let readings = KeyedResult<String, Reading>()
    private var editor: LineEditor?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
    }

    public var title: String { "Prompt" }
    public var capturesTyping: Bool { editor != nil }

    public enum Action: Sendable, Equatable { case edit, tokenNext, tokenPrevious, latentNext, latentPrevious, openLatent }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("i")], .edit, "type a prompt (Enter runs it, Esc leaves it)"),
            KeyBinding([.right, .char("l")], .tokenNext, "next token"),
            KeyBinding([.left, .char("h")], .tokenPrevious, "previous token"),
            KeyBinding([.down, .char("j")], .latentNext, "next active latent"),
            KeyBinding([.up, .char("k")], .latentPrevious, "previous active latent"),
            KeyBinding([.enter], .openLatent, "the selected latent's dashboard (Latents view)")
        ]
    }

    private var model: LoadedTextModel { workspace.textModels[0] }

    public func opened(_ context: ViewContext) { compute(context) }

    public func handle(_ key: Key, _ context: ViewContext) -> Bool {
        guard var editing = editor else {
            guard let action = keyBindings.action(for: key) else { return false }
            return perform(action, context)
        }
        switch key {
        case .enter:
            settings.prompt = editing.text
            settings.token = Int.max  // the last token: the reading clamps it
            settings.latentRow = 0
            editor = nil
            compute(context)
        case .escape: editor = nil
        default:
            _ = editing.handle(key)
            editor = editing
        }
        return true
    }

    private func compute(_ context: ViewContext) {
        guard !settings.prompt.isEmpty, let tokenizer = model.transformer.tokenizer else { return }
        let (transformer, prompt, sae) = (model.transformer, settings.prompt, workspace.sae)
        readings.request(prompt, "prompt", in: context) { _ in
            let cutter = try ContextCutter(for: transformer, length: nil, specials: .tokenizer)
            guard let ids = cutter.contexts(try tokenizer.encode(prompt, addSpecialTokens: false)).first else {
                throw WorkbenchError("the prompt has no tokens")
            }
            let run = try transformer.run(ids, keeping: Set(["logits"] + (sae.map { [$0.hook] } ?? [])))
            let logits = run.hooks["logits"]
            let next = ids.indices.map { t -> [(token: Int, probability: Double)] in
                guard let row = logits?.row(t) else { return [] }
                let p = Logits.probabilities(row)
                return p.indices.sorted { p[$0] > p[$1] }.prefix(Self.listed).map { ($0, p[$0]) }
            }
            return Reading(ids: ids, next: next, codes: sae.map { $0.sae.encode(run.hooks[$0.hook]!).dense })
        }
    }

    /// The latents active at the selected token, strongest first.
    private func active(_ r: Reading) -> [(latent: Int, value: Float)] {
        guard let codes = r.codes else { return [] }
        let row = codes.row(settings.token)
        return row.indices.filter { row[$0] > 0 }.sorted { row[$0] > row[$1] }.map { ($0 - row.startIndex, row[$0]) }
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        let reading = readings.value(for: settings.prompt)
        switch action {
        case .edit: editor = LineEditor(settings.prompt)
        case .tokenNext: settings.token += 1; settings.latentRow = 0
        case .tokenPrevious: settings.token -= 1; settings.latentRow = 0
        case .latentNext: settings.latentRow += 1
        case .latentPrevious: settings.latentRow -= 1
        case .openLatent:
            guard let reading, let chosen = active(reading)[safe: settings.latentRow] else { return false }
            workspace.selectedLatent = chosen.latent
            context.open(LatentsView.kind)
            return true
        }
        clamp(reading)
        return true
    }

    private func clamp(_ reading: Reading?) {
        settings.token = min(max(settings.token, 0), max((reading?.ids.count ?? 1) - 1, 0))
        settings.latentRow = min(max(settings.latentRow, 0), max((reading.map(active)?.count ?? 1) - 1, 0))
    }

    public func exportTable() -> Table? {
        guard let r = readings.value(for: settings.prompt), let tokenizer = model.transformer.tokenizer else { return nil }
        var table = Table(columns: ["position", "token_id", "token", "latent", "activation"].map { .init($0) })
        for t in r.ids.indices {
            let row = r.codes?.row(t)
            let fired = row.map { row in row.indices.filter { row[$0] > 0 }.map { ($0 - row.startIndex, row[$0]) } } ?? []
            for (latent, value) in fired.isEmpty ? [(-1, Float(0))] : fired {
                table.rows.append([
                    .integer(t), .integer(r.ids[t]), .text(tokenizer.decode([r.ids[t]], skipSpecialTokens: false)),
                    latent < 0 ? .missing : .integer(latent), latent < 0 ? .missing : .number(Double(value))
                ])
            }
        }
        return table
    }

    // MARK: Drawing

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let tokenizer = model.transformer.tokenizer else { return }
        canvas.text(0, 0, model.title, Theme.heading)
        if let editor {
            let x = canvas.text(0, 1, "prompt: ", Theme.accent)
            canvas.text(x, 1, editor.text + "▏", Theme.title)
            canvas.text(0, 2, "Enter runs it · Esc leaves the prompt as it was", Theme.dim)
            return
        }
        guard !settings.prompt.isEmpty else {
            canvas.text(0, 1, "i types a prompt", Theme.dim)
            return
        }
        if let failure = readings.failure { canvas.text(0, 1, failure, Theme.error); return }
        guard let r = readings.value(for: settings.prompt) else {
            canvas.text(0, 1, "running the prompt…", Theme.dim)
            return
        }
        clamp(r)
        let tokens = r.ids.map { TokenText.shown($0, tokenizer) }
        let used = TokenText.render(
            tokens, styles: tokens.map { _ in Theme.title }, selected: settings.token,
            canvas: canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: max(min(4, canvas.height - 4), 1))))
        let y = 2 + used
        let (left, right) = canvas.sub(Rect(x: 0, y: y, width: canvas.width, height: canvas.height - y)).bounds.splitLeft(canvas.width / 2)
        let latents = canvas.sub(Rect(x: left.x, y: y + left.y, width: left.width - 1, height: left.height))
        let next = canvas.sub(Rect(x: right.x + 1, y: y + right.y, width: right.width - 1, height: right.height))
        let selected = "token \(settings.token) '\(tokens[settings.token])'"
        next.text(0, 0, "next after \(selected)", Theme.title)
        for (i, n) in r.next[settings.token].enumerated() where i + 1 < next.height {
            next.text(0, i + 1, NumberFormat.readable(n.probability, digits: 3))
            next.text(10, i + 1, TokenText.shown(n.token, tokenizer), Theme.accent)
        }
        guard let sae = workspace.sae else {
            latents.text(0, 0, "no SAE open (--sae DIR shows its latents here)", Theme.dim)
            return
        }
        let list = active(r)
        latents.text(0, 0, "\(list.count) latents of the SAE active at \(selected)", Theme.title)
        for (i, a) in list.enumerated() where i + 1 < latents.height {
            let style = i == settings.latentRow ? Theme.selected : Style.plain
            latents.text(0, i + 1, "latent \(a.latent)".padding(toLength: 14, withPad: " ", startingAt: 0), style)
            latents.text(14, i + 1, NumberFormat.readable(Double(a.value)), style)
        }
    }
}
