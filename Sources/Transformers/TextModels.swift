import Foundation

/// Transformer checkpoints as commands and the workbench name them: a checkpoint folder.
public enum TextModels {
    /// Whether `reference` names a transformer checkpoint (which reads text) rather than a network.
    public static func isTextModel(_ reference: String) -> Bool {
        Transformer.isCheckpoint(reference)
    }

    public static func load(_ reference: String) throws -> Transformer {
        try Transformer.load(URL(fileURLWithPath: reference))
    }
}
