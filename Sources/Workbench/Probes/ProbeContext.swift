import Foundation
import Interpret
import LinAlg
import Networks
import Transformers

/// What a run can use: the probe's models (opened once, demo models trained on first use),
/// its data, and a random generator derived from the probe's seed and the run's position, so
/// each run is reproducible on its own.
public final class ProbeContext {
    public let probe: Probe
    private var networks: [String: Network<Float>] = [:]
    private var transformers: [String: Transformer] = [:]
    private var datasets: [String: Dataset] = [:]
    /// Reports demo-model training while a model is opened.
    var trainingProgress: (String, TrainingProgress) -> Void = { _, _ in }

    public init(probe: Probe) { self.probe = probe }

    /// The model a run names by its alias in [models].
    public func network(_ alias: String) throws -> Network<Float> {
        if let n = networks[alias] { return n }
        guard let entry = probe.models[alias] else { throw WorkbenchError("\(probe.source): no model named '\(alias)'") }
        guard !TextModels.isTextModel(entry.reference) else {
            throw WorkbenchError(
                "\(probe.source): model '\(alias)' (\(entry.reference)) is a transformer checkpoint; of the probe methods, sae and sae-match run on it (the others read a network's layers)"
            )
        }
        let n = try Models.load(entry.reference, architecture: entry.architecture.map { URL(fileURLWithPath: $0) }) { p in
            self.trainingProgress(entry.reference, p)
            return true
        }
        networks[alias] = n
        return n
    }

    public func reference(_ alias: String) -> String { probe.models[alias]?.reference ?? alias }

    /// Whether the model a run names is a transformer checkpoint (which reads the probe's text).
    public func isTextModel(_ alias: String) -> Bool { TextModels.isTextModel(reference(alias)) }

    /// The transformer checkpoint a run names by its alias.
    public func transformer(_ alias: String) throws -> Transformer {
        if let t = transformers[alias] { return t }
        let t = try TextModels.load(reference(alias))
        transformers[alias] = t
        return t
    }

    /// A transformer's hook point on the probe's text, cut into contexts as the command line
    /// cuts them by default.
    public func textHook(_ alias: String, hook: String, excludeSpecial: Bool) throws -> TextHookSpec {
        guard let text = probe.text else {
            throw WorkbenchError(
                "\(probe.source): model '\(alias)' is a transformer checkpoint: set text at the top of the probe (a .txt or .jsonl file, or \(TextModels.demo))"
            )
        }
        let model = try transformer(alias)
        let url = Probe.textFile(text)
        return TextHookSpec(
            reference: reference(alias), model: model, hook: hook, text: text,
            corpus: try TextCorpus(url, wholeFile: false, field: nil),
            cutter: try ContextCutter(for: model, length: nil, specials: .tokenizer), excludeSpecial: excludeSpecial)
    }

    /// The run's data (its own `data`, else the probe's).
    public func data(for run: ProbeRun) throws -> Dataset {
        guard let spec = run.data ?? probe.data else {
            throw WorkbenchError(
                "\(probe.source): run \(run.index + 1) (\(run.method)) needs data: set data at the top of the probe or in the run")
        }
        if let d = datasets[spec] { return d }
        let d = try DataSource.load(spec, labelColumn: probe.labelColumn)
        datasets[spec] = d
        return d
    }

    /// The run's data if it has any, without failing when none is set.
    public func optionalData(for run: ProbeRun) throws -> Dataset? {
        run.data ?? probe.data == nil ? nil : try data(for: run)
    }

    /// A generator for this run alone.
    public func random(for run: ProbeRun) -> SeededRandom {
        SeededRandom(seed: probe.seed &+ 0x9E37_79B9 &* UInt64(run.index + 1))
    }

    public func seed(for run: ProbeRun) -> UInt64 { probe.seed &+ UInt64(run.index) }

    /// The models and data files used so far, with digests, for the report's inputs.
    func inputs() throws -> [ReportInput] {
        var inputs: [ReportInput] = []
        for alias in probe.models.keys.sorted() {
            let entry = probe.models[alias]!
            // A checkpoint folder is its weights.
            let file =
                TextModels.isTextModel(entry.reference)
                ? TextModels.folder(of: entry.reference).appendingPathComponent("model.safetensors") : Probe.file(of: entry.reference)
            let digest = FileManager.default.fileExists(atPath: file.path) ? try FileDigest.sha256(file) : nil
            inputs.append(ReportInput(role: "model \(alias)", reference: entry.reference, sha256: digest))
        }
        let dataSpecs = Set(([probe.data] + probe.runs.map(\.data)).compactMap { $0 })
        for spec in dataSpecs.sorted() {
            let digest = spec.hasPrefix("builtin:") ? nil : try FileDigest.sha256(URL(fileURLWithPath: spec))
            inputs.append(ReportInput(role: "data", reference: spec, sha256: digest))
        }
        if let text = probe.text {
            inputs.append(ReportInput(role: "text", reference: text, sha256: try FileDigest.sha256(Probe.textFile(text))))
        }
        return inputs
    }
}
