import Interpret
import Networks

/// What the LRP and interpreter views share: the keys that pick the model and the sample, and
/// stepping through a list of choices (composites, targets, panels).
enum AttributionChoices {
    static let modelAndSampleBindings = [
        KeyBinding([.char("m")], "model.next", "next model (workspace, then demo models)"),
        KeyBinding([.char("M")], "model.previous", "previous model"),
        KeyBinding([.char("n"), .char(".")], "sample.next", "next sample"),
        KeyBinding([.char("p"), .char(",")], "sample.previous", "previous sample"),
        KeyBinding([.char("N")], "sample.next10", "10 samples on"),
        KeyBinding([.char("P")], "sample.previous10", "10 samples back"),
    ]

    /// The settings after a model or sample action: the sample moved, or the picker stepped to
    /// another model and its reference recorded; nil for any other action. The view then loads
    /// the model (at once when it is loaded already) and computes.
    static func applying<S: ModelAndSample>(_ action: String, to settings: S, picker: ModelPicker) -> S? {
        var settings = settings
        switch action {
        case "sample.next": settings.sample += 1
        case "sample.previous": settings.sample -= 1
        case "sample.next10": settings.sample += 10
        case "sample.previous10": settings.sample -= 10
        case "model.next", "model.previous":
            picker.step(action == "model.next" ? 1 : -1)
            settings.model = picker.reference
        default: return nil
        }
        return settings
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

/// Settings that name a model and a sample of the data.
protocol ModelAndSample {
    var model: String? { get set }
    var sample: Int { get set }
}

extension LRPView.Settings: ModelAndSample {}
extension InterpView.Settings: ModelAndSample {}
