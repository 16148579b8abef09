import Foundation
import Networks
import TensorIO
import Transformers

/// A probe: a TOML recipe naming models and data and a list of runs (docs/formats.md). It is
/// parsed and validated completely before anything runs.
public struct Probe: Sendable {
    /// The probe file as the user named it, for messages and the report.
    public var source: String
    public var title: String
    public var data: String?
    /// Text for transformer checkpoints: a .txt or .jsonl file, or `demo:gpt2-tiny` (the text
    /// demo's corpus).
    public var text: String?
    public var labelColumn: String?
    public var seed: UInt64
    /// Model aliases → the model each names.
    public var models: [String: ModelEntry]
    public var runs: [ProbeRun]

    /// The files the probe reads (itself, its models and their architectures, its data), which
    /// its report must never replace.
    public var inputFiles: [OutputCheck.Input] {
        var files = [OutputCheck.Input("the probe", URL(fileURLWithPath: source))]
        for (alias, entry) in models.sorted(by: { $0.key < $1.key }) {
            files.append(OutputCheck.Input("model \(alias)", Probe.file(of: entry.reference)))
            if let arch = entry.architecture {
                files.append(OutputCheck.Input("the architecture of model \(alias)", URL(fileURLWithPath: arch)))
            }
        }
        for spec in Set(([data] + runs.map(\.data)).compactMap { $0 }).sorted() where !spec.hasPrefix("builtin:") {
            files.append(OutputCheck.Input("the data", URL(fileURLWithPath: spec)))
        }
        if let text { files.append(OutputCheck.Input("the text", Probe.textFile(text))) }
        return files
    }

    /// The file (a network) or folder (a transformer checkpoint) a model reference reads.
    static func file(of reference: String) -> URL {
        TextModels.isTextModel(reference) ? TextModels.folder(of: reference) : Models.file(of: reference)
    }

    /// The file a probe's `text` names: `demo:gpt2-tiny` is the text demo's corpus.
    static func textFile(_ text: String) -> URL {
        text == TextModels.demo ? TextDemo.corpus : URL(fileURLWithPath: text)
    }
}

public struct ModelEntry: Equatable, Sendable {
    /// `demo:NAME` or a path to a .safetensors file.
    public var reference: String
    /// A sidecar architecture JSON, for files without an embedded one.
    public var architecture: String?
}

public struct ProbeRun: Sendable {
    /// Position in the probe, from 0.
    public var index: Int
    public var method: String
    public var title: String?
    /// Data for this run only, instead of the probe's.
    public var data: String?
    public var parameters: ProbeParameters
}
