import Foundation
import LinAlg
import Networks
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
}

/// The models and data every view works on.
public final class Workspace {
    public let models: [LoadedModel]
    public let data: Dataset
    /// The data's file; nil for built-in data.
    public let dataFile: URL?

    public init(models: [LoadedModel], data: Dataset, dataFile: URL?) {
        self.models = models
        self.data = data
        self.dataFile = dataFile
    }

    public var isComparison: Bool { models.count > 1 }
}

/// What to open: model references and data. Loading trains demo models that are not cached
/// yet, which takes a while, so the workbench does it as a job with progress.
public struct WorkspacePlan: Sendable {
    public var models: [String]
    public var data: String
    public var architecture: URL?

    public init(models: [String], data: String, architecture: URL? = nil) {
        self.models = models
        self.data = data
        self.architecture = architecture
    }

    /// Whether loading must train a demo model first.
    public var needsTraining: Bool {
        models.contains { $0.hasPrefix("demo:") && !DemoModels.isCached(String($0.dropFirst(5))) }
    }

    public static func file(of reference: String) -> URL {
        reference.hasPrefix("demo:") ? DemoModels.cachedFile(String(reference.dropFirst(5))) : URL(fileURLWithPath: reference)
    }

    /// Loads everything; training progress (and the loss as a live curve) goes to `job`.
    public func load(_ job: JobControl? = nil) throws -> Workspace {
        let data = try DataSource.load(self.data)
        var loaded: [LoadedModel] = []
        for (i, reference) in models.enumerated() {
            let network = try Models.load(reference, architecture: reference.hasPrefix("demo:") ? nil : architecture) { p in
                job?.record("\(reference) loss", p.loss)
                return job?.report(p.fraction, "training \(reference): epoch \(p.epoch)/\(p.epochs), loss \(String(format: "%.4f", p.loss))") ?? true
            }
            try data.check(against: network)
            loaded.append(LoadedModel(label: i == 0 ? "A" : "B", reference: reference, network: network, file: WorkspacePlan.file(of: reference)))
        }
        return Workspace(models: loaded, data: data, dataFile: self.data.hasPrefix("builtin:") ? nil : URL(fileURLWithPath: self.data))
    }
}
