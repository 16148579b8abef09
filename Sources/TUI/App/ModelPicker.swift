import LinAlg
import Networks
import Workbench

/// The model a single-model view works on. A method often needs a model the workspace does not
/// hold (LRP on the demo CNN, the eigenvectors of the demo bilinear model), so the choice runs
/// over the workspace's models and then every demo model; a demo model outside the workspace
/// is loaded (or trained on first use) as a background job, once for all views.
public final class ModelPicker {
    /// Every model a view can pick, in order: the workspace's, then the demo models.
    public let candidates: [String]
    public private(set) var reference: String
    /// Whether a model suits the view (it has a bilinear layer, say); unsuited ones are skipped.
    private let suits: (Network<Float>) -> Bool
    private let workspace: Workspace

    /// Starts on `preferred` if given, else the first workspace model that suits, else `fallback`.
    public init(
        workspace: Workspace, preferred: String?, fallback: String,
        suits: @escaping (Network<Float>) -> Bool = { _ in true }
    ) {
        self.workspace = workspace
        self.suits = suits
        let own = workspace.models.map(\.reference)
        candidates = own + DemoModels.names.map { "demo:\($0)" }.filter { !own.contains($0) }
        let all = candidates
        reference =
            preferred.flatMap { all.contains($0) ? $0 : nil }
            ?? workspace.models.first { suits($0.network) }?.reference ?? fallback
    }

    /// The chosen network, or nil while it is still being loaded.
    public var network: Network<Float>? {
        workspace.models.first { $0.reference == reference }?.network ?? workspace.openedModels[reference]
    }

    /// Moves to the next (or previous) candidate that suits. A demo model not yet loaded is
    /// judged by its architecture (an untrained copy), so it is not trained just to be skipped.
    public func step(_ direction: Int) {
        guard let i = candidates.firstIndex(of: reference) else { return }
        for k in 1...candidates.count {
            let next = candidates[(i + direction * k % candidates.count + candidates.count) % candidates.count]
            if shape(of: next).map(suits) ?? true { reference = next; return }
        }
    }

    /// Chooses `reference` if it is a candidate (a followed unit belongs to model A).
    public func select(_ reference: String) {
        if candidates.contains(reference) { self.reference = reference }
    }

    /// The model if loaded, else an untrained network of a demo model's architecture.
    private func shape(of reference: String) -> Network<Float>? {
        if let known = workspace.models.first(where: { $0.reference == reference })?.network ?? workspace.openedModels[reference] {
            return known
        }
        guard reference.hasPrefix("demo:"), let recipe = try? DemoModels.recipe(String(reference.dropFirst(5))) else { return nil }
        return try? NetworkFile.untrained(DemoModels.architecture(recipe), seed: 0)
    }

    /// Makes sure the chosen model is loaded, then calls `ready` on the UI thread (at once when it
    /// already is). A model that turns out not to suit is reported instead.
    public func load(_ context: ViewContext, ready: @escaping (Network<Float>) -> Void) {
        if let network {
            guard suits(network) else { context.notify("\(reference) does not fit this view", style: Theme.warning); return }
            ready(network)
            return
        }
        let reference = self.reference
        context.jobs.submit(
            "open \(reference)",
            work: { job in
                let network = try Models.load(reference) { p in
                    job.report(p.fraction, "training \(reference): epoch \(p.epoch)/\(p.epochs)")
                }
                job.deliver { [weak self] in
                    guard let self else { return }
                    self.workspace.openedModels[reference] = network
                    guard self.reference == reference else { return }
                    if self.suits(network) {
                        ready(network)
                    } else {
                        context.notify("\(reference) does not fit this view", style: Theme.warning)
                    }
                }
            },
            completion: { outcome in
                if case .failed(let message) = outcome { context.notify(message, style: Theme.error) }
            })
    }
}
