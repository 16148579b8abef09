import Figures
import Interpret
import Networks
import Workbench

/// A bilinear layer's class forms (docs/methods.md, Pearce et al. 2024): for the chosen class (or
/// the contrast of two), the eigenvalue spectrum of its interaction matrix, the strongest
/// positive and negative eigenvectors as images, the truncation curve (accuracy when every
/// class keeps its top k eigenvectors) on the workspace's data, and one sample's logit split
/// into its eigenvector contributions λ_i (v_i·x)².
///
/// The model is picked among those with a bilinear layer (the workspace's, then the demo
/// models; demo:bilinear by default). The decomposition and the truncation curve run as a
/// background job; a contrast form is one more job. A sample's contributions are one small
/// product per form, computed when the sample or form changes, never while drawing.
public final class BilinearView: RegisteredView {
    /// The parts of the view; the focused one is what `e` exports and what a small terminal shows.
    public enum Panel: String, Codable, CaseIterable, Sendable {
        case spectrum, eigenvectors, truncation, contributions
    }

    public struct Settings: Codable, Equatable {
        public var model: String?
        public var layer: String?
        /// The class (readout output) whose form is shown.
        public var form = 0
        /// With a class here, the form of `form` minus this one's (what makes the model prefer one over the other).
        public var versus: Int?
        public var sample = 0
        /// Eigenvectors shown each way.
        public var top = BilinearReport.defaultTop
        public var panel = Panel.spectrum
        public init() {}
    }

    public static let kind = "bilinear"
    public static let summary = "a bilinear layer's class forms: spectrum, top ± eigenvectors, truncation curve, per-sample contributions"
    static let maxTop = 6

    enum Truncation {
        case pending
        case done(TruncationCurve)
        /// Why there is no curve (no labels, data that does not fit, no logit readout, cancelled).
        case unavailable(String)
    }

    public private(set) var settings: Settings
    let workspace: Workspace
    private let picker: ModelPicker
    /// Bumped whenever the model or layer changes, so that late results of an earlier choice are dropped.
    private var generation = 0
    private var failure: String?
    private(set) var layers: [String] = []
    /// The forms of every readout output (every class) of the chosen layer.
    private(set) var analysis: BilinearAnalysis?
    /// |cos| between the `maxTop` strongest features each way of every class form.
    private(set) var similarity: EigenvectorSimilarity?
    /// The form of `form` minus `versus`: asked for, then decomposed.
    private var contrast: (form: Int, versus: Int, analysis: BilinearAnalysis?)?
    private(set) var truncation = Truncation.pending
    /// What is shown, derived from the above whenever a choice or a result changes.
    private(set) var shown: Shown?
    /// How many eigenvector images fit on a row at the last drawing (nil before any).
    var eigenvectorsFitting: Int?

    /// The chosen form and what the view draws of it.
    struct Shown {
        let label: String
        let spectrum: FormSpectrum
        /// For each shown eigenvector, the most similar feature of another class (class forms only).
        let nearest: [Int: (name: String, cosine: Double)]
        let sample: Result<Contribution, ViewFailure>
    }

    /// One sample's output of the chosen form, split into eigenvector contributions (every term
    /// listed, largest first).
    struct Contribution {
        let sample: SampleContributions
        let form: FormContribution
    }

