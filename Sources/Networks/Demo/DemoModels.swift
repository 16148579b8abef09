import Foundation
import LinAlg

/// The demo models, trained on `builtin:digits:train` on first use and cached under
/// `$XDG_CACHE_HOME/loupe` (default `~/.cache/loupe`), so that every command works on a fresh
/// machine with no download. Training is seeded: every machine gets the same models.
public enum DemoModels {
    public struct Recipe: Sendable {
        public let name: String
        public let architecture: String
        public let about: String
        let options: TrainingOptions
    }

    /// Bump when a recipe changes, so caches of the old models are not used.
    static let version = 3

    public static let recipes: [Recipe] = [
        Recipe(
            name: "mlp-1", architecture: "mlp:64-256-256-10", about: "ReLU MLP, seed 1",
            options: TrainingOptions(epochs: 30, batchSize: 32, optimizer: .adam(learningRate: 1e-3), seed: 1)),
        Recipe(
            name: "mlp-2", architecture: "mlp:64-256-256-10", about: "the same MLP, seed 2",
            options: TrainingOptions(epochs: 30, batchSize: 32, optimizer: .adam(learningRate: 1e-3), seed: 2)),
        // Input noise, as Pearce et al. train their bilinear MLPs, keeps the eigenvectors clean.
        Recipe(
            name: "bilinear", architecture: "bilinear:64-64-64-10", about: "embedding → bilinear → readout",
            options: TrainingOptions(
                epochs: 40, batchSize: 32, optimizer: .adam(learningRate: 2e-3, weightDecay: 1e-4),
                seed: 3, maxGradientNorm: 1, inputNoise: 0.2)),
        Recipe(
            name: "cnn", architecture: "cnn:1x8x8-c16-p2-c32-p2-10", about: "two conv + max-pool blocks, linear head",
            options: TrainingOptions(epochs: 30, batchSize: 32, optimizer: .adam(learningRate: 2e-3), seed: 4)),
        // Weight decay, as Git Re-Basin's models are trained with: without it the two seeds'
        // permuted midpoint was worse than the naive one (loss barrier 3.17 against 2.86).
        Recipe(
            name: "resnet", architecture: "resnet:1x8x8-c32-r-r-p2-c64-r-g-10",
            about: "three residual blocks with batchnorm, global average pooling",
            options: TrainingOptions(epochs: 30, batchSize: 32, optimizer: .adam(learningRate: 2e-3, weightDecay: 0.1), seed: 5)),
        // A second seed, so that Re-Basin and the comparison views have two ResNets.
        Recipe(
            name: "resnet-2", architecture: "resnet:1x8x8-c32-r-r-p2-c64-r-g-10", about: "the same ResNet, seed 6",
            options: TrainingOptions(epochs: 30, batchSize: 32, optimizer: .adam(learningRate: 2e-3, weightDecay: 0.1), seed: 6))
    ]

    public static var names: [String] { recipes.map(\.name) }

    public static func recipe(_ name: String) throws -> Recipe {
        guard let r = recipes.first(where: { $0.name == name }) else {
            throw NetworkError("unknown demo model 'demo:\(name)'; available: \(names.map { "demo:\($0)" }.joined(separator: ", "))")
        }
        return r
    }

    public static var cacheDirectory: URL {
        let env = ProcessInfo.processInfo.environment
        let base =
            env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache")
        return base.appendingPathComponent("loupe")
    }

    public static func cachedFile(_ name: String) -> URL {
        cacheDirectory.appendingPathComponent("demo-\(name)-v\(version).safetensors")
    }

    public static func isCached(_ name: String) -> Bool {
        FileManager.default.fileExists(atPath: cachedFile(name).path)
    }

    /// The demo model, from the cache or trained now (reporting progress) and cached.
    public static func load(_ name: String, progress: (TrainingProgress) -> Bool = { _ in true }) throws -> Network<Float> {
        let recipe = try recipe(name)
        let url = cachedFile(name)
        if FileManager.default.fileExists(atPath: url.path), let cached = try? NetworkFile.load(url) {
            return cached
        }
        let network = try train(recipe, progress: progress)
        do {
            try FileManager.default.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
            try NetworkFile.save(network, to: url, extraMetadata: ["loupe.demo": recipe.name])
        } catch {
            throw NetworkError("cannot write the demo model cache \(url.path): \(error)")
        }
        return network
    }

    /// The architecture of a recipe's model, known without training it.
    public static func architecture(_ recipe: Recipe) throws -> ArchitectureSpec {
        let isImage = recipe.architecture.hasPrefix("cnn:") || recipe.architecture.hasPrefix("resnet:")
        return try ShortSpec.parse(
            recipe.architecture, name: "demo:\(recipe.name)",
            input: InputSpec(shape: isImage ? Digits.sampleShape : [64], image: Digits.sampleShape, range: [0, 1]),
            classes: Digits.classes)
    }

    /// Trains a recipe from scratch on the digits' training split.
    public static func train(_ recipe: Recipe, progress: (TrainingProgress) -> Bool = { _ in true }) throws -> Network<Float> {
        let data = try Digits.load(.train)
        var network = try NetworkFile.untrained(architecture(recipe), seed: recipe.options.seed)
        try Trainer.train(&network, on: data, options: recipe.options, progress: progress)
        return try NetworkFile.reloaded(network)
    }
}

/// Opens a model named as on the command line: `demo:NAME` or a `.safetensors` path.
public enum Models {
    /// The file a model reference reads: a demo model's cache file, or the path itself.
    public static func file(of reference: String) -> URL {
        reference.hasPrefix("demo:") ? DemoModels.cachedFile(String(reference.dropFirst(5))) : URL(fileURLWithPath: reference)
    }

    public static func load(
        _ reference: String, architecture: URL? = nil,
        progress: (TrainingProgress) -> Bool = { _ in true }
    ) throws -> Network<Float> {
        if reference.hasPrefix("demo:") {
            return try DemoModels.load(String(reference.dropFirst(5)), progress: progress)
        }
        let url = URL(fileURLWithPath: reference)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw NetworkError("\(reference): no such model file (or use demo:\(DemoModels.names.joined(separator: ", demo:")))")
        }
        return try NetworkFile.load(url, architecture: architecture)
    }
}
