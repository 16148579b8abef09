import ArgumentParser
import Foundation
import Interpret
import Networks
import TensorIO
import Transformers

/// `--force`: the one way to let a command replace a file that exists. Inputs are never
/// replaced, with or without it.
struct OverwriteOption: ParsableArguments {
    @Flag(help: "Replace an output that already exists (never one of the command's inputs).") var force = false
}

/// The files a command reads, which its outputs must never replace.
enum CommandInputs {
    /// A model reference (a demo model's cache file included) and its architecture sidecar.
    static func model(_ reference: String?, arch: String? = nil) -> [OutputCheck.Input] {
        if let reference, TextModels.isTextModel(reference) { return checkpoint(reference) }
        return (reference.map { [OutputCheck.Input("the model \($0)", Models.file(of: $0))] } ?? []) + file("the architecture", arch)
    }

    /// A checkpoint folder's files.
    static func checkpoint(_ path: String) -> [OutputCheck.Input] {
        Transformer.files(of: TextModels.folder(of: path)).map { OutputCheck.Input("the checkpoint \(path)", $0) }
    }

    /// A data file (built-in data has none).
    static func data(_ spec: String?) -> [OutputCheck.Input] {
        guard let spec, !spec.hasPrefix("builtin:") else { return [] }
        return file("the data", spec)
    }

    static func file(_ role: String, _ path: String?) -> [OutputCheck.Input] {
        path.map { [OutputCheck.Input(role, URL(fileURLWithPath: $0))] } ?? []
    }

    /// An SAE directory's two files.
    static func sae(_ path: String?) -> [OutputCheck.Input] {
        guard let path else { return [] }
        let dir = URL(fileURLWithPath: path)
        return [SAEFile.configName, SAEFile.weightsName].map { OutputCheck.Input("the SAE \(path)", dir.appendingPathComponent($0)) }
    }
}

/// Checks several outputs of one command: each as `OutputCheck.file`, and no two the same file.
func checkOutputs(_ outputs: [(option: String, path: String?)], inputs: [OutputCheck.Input], force: Bool) throws {
    var seen: [String: String] = [:]
    for (option, path) in outputs {
        guard let path else { continue }
        let key = URL(fileURLWithPath: path).standardizedFileURL.path
        if let other = seen[key] { throw ValidationError("\(other) and \(option) name the same file \(path); give each its own") }
        seen[key] = option
        try OutputCheck.file(path, option: option, inputs: inputs, force: force)
    }
}

/// `--max-memory`: the budget every size from a file or an option is checked against.
struct MemoryOption: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Refuse work that would need more memory than this (e.g. 8G, 512M; default: 3/4 of physical memory, or $LOUPE_MAX_MEMORY).",
            valueName: "SIZE"))
    var maxMemory: String?

    /// ArgumentParser validates every option group before `run()`: the budget is in force from
    /// then on, whichever command runs.
    func validate() throws {
        guard let maxMemory else { return }
        do { MemoryBudget.set(try MemoryBudget.parse(maxMemory)) } catch {
            throw ValidationError("--max-memory \(maxMemory): expected a size such as 8G, 512M or 1000000")
        }
    }
}
