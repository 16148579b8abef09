import ArgumentParser
import Foundation
import Networks
import Transformers

/// Options shared by every command that opens a model and data.
struct ModelOptions: ParsableArguments {
    @Option(
        name: .customLong("arch"),
        help: ArgumentHelp("Architecture JSON for a safetensors file without an embedded one.", valueName: "FILE"))
    var architecture: String?
}

struct DataOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Data: builtin:digits[:train|:test], or a .safetensors/.npz (x, y), .npy or .csv file.", valueName: "DATA"))
    var data: String?

    @Option(help: ArgumentHelp("The label column of a CSV data file.", valueName: "NAME"))
    var labelColumn: String?

    func load(required: Bool = true) throws -> Dataset? {
        guard let data else {
            if required { throw ValidationError("missing --data (e.g. --data builtin:digits:test)") }
            return nil
        }
        return try DataSource.load(data, labelColumn: labelColumn)
    }
}

/// The model and the data of a command that runs a model on data, after refusing any of
/// `outputs` that would replace one of them (or, without `force`, any file that exists).
func openModelAndData(
    _ model: String, _ modelOptions: ModelOptions, _ dataOptions: DataOptions,
    outputs: [(option: String, path: String?)], force: Bool
) throws -> (Network<Float>, Dataset) {
    try checkOutputs(
        outputs, inputs: CommandInputs.model(model, arch: modelOptions.architecture) + CommandInputs.data(dataOptions.data),
        force: force)
    let network = try openModel(model, modelOptions)
    return (network, try dataOptions.load()!)
}

/// Opens a model (training a demo model on first use, with a progress bar).
func openModel(_ reference: String, _ options: ModelOptions) throws -> Network<Float> {
    try refuseCheckpoint(reference)
    let bar = ProgressBar("training \(reference) (first use)")
    defer { bar.finish() }
    return try Models.load(reference, architecture: options.architecture.map { URL(fileURLWithPath: $0) }, progress: bar.training())
}

/// Refuses a transformer checkpoint folder where only Loupe's own models are read (every
/// command but forward --text, inspect and the workbench).
func refuseCheckpoint(_ reference: String) throws {
    guard TextModels.isTextModel(reference) else { return }
    throw ValidationError(
        "\(reference) is a transformer checkpoint: `loupe forward --text`, `loupe inspect` and the workbench (`loupe tui \(reference) --text FILE`) run it; this command does not apply to transformers yet"
    )
}
