import Interpret
import Networks

/// What the LRP and interpreter views share: the keys that pick the model and the sample, and
/// stepping through a list of choices (composites, targets, panels).
enum AttributionChoices {
    /// The model and sample keys, each action wrapped as the view's own.
    static func bindings<ViewAction>(_ wrap: (ModelAndSampleAction) -> ViewAction) -> [KeyBinding<ViewAction>] {
        [
            KeyBinding([.char("m")], wrap(.modelNext), "next model (workspace, then demo models)"),
            KeyBinding([.char("M")], wrap(.modelPrevious), "previous model"),
            KeyBinding([.char("n"), .char(".")], wrap(.sampleNext), "next sample"),
            KeyBinding([.char("p"), .char(",")], wrap(.samplePrevious), "previous sample"),
            KeyBinding([.char("N")], wrap(.sampleNext10), "10 samples on"),
            KeyBinding([.char("P")], wrap(.samplePrevious10), "10 samples back")
        ]
    }

    /// The settings after a model or sample action: the sample moved, or the picker stepped to
    /// another model and its reference recorded. The view then loads the model (at once when it
    /// is loaded already) and computes.
    static func applying<S: ModelAndSample>(_ action: ModelAndSampleAction, to settings: S, picker: ModelPicker) -> S {
        var settings = settings
        switch action {
        case .sampleNext: settings.sample += 1
        case .samplePrevious: settings.sample -= 1
        case .sampleNext10: settings.sample += 10
        case .samplePrevious10: settings.sample -= 10
        case .modelNext, .modelPrevious:
            picker.step(action == .modelNext ? 1 : -1)
            settings.model = picker.reference
        }
        return settings
    }

    /// The model the LRP and interpreter views open on: a CNN of the workspace that `suits`
    /// (its maps are the ones LRP is known for); else demo:cnn on the built-in digits it was
    /// trained on; else, on the user's own data, the workspace's first model, which that data
    /// fits (a demo model would not).
    static func defaultModel(in workspace: Workspace, suits: (Network<Float>) -> Bool = { _ in true }) -> String {
        let cnn = workspace.models.first { suits($0.network) && $0.network.layers.contains { $0.operation.kind == "conv2d" } }
        return cnn?.reference ?? (workspace.dataFile == nil ? "demo:cnn" : workspace.models[0].reference)
    }

    /// The targets `t` steps through: the predicted class, the label (when the data has
    /// labels), each class.
    static func targets(_ network: Network<Float>, _ data: Dataset) -> [AttributionTarget] {
        [.predicted] + (data.labels == nil ? [] : [.label]) + network.classNames.indices.map { .classIndex($0) }
    }

    /// The element `step` places after `current` in `list`, going round; the first if `current`
    /// is not in it.
    static func stepped<T: Equatable>(_ list: [T], from current: T, by step: Int) -> T {
        guard let i = list.firstIndex(of: current) else { return list[0] }
        return list[(i + step + list.count) % list.count]
    }
}

/// What the model and sample keys of the LRP and interpreter views do.
public enum ModelAndSampleAction: Sendable, Equatable {
    case modelNext, modelPrevious, sampleNext, samplePrevious, sampleNext10, samplePrevious10
}

/// Settings that name a model and a sample of the data.
protocol ModelAndSample {
    var model: String? { get set }
    var sample: Int { get set }
}

extension LRPView.Settings: ModelAndSample {}
extension InterpView.Settings: ModelAndSample {}
