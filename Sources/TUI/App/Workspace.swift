import Foundation
import LinAlg
import Networks
import Transformers
import Workbench

/// A model open in the workbench: A, or B when comparing.
public struct LoadedModel: Sendable {
    /// "A" or "B".
    public let label: String
    /// As the user named it: `demo:mlp-1`, a path.
    public let reference: String
    public let network: Network<Float>
    /// The file it was read from (a demo model's cache file).
    public let file: URL
    /// How the screen names it: see `LoadedModel.shortNames`.
    public var shortName: String

    /// "A model-a.safetensors": the label and the short name, as headings and legends show it.
    public var title: String { "\(label) \(shortName)" }

    /// Names for models on screen: a demo model by its reference, a file by its name, or, when
    /// files share a name, by as many of the last path components as tell them apart
    /// (`run1/model.safetensors`, `run2/model.safetensors`): the part that differs, which the
    /// start of a long path would hide.
    public static func shortNames(_ references: [String]) -> [String] {
        let parts = references.map {
            $0.hasPrefix("demo:") ? [$0] : URL(fileURLWithPath: $0).standardizedFileURL.pathComponents.filter { $0 != "/" }
        }
        return parts.enumerated().map { i, mine in
            var k = 1
            while k < mine.count,
                parts.enumerated().contains(where: { j, other in j != i && other != mine && other.suffix(k) == mine.suffix(k) })
            {
                k += 1
            }
            return mine.suffix(k).joined(separator: "/")
        }
    }
}

/// The models and data every view works on.
public final class Workspace {
    public let models: [LoadedModel]
    public let data: Dataset
    /// Models opened by views beyond the workspace's own (a demo model picked in a view), kept
    /// for every view; used on the UI thread only.
    var openedModels: [String: Network<Float>] = [:]
    /// The data's file; nil for built-in data.
    public let dataFile: URL?

    /// Transformer checkpoints, when the workspace is a text workspace (then `models` is empty).
    public let textModels: [LoadedTextModel]
    /// The text they read (nil for networks on data).
    public let text: TextSample?
    /// An SAE on model A's hook point, for the latent views of a text workspace: the one given
    /// with --sae, or the last one trained in the SAE view. UI thread only.
    public var sae: LoadedSAE?
    /// The latent the latent views show: set by one (the prompt view's Enter), followed by the
    /// other. UI thread only.
    public var selectedLatent: Int?

    public init(models: [LoadedModel], data: Dataset, dataFile: URL?) {
        self.models = models
        self.data = data
        self.dataFile = dataFile
        textModels = []
        text = nil
        sae = nil
    }

    /// A text workspace: transformer checkpoints on the first contexts of a text file.
    public init(textModels: [LoadedTextModel], text: TextSample, textFile: URL?, sae: LoadedSAE? = nil) {
        models = []
        data = Dataset(name: text.name, x: Matrix(rows: 0, cols: 0), labels: nil, sampleShape: [0])
        dataFile = textFile
        self.textModels = textModels
        self.text = text
        self.sae = sae
    }

    public var isComparison: Bool { models.count > 1 || textModels.count > 1 }

    /// Whether the models are transformer checkpoints reading text.
    public var isText: Bool { text != nil }

    /// The models' names as the tab bar shows them.
    public var shortNames: [String] { isText ? textModels.map(\.shortName) : models.map(\.shortName) }

    /// The models and data as a session records them.
    func inputs() throws -> (models: [InputFile], data: InputFile) {
        let models =
            isText
            ? try textModels.map { try InputFile.recording($0.reference, file: $0.file) }
            : try models.map { try InputFile.recording($0.reference, file: $0.file) }
        return (models, try InputFile.recording(data.name, file: dataFile))
    }
}

/// What to open: model references and data. Loading can take a while (training demo models
/// on first use, parsing the built-in digits), so the workbench does it as a job with progress;
/// `preload` first reads the user's own files, so that a wrong path or bad file is reported
/// as one line before the workbench starts.
public struct WorkspacePlan: Sendable {
    public var models: [String]
    public var data: String
    public var architecture: URL?
    /// How a text file becomes contexts, for transformer checkpoints.
    public var textReading = TextReading()
    private var loadedModels: [String: Network<Float>] = [:]
    private var loadedData: Dataset?
    var loadedTextModels: [String: Transformer] = [:]

    public init(models: [String], data: String, architecture: URL? = nil) {
        self.models = models
        self.data = data
        self.architecture = architecture
    }

    /// Reads the model and data files the user named (not demo models or built-in data), and
    /// checks that they fit each other.
    public mutating func preload() throws {
        if isText { return try preloadText() }
        for reference in models where !reference.hasPrefix("demo:") {
            loadedModels[reference] = try Models.load(reference, architecture: architecture)
        }
        for reference in models where reference.hasPrefix("demo:") { _ = try DemoModels.recipe(String(reference.dropFirst(5))) }
        if data.hasPrefix("builtin:") {
            let known = ["builtin:digits"] + Digits.Split.allCases.filter { $0 != .all }.map { "builtin:digits:\($0.rawValue)" }
            guard known.contains(data) else {
                throw NetworkError("unknown built-in data '\(data)'; available: \(known.joined(separator: ", "))")
            }
        } else {
            let dataset = try DataSource.load(data)
            for network in loadedModels.values { try dataset.check(against: network) }
            loadedData = dataset
        }
    }

    /// Loads everything not preloaded; training progress (and the loss as a live curve) goes to `job`.
    public func load(_ job: JobControl? = nil) throws -> Workspace {
        if isText { return try loadText(job) }
        let data = try loadedData ?? DataSource.load(self.data)
        var loaded: [LoadedModel] = []
        let names = LoadedModel.shortNames(models)
        for (i, reference) in models.enumerated() {
            let network =
                try loadedModels[reference]
                ?? Models.load(reference) { p in
                    job?.record("\(reference) loss", p.loss)
                    return job?.report(
                        p.fraction, "training \(reference): epoch \(p.epoch)/\(p.epochs), loss \(String(format: "%.4f", p.loss))") ?? true
                }
            try data.check(against: network)
            loaded.append(
                LoadedModel(
                    label: i == 0 ? "A" : "B", reference: reference, network: network, file: Models.file(of: reference),
                    shortName: names[i]))
        }
        return Workspace(models: loaded, data: data, dataFile: self.data.hasPrefix("builtin:") ? nil : URL(fileURLWithPath: self.data))
    }
}
