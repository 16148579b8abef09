import Foundation
import LinAlg
import TensorIO

/// Networks on disk: a `.safetensors` file whose `__metadata__` holds the architecture under
/// `loupe.arch`, a plain PyTorch `state_dict` file with the architecture in a sidecar JSON, or
/// an ONNX model (`ONNXImport`).
public enum NetworkFile {
    /// Loads a network; `architecture` is the sidecar JSON, needed when the file has none embedded.
    public static func load(_ url: URL, architecture: URL? = nil) throws -> Network<Float> {
        // A data file given where the model goes would otherwise be reported as a corrupt
        // safetensors header.
        let ext = url.pathExtension.lowercased()
        if ["npy", "npz", "csv"].contains(ext) {
            throw NetworkError(
                "\(url.path): a .\(ext) file holds data, not a model; a model is a .safetensors file (data goes after --data)")
        }
        if ext == "json" {
            throw NetworkError(
                "\(url.path): an architecture JSON has no weights; give the model's .safetensors (with --arch \(url.lastPathComponent) if it has no architecture of its own), or train one: loupe train --arch \(url.lastPathComponent)"
            )
        }
        if ext == "onnx" {
            let (spec, tensors) = try ONNXImport.read(url)
            return try NetworkBuilder(spec: spec, tensors: tensors, source: url.path).build()
        }
        let file = try SafeTensors.read(url)
        let spec: ArchitectureSpec
        if let architecture {
            try InputCheck.readableFile(architecture)
            let size = (try? FileManager.default.attributesOfItem(atPath: architecture.path)[.size] as? Int) ?? 0
            guard size <= ArchitectureSpec.maxFileSize else {
                throw NetworkError(
                    "\(architecture.path): \(size) bytes is too large for an architecture JSON (at most \(ArchitectureSpec.maxFileSize))")
            }
            let data: Data
            do { data = try Data(contentsOf: architecture) } catch {
                throw NetworkError("\(architecture.path): cannot read the architecture file")
            }
            spec = try ArchitectureSpec.decode(data, source: architecture.path)
        } else if let embedded = file.metadata[ArchitectureSpec.metadataKey] {
            spec = try ArchitectureSpec.decode(Data(embedded.utf8), source: "\(url.path) (metadata '\(ArchitectureSpec.metadataKey)')")
        } else {
            throw NetworkError(
                "\(url.path): no '\(ArchitectureSpec.metadataKey)' in the file's metadata; give the architecture with --arch FILE.json")
        }
        return try NetworkBuilder(spec: spec, tensors: file.tensors, source: url.path).build()
    }

    /// Builds a network from an architecture and tensors already in memory.
    public static func build(_ spec: ArchitectureSpec, tensors: [String: Tensor], source: String) throws -> Network<Float> {
        try NetworkBuilder(spec: spec, tensors: tensors, source: source).build()
    }

    /// A freshly initialised network for an architecture (PyTorch's default initialisation).
    public static func untrained(_ spec: ArchitectureSpec, seed: UInt64, source: String = "architecture") throws -> Network<Float> {
        var network = try NetworkBuilder(spec: spec, tensors: [:], source: source, untrained: true).build()
        network.initializeParameters(seed: seed)
        return network
    }

    /// The network as it reads back from its file: a trained network's batchnorms folded into
    /// the convolutions before them, as every later load has them.
    public static func reloaded(_ network: Network<Float>) throws -> Network<Float> {
        try build(architecture(of: network), tensors: tensors(of: network), source: network.name)
    }

    /// The architecture of a (loaded, batchnorm-folded) network, naming its tensors and, where
    /// a layer does not read the one before it, its inputs.
    public static func architecture(of network: Network<Float>) -> ArchitectureSpec {
        let layers = network.layers.map { layer -> LayerSpec in
            var s = LayerSpec(name: layer.name, kind: layer.operation.kind)
            s.inputs = layer.inputs?.map(network.activationName(at:))
            let names = layer.tensorNames
            switch layer.operation {
            case .linear(let l):
                s.weight = names[0]
                s.bias = l.bias == nil ? nil : names[1]
                s.out = l.outFeatures
            case .conv2d(let c):
                s.weight = names[0]
                s.bias = c.bias == nil ? nil : names[1]
                s.out = c.outChannels
                s.kernel = c.geometry.kernel
                s.stride = c.geometry.stride
                s.padding = c.geometry.padding
                s.dilation = c.geometry.dilation == IntPair(1) ? nil : c.geometry.dilation
                s.groups = c.groups == 1 ? nil : c.groups
            case .bilinear(let b):
                s.left = names[0]
                s.right = names[1]
                var next = 2
                if b.leftBias != nil { s.leftBias = names[next]; next += 1 }
                if b.rightBias != nil { s.rightBias = names[next] }
                s.out = b.outFeatures
            case .embedding(let e):
                s.weight = names[0]
                (s.numEmbeddings, s.out) = (e.vocabulary, e.dimension)
            case .pool(let p):
                s.kernel = p.geometry.kernel
                s.stride = p.geometry.stride
                s.padding = p.geometry.padding == IntPair(0) ? nil : p.geometry.padding
            case .layerNorm(let n):
                var next = 0
                if n.weight != nil { s.weight = names[next]; next += 1 }
                if n.bias != nil { s.bias = names[next] }
                s.normalizedShape = n.normalizedShape
                s.eps = n.eps
            case .batchNorm(let n):
                (s.weight, s.bias, s.runningMean, s.runningVar) = (names[0], names[1], names[2], names[3])
                s.eps = n.eps
            case .activation(.elu(let alpha)):
                s.alpha = alpha
            case .activation(.leakyReLU(let slope)):
                s.negativeSlope = slope
            case .reshape:
                s.shape = layer.outputShape
            case .permute(let p):
                s.dims = [0] + p.axes.map { $0 + 1 }
            case .merge, .flatten, .activation, .softmax:
                break
            }
            return s
        }
        return ArchitectureSpec(name: network.name, input: network.input, classes: network.classes, layers: layers)
    }

    /// The tensors of a network under their names, in PyTorch shapes.
    public static func tensors(of network: Network<Float>) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for layer in network.layers {
            for (k, p) in layer.parameters.enumerated() { out[layer.tensorNames[k]] = Tensor(p.values, shape: p.shape) }
        }
        return out
    }

    /// Writes the network with its architecture embedded (atomically; `replacing: false`
    /// refuses an existing file).
    public static func save(
        _ network: Network<Float>, to url: URL, extraMetadata: [String: String] = [:],
        replacing: Bool = true
    ) throws {
        var metadata = extraMetadata
        metadata[ArchitectureSpec.metadataKey] = architecture(of: network).encoded()
        metadata["format"] = "pt"
        try SafeTensors.write(SafeTensorsFile(tensors: tensors(of: network), metadata: metadata), to: url, replacing: replacing)
    }
}
