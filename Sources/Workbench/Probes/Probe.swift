import Foundation
import Networks
import TensorIO

/// A probe: a TOML recipe naming models and data and a list of runs (docs/formats.md). It is
/// parsed and validated completely before anything runs.
public struct Probe: Sendable {
    /// The probe file as the user named it, for messages and the report.
    public var source: String
    public var title: String
    public var data: String?
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
            files.append(OutputCheck.Input("model \(alias)", Models.file(of: entry.reference)))
            if let arch = entry.architecture {
                files.append(OutputCheck.Input("the architecture of model \(alias)", URL(fileURLWithPath: arch)))
            }
        }
        for spec in Set(([data] + runs.map(\.data)).compactMap { $0 }).sorted() where !spec.hasPrefix("builtin:") {
            files.append(OutputCheck.Input("the data", URL(fileURLWithPath: spec)))
        }
        return files
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
