import Foundation
import LinAlg
import TensorIO

/// Every learned tensor of a GPT-2 language model in one flat Float32 vector, in the order and
/// under the names transformers' GPT2LMHeadModel saves them ("transformer.h.0.attn.c_attn.weight",
/// Conv1D weights [in, out]): the optimizer steps the vector as a whole, the forward and backward
/// passes read and write each tensor by name through `offset(of:)`.
public struct GPT2Parameters: Sendable {
    public let config: TransformerConfig
    /// The tensors' names and shapes in storage order.
    public let layout: [(name: String, shape: [Int])]
    /// Where each tensor starts in `values`.
    private let offsets: [String: Int]
    public var values: [Float]

    /// The layout of a GPT-2 of `config`'s shapes: the embeddings, each block, the final norm.
    /// No lm_head.weight: the unembedding is tied to transformer.wte.weight.
    static func layout(_ c: TransformerConfig) -> [(name: String, shape: [Int])] {
        let d = c.dModel
        var out: [(String, [Int])] = [("transformer.wte.weight", [c.vocabSize, d]), ("transformer.wpe.weight", [c.maxPositions, d])]
        for i in 0..<c.layers {
            let b = "transformer.h.\(i)."
            out += [
                (b + "ln_1.weight", [d]), (b + "ln_1.bias", [d]), (b + "attn.c_attn.weight", [d, 3 * d]), (b + "attn.c_attn.bias", [3 * d]),
                (b + "attn.c_proj.weight", [d, d]), (b + "attn.c_proj.bias", [d]), (b + "ln_2.weight", [d]), (b + "ln_2.bias", [d]),
                (b + "mlp.c_fc.weight", [d, c.dMLP]), (b + "mlp.c_fc.bias", [c.dMLP]), (b + "mlp.c_proj.weight", [c.dMLP, d]),
                (b + "mlp.c_proj.bias", [d])
            ]
        }
        return out + [("transformer.ln_f.weight", [d]), ("transformer.ln_f.bias", [d])]
    }

    private init(config: TransformerConfig, values: [Float]) throws {
        guard config.family == .gpt2 else {
            throw TransformerError("model_type \"\(config.modelType)\": Loupe trains GPT-2 (model_type gpt2) language models only")
        }
        self.config = config
        layout = Self.layout(config)
        var offsets: [String: Int] = [:], next = 0
        for (name, shape) in layout {
            offsets[name] = next
            next += shape.reduce(1, *)
        }
        self.offsets = offsets
        self.values = values.isEmpty ? [Float](repeating: 0, count: next) : values
        precondition(self.values.count == next, "GPT2Parameters: \(values.count) values for \(next) parameters")
    }

    /// transformers' initialisation of GPT2LMHeadModel: embeddings and weights N(0, 0.02²), the
    /// two projections that write into the residual stream (attn.c_proj, mlp.c_proj) N(0, (0.02/√(2·layers))²)
    /// so that the stream's variance does not grow with depth, norm scales 1, biases 0.
    public init(untrained config: TransformerConfig, seed: UInt64) throws {
        try self.init(config: config, values: [])
        var random = SeededRandom(seed: seed)
        let residualStd = 0.02 / (2 * Double(config.layers)).squareRoot()
        for (name, shape) in layout {
            let count = shape.reduce(1, *)
            if name.hasSuffix("ln_1.weight") || name.hasSuffix("ln_2.weight") || name.hasSuffix("ln_f.weight") {
                set(name, [Float](repeating: 1, count: count))
            } else if shape.count == 2 {
                let std = name.hasSuffix("c_proj.weight") ? residualStd : 0.02
                set(name, random.normalMatrix(rows: shape[0], cols: shape[1], std: std).storage)
            }
        }
    }

    /// A GPT-2 checkpoint's weights (GPT2LMHeadModel's "transformer." names, or a bare GPT2Model's).
    public init(checkpoint folder: URL) throws {
        let label = folder.lastPathComponent
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("config.json")) else {
            throw TransformerError("\(label): no config.json (a Hugging Face checkpoint folder has config.json and model.safetensors)")
        }
        try self.init(config: try TransformerConfig.decode(data, source: "\(label)/config.json"), values: [])
        let tensors = try CheckpointTensors.read(folder, label: label).under(["transformer.", ""], probe: "wte.weight")
        for (name, shape) in layout {
            let short = String(name.dropFirst("transformer.".count))
            set(name, shape.count == 2 ? try tensors.matrix(short, shape[0], shape[1]).storage : try tensors.vector(short, shape[0]))
        }
    }

    public var count: Int { values.count }

    func offset(of name: String) -> Int { offsets[name]! }

    func shape(of name: String) -> [Int] { layout.first { $0.name == name }!.shape }

    /// A 2-d tensor as a matrix (a copy: the model is small next to a step's activations).
    func matrix(_ name: String) -> Matrix<Float> {
        let shape = shape(of: name)
        let start = offset(of: name)
        return Matrix(rows: shape[0], cols: shape[1], storage: Array(values[start..<(start + shape[0] * shape[1])]))
    }

    func vector(_ name: String) -> [Float] {
        let start = offset(of: name)
        return Array(values[start..<(start + shape(of: name)[0])])
    }

    mutating func set(_ name: String, _ tensor: [Float]) {
        let start = offset(of: name)
        values.replaceSubrange(start..<(start + tensor.count), with: tensor)
    }

    /// The index ranges of the matrices inside blocks (attention and MLP weights), which weight
    /// decay shrinks; biases, norm scales and the embeddings are left alone, as GPT-2 recipes do
    /// (decaying the tied embedding would pull rare tokens' rows to zero between their updates).
    public var decayedRanges: [Range<Int>] {
        layout.filter { $0.shape.count == 2 && $0.name.hasPrefix("transformer.h.") }.map { entry in
            let start = offset(of: entry.name)
            return start..<(start + entry.shape.reduce(1, *))
        }
    }

    /// The tensors by name, Float32, for model.safetensors.
    public var tensors: [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, shape) in layout {
            let start = offset(of: name)
            out[name] = Tensor(Array(values[start..<(start + shape.reduce(1, *))]), shape: shape)
        }
        return out
    }
}
