import Foundation

/// Transformer checkpoints as commands and the workbench name them: a checkpoint folder, or
/// `demo:gpt2-tiny` (`TextDemo`), shipped with Loupe.
public enum TextModels {
    /// The text demo's reference.
    public static let demo = "demo:\(TextDemo.name)"

    /// Whether `reference` names a transformer checkpoint (which reads text) rather than a network.
    public static func isTextModel(_ reference: String) -> Bool {
        reference == demo || Transformer.isCheckpoint(reference)
    }

    /// The checkpoint folder `reference` reads.
    public static func folder(of reference: String) -> URL {
        reference == demo ? TextDemo.folder : URL(fileURLWithPath: reference)
    }

    public static func load(_ reference: String) throws -> Transformer {
        reference == demo ? try TextDemo.load() : try Transformer.load(folder(of: reference))
    }
}
