import Figures
import Foundation
import Interpret
import Transformers
import Workbench

/// Trains a top-k SAE on one of model A's hook points from the workspace's text as the model
/// reads it (streamed through a shuffling buffer, as `loupe sae train CHECKPOINT --text` trains),
/// with its steps, tokens/s, loss, L0, FVU and dead latents live; the trained SAE becomes the
/// one the Prompt and Latents views read.
public final class TextSAEView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var hook: String?
        public var k = 16
        /// d_sae / d_in.
        public var expansion = 8
        public var steps = 300
        public var batch = 1024
        public init() {}
    }

    public static let kind = SAEView.kind
    public static let summary =
        "train a top-k SAE on a hook point from the text as the model reads it: live steps, tokens/s, loss, L0, FVU, dead latents"

    public private(set) var settings: Settings
    private let workspace: Workspace
    /// The run under way or last finished: its curve, and its status line.
    private var curve: [SAETrainingPoint] = []
    private var status = ""
    /// How the run ended: the SAE installed, or stopped.
    private var ending: String?
    private var failure: String?
    private var job: JobControl?
    private var generation = 0
    /// SAEs trained here, for their names.
    private var trained = 0

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        if let model = workspace.textModels.first?.transformer, self.settings.hook.map({ !Self.hooks(model).contains($0) }) ?? true {
            self.settings.hook = "blocks.\(model.config.layers / 2).hook_resid_post"
        }
    }

    public var title: String { "SAE" }

    /// The hook points with a row per token, which an SAE can read.
    static func hooks(_ model: Transformer) -> [String] { model.hookPoints.filter { !$0.isPattern }.map(\.name) }

    public enum Action: Sendable, Equatable { case train, hookNext, hookPrevious, kUp, kDown, stepsMore, stepsFewer }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding(
                [.char("t")], .train, "train a top-k SAE with the settings shown (again: retrain); the Latents and Prompt views then use it"
            ),
            KeyBinding([.char("h")], .hookNext, "next hook point"),
            KeyBinding([.char("H")], .hookPrevious, "previous hook point"),
            KeyBinding([.char("+"), .char("=")], .kUp, "k up"),
            KeyBinding([.char("-")], .kDown, "k down"),
            KeyBinding([.char(">")], .stepsMore, "twice the training steps"),
            KeyBinding([.char("<")], .stepsFewer, "half the training steps")
        ]
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        guard let model = workspace.textModels.first?.transformer else { return false }
        switch action {
        case .train: train(model, context)
        case .hookNext, .hookPrevious:
            let all = Self.hooks(model), i = settings.hook.flatMap { all.firstIndex(of: $0) } ?? 0
            settings.hook = all[(i + (action == .hookNext ? 1 : all.count - 1)) % all.count]
        case .kUp, .kDown: settings.k = SAEView.step(settings.k, along: SAEView.kLadder, up: action == .kUp)
        case .stepsMore: settings.steps = min(settings.steps * 2, SAEView.stepsRange.upperBound)
        case .stepsFewer: settings.steps = max(settings.steps / 2, SAEView.stepsRange.lowerBound)
        }
        return true
    }

    /// Trains in the background, delivering each step's figures; at the end the SAE is the
    /// workspace's.
    private func train(_ model: Transformer, _ context: ViewContext) {
        guard let text = workspace.text, let hook = settings.hook, let reference = workspace.textModels.first?.reference else { return }
        job?.cancel()
        generation += 1
        trained += 1
        let (generation, settings, name) = (self.generation, self.settings, "SAE \(trained) trained here on \(hook)")
        (curve, status, ending, failure) = ([], "starting: the model reads the text into the buffer…", nil, nil)
        job = context.jobs.submit(
            "SAE on \(hook)",
            work: { [weak self] job in
                let spec = TextHookSpec(
                    reference: reference, model: model, hook: hook, text: text.corpus.url.path, corpus: text.corpus, cutter: text.cutter,
                    excludeSpecial: false)
                let width = try model.tokenRowWidth(hook, contextLength: text.cutter.length)
                let options = SAETrainingOptions(
                    architecture: .topk, latents: settings.expansion * width, k: settings.k, steps: settings.steps,
                    batchSize: settings.batch, seed: 0)
                var (session, stream, _) = try spec.trainingSession(options: options)
                let started = DispatchTime.now().uptimeNanoseconds
                while !session.isFinished {
                    try job.checkCancellation()
                    let point = try session.advance()
                    let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
                    let line = String(
                        format: "step %d/%d · %@ tokens/s · loss %.4g · L0 %.1f · FVU %.4f · dead %.1f %%%@", point.step,
                        settings.steps, NumberFormat.grouped(Int(Double(point.step * settings.batch) / max(seconds, 1e-9))),
                        point.loss.total, point.loss.l0, point.loss.fvu, 100 * point.deadFraction,
                        stream.pass > 1 ? " · pass \(stream.pass) over the text" : "")
                    _ = job.report(Double(point.step) / Double(settings.steps), line)
                    job.deliver {
                        guard let self, self.generation == generation else { return }
                        self.curve.append(point)
                        self.status = line
                    }
                }
                let sae = session.finish().sae
                job.deliver {
                    guard let self, self.generation == generation else { return }
                    self.workspace.sae = LoadedSAE(reference: name, sae: sae, hook: hook)
                    self.ending = "done: the Latents and Prompt views read \(name)"
                }
            },
            completion: { [weak self] outcome in
                guard let self, self.generation == generation else { return }
                switch outcome {
                case .finished: break
                case .cancelled: self.ending = "stopped before the last step; t trains again"
                case .failed(let message): self.failure = message
                }
            })
    }

    /// The training curve so far: one row per step.
    public func exportTable() -> Table? {
        guard !curve.isEmpty else { return nil }
        return Table(
            ["step", "loss", "mse", "L0", "FVU", "dead fraction", "learning rate"],
            rows: curve.map { p in
                [
                    .integer(p.step), .number(p.loss.total), .number(p.loss.mse), .number(p.loss.l0), .number(p.loss.fvu),
                    .number(p.deadFraction), .number(p.learningRate)
                ]
            })
    }

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let model = workspace.textModels.first else { return }
        let width = (try? model.transformer.tokenRowWidth(settings.hook ?? "", contextLength: 1)) ?? 0
        canvas.text(0, 0, "top-k SAE on \(model.title) \(settings.hook ?? "?")", Theme.heading)
        canvas.text(
            0, 1, "k \(settings.k) · d_sae \(settings.expansion * width) · \(settings.steps) steps of \(settings.batch) tokens", Theme.dim)
        func block(_ text: String, _ style: Style, at y: Int) -> Int {
            y + TextBlock.render(text, style, canvas: canvas.sub(Rect(x: 0, y: y, width: canvas.width, height: max(canvas.height - y, 0))))
        }
        if let failure {
            _ = block(failure, Theme.error, at: 2)
            return
        }
        guard job != nil else {
            // The SAE reads the whole file, not only the lines the other views show.
            let file = workspace.text?.corpus.url.lastPathComponent ?? "the text"
            _ = block(
                "t trains it from all of \(file) as the model reads it (h/H hook point, +/- k, >/< steps); the Latents and Prompt views then read it."
                    + (workspace.sae.map { " Now they read \($0.reference)." } ?? ""), Theme.dim, at: 2)
            return
        }
        var y = block(status, Theme.accent, at: 2)
        if let ending { y = block(ending, Theme.title, at: y) }
        TrainingCurves.render(curve, canvas.sub(Rect(x: 0, y: y + 1, width: canvas.width, height: max(canvas.height - y - 1, 0))))
    }
}
