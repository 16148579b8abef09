import Figures
import Foundation
import Interpret
import Networks
import Workbench

/// Sparse dictionary learning on one layer of a model (docs/methods.md): train an SAE in the
/// background on the workspace data's activations at that layer, with live loss, L0 and FVU
/// curves; then its metrics, the density of its latents (log10 frequency), the distribution of
/// active latents per sample (matching pursuit's is the one worth reading), the dark matter of
/// its error, and a latent browser: a sortable, filterable table of latents and, for the
/// selected one, its top-activating samples as images, its decoder direction as a picture and
/// its effect on each class logit through the rest of the network.
///
/// The model is picked among the workspace's and the demo models (model A by default). The
/// view trains when it is first shown and on `t`; changing a setting does not retrain until
/// `t`. Esc stops training and keeps the SAE as it was at that step (it is then analysed like
/// a finished one). Sessions keep the settings, not the SAE: a restored view trains again, and
/// since training is seeded the same settings give the same SAE.
public final class SAEView: RegisteredView {
    /// The parts of the view; the focused one is what `e` exports and what a small terminal shows.
    public enum Panel: String, Codable, CaseIterable, Sendable {
        case training, metrics, density, latents, latent
    }

    public struct Settings: Codable, Equatable {
        public var model: String?
        public var layer: String?
        // The workbench's preset of the training options (SAETrainingOptions.workbench).
        public var architecture = SAETrainingOptions.workbench.architecture
        /// Active latents per sample (top-k, batch top-k) or pursuit steps (matching pursuit).
        public var k = SAETrainingOptions.workbench.k
        /// λ of standard, gated and JumpReLU SAEs; nil: the architecture's default.
        public var sparsity: Double?
        /// d_sae = expansion × d_in.
        public var expansion = Int(SAETrainingOptions.workbench.expansionFactor)
        public var steps = SAETrainingOptions.workbench.steps
        public var batchSize = SAETrainingOptions.workbench.batchSize
        public var seed: UInt64 = 0
        /// The latent table: most frequent latents first.
        public var table = SAEView.defaultTable
        /// What `/` asked for (see `LatentFilter`).
        public var filter = ""
        public var panel = Panel.training
        public init() {}
    }

    public static let kind = "sae"
    public static let summary = "train a sparse autoencoder on a layer: live curves, metrics, density, dark matter, latent browser"

    static var defaultTable: TableState {
        var t = TableState()
        t.sortColumn = LatentTable.frequencyColumn
        t.descending = true
        return t
    }

    /// Samples kept per latent for the browser.
    static let topCount = 12
    static let kLadder = [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512]
    static let expansionLadder = [1, 2, 4, 8, 16, 32]
    static let stepsRange = 25...51_200

    /// What a training run was asked to do: the settings that shape the SAE.
    struct Request: Equatable {
        let model: String
        let layer: String
        let options: SAETrainingOptions
    }

    /// A training run: its curve as it grows, then the SAE (at the end, or where Esc stopped it).
    struct TrainingRun {
        let request: Request
        /// The options with every default resolved (d_sae, warm-up, …).
        let options: SAETrainingOptions
        let source: LayerActivationSource
        /// The shape of one sample of the layer, and of the model's input image (nil when not an image).
        let layerShape: [Int]
        let imageShape: [Int]?
        let imageRange: (Double, Double)?
        var curve: [SAETrainingPoint] = []
        var sae: SparseAutoencoder<Float>?
        /// The step Esc stopped the run at; nil when it ran to the end.
        var stoppedAt: Int?
        var seconds = 0.0
    }

    /// What the analysis of a trained SAE found on the workspace's data.
    struct Findings {
        let report: SAEReport
        let top: [[LatentActivation]]
        /// Per latent, the mean change of each class score when it is removed from x̂ (nil: never fires).
        let effects: [[Double]?]
        let table: Table
    }

    enum Analysis {
        case none
        case running
        case done(Findings)
        /// Why there are no findings (cancelled, failed).
        case unavailable(String)
    }