    struct ViewFailure: Error { let message: String }

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        picker = ModelPicker(workspace: workspace, preferred: self.settings.model, fallback: "demo:bilinear", suits: Self.suits)
        self.settings.model = picker.reference
    }

    static func suits(_ network: Network<Float>) -> Bool { !BilinearSite.bilinearLayers(in: network).isEmpty }

    public var title: String { "Bilinear" }

    /// What the view's keys do.
    public enum Action: Sendable, Equatable {
        case modelNext, modelPrevious, layerNext, formNext, formPrevious, versusNext, versusPrevious, sampleNext, samplePrevious,
            sampleNext10, samplePrevious10, topMore, topFewer, panelNext, panelPrevious, recompute
    }

    public var keyBindings: [KeyBinding<Action>] {
        [
            KeyBinding([.char("m")], .modelNext, "next model with a bilinear layer"),
            KeyBinding([.char("M")], .modelPrevious, "previous model with a bilinear layer"),
            KeyBinding([.char("L")], .layerNext, "next bilinear layer of the model"),
            KeyBinding([.char("c")], .formNext, "next class"),
            KeyBinding([.char("C")], .formPrevious, "previous class"),
            KeyBinding([.char("x")], .versusNext, "contrast with the next class (after the last: no contrast)"),
            KeyBinding([.char("X")], .versusPrevious, "contrast with the previous class"),
            KeyBinding([.char("n"), .char(".")], .sampleNext, "next sample"),
            KeyBinding([.char("p"), .char(",")], .samplePrevious, "previous sample"),
            KeyBinding([.char("N")], .sampleNext10, "10 samples on"),
            KeyBinding([.char("P")], .samplePrevious10, "10 samples back"),
            KeyBinding([.char("+"), .char("=")], .topMore, "one more eigenvector each way"),
            KeyBinding([.char("-")], .topFewer, "one eigenvector fewer each way"),
            KeyBinding([.char("f")], .panelNext, "focus the next panel (what e exports; small terminals show only it)"),
            KeyBinding([.char("F")], .panelPrevious, "focus the previous panel"),
            KeyBinding([.char("r")], .recompute, "decompose again and recompute the truncation curve (after a cancel)")
        ]
    }

    // MARK: Jobs

    public func opened(_ context: ViewContext) { start(context) }

    /// Loads the chosen model if need be, then decomposes its layer.
    private func start(_ context: ViewContext) {
        generation += 1
        analysis = nil
        similarity = nil
        contrast = nil
        truncation = .pending
        failure = nil
        shown = nil
        settings.model = picker.reference
        picker.load(context) { [weak self] network in self?.decompose(network, context) }
    }

    /// The class forms of the chosen layer, then the truncation curve on the workspace's data.
    private func decompose(_ network: Network<Float>, _ context: ViewContext) {
        layers = BilinearSite.bilinearLayers(in: network)
        let layer = settings.layer.flatMap { layers.contains($0) ? $0 : nil } ?? layers[0]
        settings.layer = layer
        let generation = self.generation, data = workspace.data
        context.jobs.submit(
            "bilinear \(layer)",
            work: { [weak self] job in
                let analysis = try BilinearAnalysis(network: network, layer: layer, progress: job.progress)
                let similarity = analysis.similarity(top: Self.maxTop, pairs: 0)
                job.deliver {
                    guard let self, self.generation == generation else { return }
                    self.analysis = analysis
                    self.similarity = similarity
                    self.update(context)
                }
                let truncation: Truncation
                do {
                    truncation = .done(try analysis.truncation(on: data, progress: job.progress))
                } catch let error as InterpretError {
                    truncation = .unavailable(error.message)
                } catch let error as NetworkError {
                    truncation = .unavailable(error.message)
                }
                job.deliver {
                    guard let self, self.generation == generation else { return }
                    self.truncation = truncation
                }
            },
            completion: { [weak self] outcome in
                guard let self, self.generation == generation else { return }
                switch outcome {
                case .finished: break
                case .cancelled:
                    if self.analysis == nil {
                        self.failure = "cancelled; r starts again"
                    } else if case .pending = self.truncation {
                        self.truncation = .unavailable("cancelled; r starts again")
                    }
                case .failed(let message): self.failure = message
                }
            })
    }

    /// The contrast form `form` − `versus`, decomposed in the background.
    private func decomposeContrast(_ form: Int, _ versus: Int, _ context: ViewContext) {
        guard let analysis else { return }
        let generation = self.generation
        contrast = (form, versus, nil)
        context.jobs.submit(
            "bilinear form \(analysis.forms[form].direction.label)−\(analysis.forms[versus].direction.label)",
            work: { [weak self] job in
                let direction = try analysis.site.contrast(form, versus)
                let contrast = try BilinearAnalysis(site: analysis.site, directions: [direction], progress: job.progress)
                job.deliver {
                    guard let self, self.generation == generation, self.contrast?.form == form, self.contrast?.versus == versus else {
                        return
                    }
                    self.contrast = (form, versus, contrast)
                    self.update(context)
                }
            },
            completion: { [weak self] outcome in
                guard let self, self.generation == generation, self.contrast?.form == form, self.contrast?.versus == versus,
                    self.contrast?.analysis == nil
                else { return }
                switch outcome {
                case .finished: return
                case .cancelled: context.notify("contrast cancelled; x asks again", style: Theme.warning)
                case .failed(let message): context.notify(message, style: Theme.error)
                }
                self.contrast = nil
                self.settings.versus = nil
                self.update(context)
            })
    }

    // MARK: Choices

    private var formCount: Int { analysis?.forms.count ?? 0 }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .modelNext, .modelPrevious:
            picker.step(action == .modelNext ? 1 : -1)
            settings.layer = nil
            start(context)
            return true
        case .layerNext:
            guard layers.count > 1, let layer = settings.layer, let i = layers.firstIndex(of: layer) else { return false }
            settings.layer = layers[(i + 1) % layers.count]
            start(context)
            return true
        case .recompute:
            start(context)
            return true
        case .formNext, .formPrevious:
            guard formCount > 1 else { return false }
            settings.form = (settings.form + (action == .formNext ? 1 : formCount - 1)) % formCount
            if settings.versus == settings.form { settings.versus = nil }
        case .versusNext, .versusPrevious:
            guard formCount > 1 else { return false }
            settings.versus = stepVersus(action == .versusNext ? 1 : -1)
        case .sampleNext: settings.sample += 1
        case .samplePrevious: settings.sample -= 1
        case .sampleNext10: settings.sample += 10
        case .samplePrevious10: settings.sample -= 10
        case .topMore:
            guard settings.top < Self.maxTop else {
                context.notify(
                    "\(Self.maxTop) eigenvectors each way is the most shown; e on the spectrum panel exports them all", style: Theme.dim)
                return true
            }
            settings.top += 1
            if let fitting = eigenvectorsFitting, settings.top > fitting {
                context.notify(
                    "\(fitting) of \(settings.top) eigenvectors each way fit beside the other panels; f shows the eigenvector panel alone",
                    style: Theme.dim)
            }
        case .topFewer: settings.top = max(settings.top - 1, 1)
        case .panelNext, .panelPrevious:
            let all = Panel.allCases, i = all.firstIndex(of: settings.panel)!
            settings.panel = all[(i + (action == .panelNext ? 1 : all.count - 1)) % all.count]
            return true
        }
        update(context)
        return true
    }

    /// The next class to contrast with in the cycle none, 0, 1, … (skipping the form's own class).
    private func stepVersus(_ direction: Int) -> Int? {
        let cycle: [Int?] = [nil] + (0..<formCount).filter { $0 != settings.form }.map { Optional($0) }
        let i = cycle.firstIndex(of: settings.versus) ?? 0
        return cycle[(i + direction + cycle.count) % cycle.count]
    }

    /// Brings the choices into range and rebuilds what is shown; starts the contrast's job if it is missing.
    private func update(_ context: ViewContext) {
        settings.sample = min(max(settings.sample, 0), max(workspace.data.count - 1, 0))
        guard let analysis else { shown = nil; return }
        settings.form = min(max(settings.form, 0), analysis.forms.count - 1)
        if let v = settings.versus, !(0..<analysis.forms.count).contains(v) || v == settings.form { settings.versus = nil }
        let source: BilinearAnalysis, index: Int
        if let versus = settings.versus {
            let asked = contrast.map { $0.form == settings.form && $0.versus == versus } ?? false
            guard asked, let decomposed = contrast?.analysis else {
                shown = nil
                if !asked { decomposeContrast(settings.form, versus, context) }
                return
            }
            (source, index) = (decomposed, 0)
        } else {
            (source, index) = (analysis, settings.form)
        }
        let spectrum = FormSpectrum(source.forms[index], top: settings.top, spaceSize: source.site.spaceSize)
        shown = Shown(
            label: spectrum.label, spectrum: spectrum,
            nearest: settings.versus == nil ? nearestFeatures(of: index, spectrum) : [:],
            sample: contribution(source, form: index))
    }

    /// For each shown eigenvector of class form `form`, the most similar of the other classes' features.
    private func nearestFeatures(of form: Int, _ spectrum: FormSpectrum) -> [Int: (name: String, cosine: Double)] {
        guard let similarity else { return [:] }
        var nearest: [Int: (name: String, cosine: Double)] = [:]
        for feature in spectrum.positive + spectrum.negative {
            guard let row = similarity.features.firstIndex(where: { $0.form == form && $0.index == feature.index }) else { continue }
            let others = similarity.features.indices.filter { similarity.features[$0].form != form }
            guard let best = others.max(by: { similarity.cosine[row][$0] < similarity.cosine[row][$1] }) else { continue }
            nearest[feature.index] = (similarity.features[best].name, similarity.cosine[row][best])
        }
        return nearest
    }

    private func contribution(_ source: BilinearAnalysis, form: Int) -> Result<Contribution, ViewFailure> {
        guard workspace.data.count > 0 else { return .failure(ViewFailure(message: "data '\(workspace.data.name)' is empty")) }
        do {
            let sample = try source.contributions(data: workspace.data, samples: [settings.sample], top: source.site.formSize)[0]
            return .success(Contribution(sample: sample, form: sample.forms[form]))
        } catch {
            return .failure(ViewFailure(message: "\(error)"))
        }
    }

    /// The chosen network, when it is loaded and has a bilinear layer.
    var network: Network<Float>? { picker.network.flatMap { Self.suits($0) ? $0 : nil } }
    var modelReference: String { picker.reference }
    /// What the view says instead of its panels while there is nothing to draw.
    var status: (text: String, style: Style)? {
        if let failure { return (failure, Theme.error) }
        if analysis != nil { return nil }
        if let loaded = picker.network, !Self.suits(loaded) {
            return ("\(picker.reference) has no bilinear layer; m picks the next model", Theme.warning)
        }
        if picker.network == nil { return ("loading \(picker.reference)…", Theme.dim) }
        return ("decomposing \(settings.layer ?? "the bilinear layer")…", Theme.dim)
    }
}

extension BilinearView: FollowTargetView {
    /// Model A's bilinear layer, on the class whose form has the eigenvector closest to the
    /// followed direction, at the sample where the object is largest.
    func show(_ trail: LatentTrail, of followed: Followable, _ context: ViewContext) throws -> String {
        guard let e = trail.eigenfeature, let a = workspace.models.first else {
            throw WorkbenchError("no bilinear layer reads \(trail.layer)")
        }
        picker.select(a.reference)
        settings.layer = e.bilinearLayer
        settings.form = a.network.classNames.firstIndex(of: e.form) ?? 0
        settings.versus = nil
        settings.sample = trail.topSample
        start(context)
        return
            "Bilinear: class \(e.form)'s eigenvector \(e.index) in \(trail.layer)'s space (λ \(NumberFormat.readable(e.eigenvalue, digits: 3))), |cos| \(NumberFormat.readable(e.cosine, digits: 3))"
    }
}
