import Foundation

/// The `loupe.arch/1` JSON that describes a network (docs/formats.md): what the input is, the
/// class names, and the layers (each reading the one before, or the `inputs` it names) with
/// the names of their tensors in the safetensors file. It is stored in the file's `__metadata__` under `loupe.arch`, or given as a sidecar.
public struct ArchitectureSpec: Codable, Equatable, Sendable {
    public static let formatTag = "loupe.arch/1"
    public static let metadataKey = "loupe.arch"
    /// An architecture is a few kilobytes; a larger file is not one.
    public static let maxFileSize = 16 << 20

    public var format: String
    public var name: String
    public var input: InputSpec
    public var classes: [String]?
    public var layers: [LayerSpec]

    public init(name: String, input: InputSpec, classes: [String]? = nil, layers: [LayerSpec]) {
        self.format = Self.formatTag
        self.name = name
        self.input = input
        self.classes = classes
        self.layers = layers
    }

    /// Parses the JSON; `source` names where it came from for the error message.
    public static func decode(_ data: Data, source: String) throws -> ArchitectureSpec {
        let spec: ArchitectureSpec
        do {
            spec = try JSONDecoder().decode(ArchitectureSpec.self, from: data)
        } catch let error as DecodingError {
            throw NetworkError("\(source): architecture JSON: \(describe(error))")
        } catch {
            throw NetworkError("\(source): architecture JSON: \(error)")
        }
        guard spec.format == formatTag else {
            throw NetworkError("\(source): architecture format is '\(spec.format)', expected '\(formatTag)'")
        }
        return spec
    }

    public func encoded() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    private static func describe(_ error: DecodingError) -> String {
        if case .keyNotFound(let key, let ctx) = error, key.stringValue == "format", ctx.codingPath.isEmpty {
            return error.fieldDescription + " (\"format\": \"\(formatTag)\")"
        }
        return error.fieldDescription
    }
}

public struct InputSpec: Codable, Equatable, Sendable {
    /// One sample's shape, e.g. [64] or [1, 8, 8].
    public var shape: [Int]
    /// How to draw a sample: [channels, height, width].
    public var image: [Int]?
    /// The box [low, high] of valid input values (the zB rule's bounds).
    public var range: [Double]?

    public init(shape: [Int], image: [Int]? = nil, range: [Double]? = nil) {
        self.shape = shape
        self.image = image
        self.range = range
    }
}

/// One layer as the JSON names it. Which fields matter depends on `kind` (docs/formats.md).
/// `out` and `kernel` also let `loupe train` build fresh tensors from a JSON architecture.
public struct LayerSpec: Codable, Equatable, Sendable {
    public var name: String
    public var kind: String
    public var weight: String?
    public var bias: String?
    public var left: String?
    public var right: String?
    public var leftBias: String?
    public var rightBias: String?
    public var runningMean: String?
    public var runningVar: String?
    public var eps: Double?
    public var kernel: IntPair?
    public var stride: IntPair?
    public var padding: IntPair?
    /// Output features (linear, bilinear), channels (conv2d) or an embedding's dimension, for
    /// building untrained layers.
    public var out: Int?
    /// An embedding's vocabulary (torch's `num_embeddings`), for building an untrained one.
    public var numEmbeddings: Int?
    /// ELU's α and leaky ReLU's negative slope (torch's `alpha`, `negative_slope`).
    public var alpha: Double?
    public var negativeSlope: Double?
    /// Adaptive average pooling's output height and width.
    public var outputSize: IntPair?
    /// A convolution's dilation (default 1).
    public var dilation: IntPair?
    /// A convolution's groups (default 1; its input channels for a depthwise one).
    public var groups: Int?
    /// The trailing axes a layernorm normalises (default: all of its input's).
    public var normalizedShape: [Int]?
    /// A reshape's per-sample output shape (one entry may be −1: whatever the others leave).
    public var shape: [Int]?
    /// The activations the layer reads, by name ("input" or a layer's): several for add, mul
    /// and concat. Default: the layer listed before it (or the input, for the first).
    public var inputs: [String]?
    /// A permute's order of axes, as torch's `permute` takes it (the batch axis 0 first).
    public var dims: [Int]?

    enum CodingKeys: String, CodingKey {
        case name, kind, weight, bias, left, right, eps, kernel, stride, padding, dilation, groups, out, alpha, shape, inputs, dims
        case numEmbeddings = "num_embeddings"
        case negativeSlope = "negative_slope", outputSize = "output_size", normalizedShape = "normalized_shape"
        case leftBias = "left_bias", rightBias = "right_bias"
        case runningMean = "running_mean", runningVar = "running_var"
    }

    public init(name: String, kind: String, weight: String? = nil, bias: String? = nil) {
        self.name = name
        self.kind = kind
        self.weight = weight
        self.bias = bias
    }
}

/// A size that JSON may give as one integer (both dimensions) or as [height, width], as in torch.
public struct IntPair: Codable, Equatable, Sendable {
    public var h: Int
    public var w: Int
    public init(_ h: Int, _ w: Int) { self.h = h; self.w = w }
    public init(_ both: Int) { self.init(both, both) }

    public init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let v = try? c.decode(Int.self) { self.init(v); return }
        let pair = try c.decode([Int].self)
        guard pair.count == 2 else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "expected an integer or [height, width]")
        }
        self.init(pair[0], pair[1])
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        if h == w { try c.encode(h) } else { try c.encode([h, w]) }
    }
}