    /// Set by the drawing code too: the table keeps its cursor and scroll in range.
    public internal(set) var settings: Settings
    let workspace: Workspace
    private let picker: ModelPicker
    /// Bumped whenever a run starts, so that late results of an earlier run are dropped.
    private var generation = 0
    /// The running job, so that a new run can cancel the one it replaces.
    private var job: JobControl?
    private(set) var failure: String?
    /// The layers an SAE can read in the chosen model (once it is loaded).
    private(set) var layers: [String] = []
    private(set) var run: TrainingRun?
    private(set) var analysis = Analysis.none
    /// The latent table restricted by the filter (rebuilt when either changes).
    private(set) var filtered: Table?
    private(set) var filterProblem: String?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        picker = ModelPicker(workspace: workspace, preferred: self.settings.model, fallback: "demo:mlp-1")
        self.settings.model = picker.reference
        filterProblem = LatentFilter.parse(self.settings.filter).problem
    }

    public var title: String { "SAE" }

    /// What the view's keys do; `table` moves through the latent table.
    public enum Action: Sendable, Equatable {
        case train, analyse, modelNext, modelPrevious, layerNext, architectureNext, architecturePrevious, sparsityMore, sparsityLess,
            latentsMore, latentsFewer, stepsMore, stepsFewer, panelNext, panelPrevious, latentOpen, latentClose
        case table(TableState.Action)
    }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("t")], .train, "train an SAE with the settings shown (again: retrain); Esc stops and keeps it"),
            KeyBinding([.char("r")], .analyse, "analyse the trained SAE again (after a cancelled analysis)"),
            KeyBinding([.char("m")], .modelNext, "next model (the workspace's, then the demo models)"),
            KeyBinding([.char("M")], .modelPrevious, "previous model"),
            KeyBinding([.char("L")], .layerNext, "next layer (input included)"),
            KeyBinding(
                [.char("a")], .architectureNext, "next architecture: \(SAEArchitecture.allCases.map(\.rawValue).joined(separator: ", "))"),
            KeyBinding([.char("A")], .architecturePrevious, "previous architecture"),
            KeyBinding([.char("+"), .char("=")], .sparsityMore, "k up (top-k, batch top-k, MP), or λ up (standard, gated, JumpReLU)"),
            KeyBinding([.char("-")], .sparsityLess, "k down, or λ down"),
            KeyBinding([.char("d")], .latentsMore, "twice as many latents (d_sae = expansion × d_in)"),
            KeyBinding([.char("D")], .latentsFewer, "half as many latents"),
            KeyBinding([.char(">")], .stepsMore, "twice the training steps"),
            KeyBinding([.char("<")], .stepsFewer, "half the training steps"),
            KeyBinding([.char("f")], .panelNext, "focus the next panel (what e exports; small terminals show only it)"),
            KeyBinding([.char("F")], .panelPrevious, "focus the previous panel"),
            KeyBinding([.enter], .latentOpen, "the selected latent's details (again: back to the table)"),
            KeyBinding([.escape], .latentClose, "back from the latent to the table")
        ] + TableState.bindings.map { KeyBinding($0.keys, .table($0.action), "latent table: " + $0.help) }
    }

    // MARK: Jobs

    public func opened(_ context: ViewContext) { start(context) }

    /// Loads the chosen model if need be, then trains.
    private func start(_ context: ViewContext) {
        failure = nil
        picker.load(context) { [weak self] network in
            guard let self else { return }
            self.adopt(network)
            self.train(network, context)
        }
    }

    /// Learns the model's layers and settles on one.
    private func adopt(_ network: Network<Float>) {
        layers = Self.layers(of: network)
        if settings.layer.map({ !layers.contains($0) }) ?? true { settings.layer = Self.defaultLayer(of: network) }
    }

    /// The input (unless it is token ids, which are no representation) and every layer up to
    /// the scores, flatten layers left out (they repeat the layer before).
    static func layers(of network: Network<Float>) -> [String] {
        (network.tokenTables.isEmpty ? ["input"] : [])
            + network.layers[0..<network.scoreIndex].filter { $0.operation.kind != "flatten" }.map(\.name)
    }

    /// The first nonlinearity's output (the first hidden representation), else the first layer
    /// offered (the input, or the embedding of token ids).
    static func defaultLayer(of network: Network<Float>) -> String {
        network.layers[0..<network.scoreIndex].first { if case .activation = $0.operation { return true } else { return false } }?.name
            ?? layers(of: network)[0]
    }

    /// The training options the settings describe.
    var requestedOptions: SAETrainingOptions {
        SAETrainingOptions(
            architecture: settings.architecture, expansionFactor: Double(settings.expansion), k: settings.k,
            sparsityCoefficient: settings.sparsity, steps: settings.steps, batchSize: settings.batchSize,
            seed: settings.seed)
    }

    var request: Request? {
        settings.layer.map { Request(model: picker.reference, layer: $0, options: requestedOptions) }
    }

    /// Trains on the chosen layer in the background, delivering the curve step by step; then analyses.
    private func train(_ network: Network<Float>, _ context: ViewContext) {
        guard let request else { return }
        job?.cancel()
        generation += 1
        let generation = self.generation
        analysis = .none
        filtered = nil
        let source: LayerActivationSource, options: SAETrainingOptions, layerShape: [Int]
        do {
            source = try LayerActivationSource(network: network, layer: request.layer, data: workspace.data)
            options = try request.options.resolved(inputSize: source.dimension)
            layerShape = try network.shape(of: request.layer)
        } catch {
            run = nil
            failure = "\(error)"
            return
        }
        let image = network.input.image ?? (network.input.shape.count == 3 ? network.input.shape : nil)
        run = TrainingRun(
            request: request, options: options, source: source, layerShape: layerShape,
            imageShape: image, imageRange: network.input.range.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
        job = context.jobs.submit(
            "SAE on \(request.layer)",
            work: { [weak self] job in
                var session = try SAETrainingSession(source: source, options: options)
                let started = Date()
                while !session.isFinished && !job.isCancelled {
                    let point = try session.advance()
                    let l = point.loss
                    job.report(
                        Double(point.step) / Double(options.steps),
                        String(format: "step %d/%d  loss %.4g  L0 %.1f  FVU %.4f", point.step, options.steps, l.total, l.l0, l.fvu))
                    job.deliver { if let self, self.generation == generation { self.run?.curve.append(point) } }
                }
                guard session.step > 0 else { return }
                let sae = session.finish().sae
                let stoppedAt = session.isFinished ? nil : session.step
                let seconds = Date().timeIntervalSince(started)
                job.deliver {
                    guard let self, self.generation == generation else { return }
                    self.run?.sae = sae
                    self.run?.stoppedAt = stoppedAt
                    self.run?.seconds = seconds
                    self.analyse(context)
                }
            },
            completion: { [weak self] outcome in
                guard let self, self.generation == generation else { return }
                switch outcome {
                case .finished: break
                case .cancelled:
                    if self.run?.sae == nil { self.failure = "training was cancelled before its first step; t trains again" }
                case .failed(let message): self.failure = message
                }
            })
    }

    /// Metrics and dark matter (`SAEAnalysis`), every latent's top samples and logit effects.
    private func analyse(_ context: ViewContext) {
        guard let run, let sae = run.sae else { return }
        let generation = self.generation, source = run.source, seed = settings.seed
        analysis = .running
        job = context.jobs.submit(
            "SAE analysis",
            work: { [weak self] job in
                let report = try SAEAnalysis.analyse(sae, on: source, options: SAEAnalysisOptions(seed: seed)) { f, s in
                    job.report(0.5 * f, s)
                }
                let top = try sae.topActivations(on: source, count: Self.topCount) { f, s in job.report(0.5 + 0.2 * f, s) }
                let effects = try sae.logitEffects(on: source) { f, s in job.report(0.7 + 0.3 * f, s) }
                let table = LatentTable.make(metrics: report.metrics, top: top, effects: effects)
                job.deliver {
                    guard let self, self.generation == generation else { return }
                    self.analysis = .done(Findings(report: report, top: top, effects: effects, table: table))
                    self.refilter()
                }
            },
            completion: { [weak self] outcome in
                guard let self, self.generation == generation, case .running = self.analysis else { return }
                switch outcome {
                case .finished: break
                case .cancelled: self.analysis = .unavailable("analysis cancelled; r analyses the SAE again")
                case .failed(let message): self.analysis = .unavailable(message)
                }
            })
    }

    // MARK: Choices

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .train:
            start(context)
        case .analyse:
            guard run?.sae != nil, !isAnalysing else { return false }
            analyse(context)
        case .modelNext, .modelPrevious:
            picker.step(action == .modelNext ? 1 : -1)
            settings.model = picker.reference
            settings.layer = nil
            layers = []
            picker.load(context) { [weak self] network in self?.adopt(network) }
        case .layerNext:
            guard let network = picker.network else { return false }
            if layers.isEmpty { adopt(network) }
            let i = settings.layer.flatMap { layers.firstIndex(of: $0) } ?? -1
            settings.layer = layers[(i + 1) % layers.count]
        case .architectureNext, .architecturePrevious:
            let all = SAEArchitecture.allCases, i = all.firstIndex(of: settings.architecture)!
            settings.architecture = all[(i + (action == .architectureNext ? 1 : all.count - 1)) % all.count]
            settings.sparsity = nil
        case .sparsityMore, .sparsityLess:
            let up = action == .sparsityMore
            if settings.architecture.usesK {
                settings.k = Self.step(settings.k, along: Self.kLadder, up: up)
            } else {
                settings.sparsity = Self.stepOneTwoFive(sparsity, up: up)
            }
        case .latentsMore, .latentsFewer:
            settings.expansion = Self.step(settings.expansion, along: Self.expansionLadder, up: action == .latentsMore)
        case .stepsMore: settings.steps = min(settings.steps * 2, Self.stepsRange.upperBound)
        case .stepsFewer: settings.steps = max(settings.steps / 2, Self.stepsRange.lowerBound)
        case .panelNext, .panelPrevious:
            let all = Panel.allCases, i = all.firstIndex(of: settings.panel)!
            settings.panel = all[(i + (action == .panelNext ? 1 : all.count - 1)) % all.count]
        case .latentOpen:
            settings.panel = settings.panel == .latent ? .latents : .latent
        case .latentClose:
            guard settings.panel == .latent else { return false }
            settings.panel = .latents
        case .table(let move):
            settings.table.perform(move, columns: LatentTable.columns.count)
        }
        return true
    }

    /// The next value of `ladder` above (or below) `value`; the end of the ladder stays put.
    static func step(_ value: Int, along ladder: [Int], up: Bool) -> Int {
        up ? ladder.first { $0 > value } ?? value : ladder.last { $0 < value } ?? value
    }

    /// The next value of the 1-2-5 series (… 0.5, 1, 2, 5, 10 …) above (or below) `value`.
    static func stepOneTwoFive(_ value: Double, up: Bool) -> Double {
        let decade = pow(10, (log10(value)).rounded(.down))
        let series = [-1.0, 0, 1].flatMap { e in [1.0, 2, 5].map { $0 * decade * pow(10, e) } }
        let next = up ? series.first { $0 > value * (1 + 1e-9) } : series.last { $0 < value * (1 - 1e-9) }
        return next ?? value
    }

    /// λ as the next run would use it.
    var sparsity: Double { settings.sparsity ?? SAETrainingOptions.defaultSparsityCoefficient(settings.architecture) }

    var isAnalysing: Bool { if case .running = analysis { return true } else { return false } }

    public func applyFilter(_ text: String) -> Bool {
        settings.filter = text
        refilter()
        return true
    }

    /// Rebuilds the filtered latent table.
    private func refilter() {
        let filter = LatentFilter.parse(settings.filter)
        filterProblem = filter.problem
        guard case .done(let findings) = analysis else { filtered = nil; return }
        filtered = filter.apply(to: findings.table, denseThreshold: findings.report.metrics.denseThreshold)
    }

    /// The findings, once the analysis is done.
    var findings: Findings? {
        if case .done(let f) = analysis { return f }
        return nil
    }

    /// The latent under the table's cursor (in the order and filter shown).
    var selectedLatent: Int? {
        guard let filtered else { return nil }
        let rows = TableWidget.visibleRows(filtered, settings.table)
        guard !rows.isEmpty else { return nil }
        let row = rows[min(max(settings.table.selectedRow, 0), rows.count - 1)]
        return filtered.rows[row][0].number.map { Int($0) }
    }

    var modelReference: String { picker.reference }
    var network: Network<Float>? { picker.network }
}

extension SAEView: FollowSource {
    /// The selected latent of the trained SAE, when it reads a layer of model A.
    var followable: Followable? {
        guard picker.reference == workspace.models.first?.reference, let sae = run?.sae, let layer = run?.request.layer,
            let j = selectedLatent
        else { return nil }
        return Followable(object: .latent(j), layer: layer, sae: sae)
    }
}
