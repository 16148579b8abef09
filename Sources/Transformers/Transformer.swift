import Foundation
import LinAlg
import Networks
import TensorIO
import Tokenizers

/// A GPT-2, BERT or Llama-family checkpoint, run in Float32 one context at a time, with every
/// activation inside it readable by the names TransformerLens gives them (`HookPoint`).
public struct Transformer: Sendable {
    /// The checkpoint folder's name.
    public let name: String
    public let config: TransformerConfig
    /// The folder's tokenizer.json, when it has one.
    public let tokenizer: Tokenizer?
    let embedding: Weight
    /// Learned positions (GPT-2, BERT), [positions, d].
    let positions: Weight?
    /// BERT's token-type embedding of type 0: every token of a single text.
    let tokenType: [Float]?
    let embeddingNorm: TokenNorm?
    let blocks: [TransformerBlock]
    let finalNorm: TokenNorm?
    let head: Head?
    /// Weight elements read in place from the checkpoint's mapped file (float32 ones), and
    /// elements converted to Float32 matrices on load (the rest; drawn ones for `untrained`).
    public private(set) var weightsInPlace = 0
    public private(set) var weightsConverted = 0

    /// What turns the last residual stream into logits.
    struct Head: Sendable {
        /// BERT's masked-LM transform (dense, activation, LayerNorm) before the decoder.
        let transform: (dense: Dense, activation: Activation, norm: TokenNorm)?
        /// [vocabulary, d]: the unembedding (the token embedding itself when tied).
        let decoder: Weight
        let bias: [Float]?

        /// The logits of final-normalised rows.
        func callAsFunction(_ x: Matrix<Float>) -> Matrix<Float> {
            var x = x
            if let (dense, activation, norm) = transform { x = norm(activation.apply(dense(x))) }
            var logits = matmul(x, decoder, transposeB: true)
            if let bias { logits.addToEachRow(bias) }
            return logits
        }
    }

    /// Whether `path` is a checkpoint folder (a directory with a config.json).
    public static func isCheckpoint(_ path: String) -> Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &directory) && directory.boolValue
            && FileManager.default.fileExists(atPath: URL(fileURLWithPath: path).appendingPathComponent("config.json").path)
    }

    /// The files of a checkpoint folder Loupe reads (none of them may be an output).
    public static func files(of folder: URL) -> [URL] {
        ["config.json", "model.safetensors", "model.safetensors.index.json", "tokenizer.json"].map { folder.appendingPathComponent($0) }
    }

    /// Opens a checkpoint folder: config.json, model.safetensors (or a sharded index), and
    /// tokenizer.json when present.
    public static func load(_ folder: URL) throws -> Transformer {
        let label = folder.lastPathComponent
        let configURL = folder.appendingPathComponent("config.json")
        guard let configData = try? Data(contentsOf: configURL) else {
            throw TransformerError("\(label): no config.json (a Hugging Face checkpoint folder has config.json and model.safetensors)")
        }
        let config = try TransformerConfig.decode(configData, source: "\(label)/config.json")
        let tensors = try CheckpointTensors.read(folder, label: label)
        // Float32 weights are read in place from the mapped file; the others become Float32
        // matrices: refuse before any is made if those cannot fit.
        try MemoryBudget.check(
            MemoryBudget.sum(tensors.tensors.values.filter { $0.dtype != .f32 }.map { MemoryBudget.product($0.elementCount, 4) }),
            for: "the weights of \(label) in float32")
        let tokenizerURL = folder.appendingPathComponent("tokenizer.json")
        let tokenizer = FileManager.default.fileExists(atPath: tokenizerURL.path) ? try Tokenizer.load(tokenizerURL) : nil
        return try build(label, config, tensors, tokenizer)
    }

    /// A network of `config`'s shapes with transformers' initial weights (N(0, 0.02²) matrices,
    /// unit norm scales, zero biases), for benchmarks: no file, no tokenizer.
    public static func untrained(_ config: TransformerConfig, name: String = "untrained", seed: UInt64 = 0) throws -> Transformer {
        try build(name, config, .untrained(seed: seed), nil)
    }

    private static func build(_ label: String, _ config: TransformerConfig, _ tensors: CheckpointTensors, _ tokenizer: Tokenizer?) throws
        -> Transformer
    {
        var model: Transformer
        switch config.family {
        case .gpt2: model = try gpt2(label, config, tensors, tokenizer)
        case .bert: model = try bert(label, config, tensors, tokenizer)
        case .llama: model = try llama(label, config, tensors, tokenizer)
        }
        (model.weightsInPlace, model.weightsConverted) = (tensors.tally.inPlace, tensors.tally.converted)
        return model
    }

    private static func layerNorm(_ t: CheckpointTensors, _ name: String, _ c: TransformerConfig) throws -> TokenNorm {
        .layer(
            LayerNorm(
                normalizedShape: [c.dModel], eps: c.normEps, weight: try t.vector("\(name).weight", c.dModel),
                bias: try t.vector("\(name).bias", c.dModel)))
    }

    private static func gpt2(_ label: String, _ c: TransformerConfig, _ all: CheckpointTensors, _ tokenizer: Tokenizer?) throws
        -> Transformer
    {
        let t = try all.under(["transformer.", ""], probe: "wte.weight")
        let d = c.dModel
        let wte = try t.weight("wte.weight", c.vocabSize, d)
        let blocks = try (0..<c.layers).map { i -> TransformerBlock in
            let b = "h.\(i)."
            // c_attn holds q, k and v side by side: [d, 3d].
            let qkv = try Dense.conv1D(t, b + "attn.c_attn", in: d, out: 3 * d)
            let part = { (k: Int) in
                Dense(
                    weight: qkv.weight.columns((k * d)..<((k + 1) * d)), outIn: false,
                    bias: Array(qkv.bias![(k * d)..<((k + 1) * d)]))
            }
            return TransformerBlock(
                attention: Attention(
                    q: part(0), k: part(1), v: part(2), o: try Dense.conv1D(t, b + "attn.c_proj", in: d, out: d),
                    heads: c.heads, kvHeads: c.heads, headDim: c.headDim, rotary: nil, causal: true, slidingWindow: nil),
                feedForward: .plain(
                    up: try Dense.conv1D(t, b + "mlp.c_fc", in: d, out: c.dMLP), activation: c.activation,
                    down: try Dense.conv1D(t, b + "mlp.c_proj", in: c.dMLP, out: d)),
                norm1: try layerNorm(t, b + "ln_1", c), norm2: try layerNorm(t, b + "ln_2", c), postNorm: false)
        }
        return Transformer(
            name: label, config: c, tokenizer: tokenizer, embedding: wte, positions: try t.weight("wpe.weight", c.maxPositions, d),
            tokenType: nil, embeddingNorm: nil, blocks: blocks, finalNorm: try layerNorm(t, "ln_f", c),
            head: Head(transform: nil, decoder: wte, bias: nil))
    }

    private static func bert(_ label: String, _ c: TransformerConfig, _ all: CheckpointTensors, _ tokenizer: Tokenizer?) throws
        -> Transformer
    {
        let t = try all.under(["bert.", ""], probe: "embeddings.word_embeddings.weight")
        let d = c.dModel
        let words = try t.weight("embeddings.word_embeddings.weight", c.vocabSize, d)
        let blocks = try (0..<c.layers).map { i -> TransformerBlock in
            let b = "encoder.layer.\(i)."
            return TransformerBlock(
                attention: Attention(
                    q: try .linear(t, b + "attention.self.query", in: d, out: d, bias: true),
                    k: try .linear(t, b + "attention.self.key", in: d, out: d, bias: true),
                    v: try .linear(t, b + "attention.self.value", in: d, out: d, bias: true),
                    o: try .linear(t, b + "attention.output.dense", in: d, out: d, bias: true),
                    heads: c.heads, kvHeads: c.heads, headDim: c.headDim, rotary: nil, causal: false, slidingWindow: nil),
                feedForward: .plain(
                    up: try .linear(t, b + "intermediate.dense", in: d, out: c.dMLP, bias: true), activation: c.activation,
                    down: try .linear(t, b + "output.dense", in: c.dMLP, out: d, bias: true)),
                norm1: try layerNorm(t, b + "attention.output.LayerNorm", c), norm2: try layerNorm(t, b + "output.LayerNorm", c),
                postNorm: true)
        }
        // The masked-LM head, when the checkpoint is BertForMaskedLM (a bare BertModel has none).
        var head: Head?
        if all.has("cls.predictions.transform.dense.weight") {
            let decoder =
                all.has("cls.predictions.decoder.weight") ? try all.weight("cls.predictions.decoder.weight", c.vocabSize, d) : words
            head = Head(
                transform: (
                    try .linear(all, "cls.predictions.transform.dense", in: d, out: d, bias: true), c.activation,
                    try layerNorm(all, "cls.predictions.transform.LayerNorm", c)
                ), decoder: decoder, bias: try all.vector("cls.predictions.bias", c.vocabSize))
        }
        return Transformer(
            name: label, config: c, tokenizer: tokenizer, embedding: words,
            positions: try t.weight("embeddings.position_embeddings.weight", c.maxPositions, d),
            tokenType: Array(try t.matrix("embeddings.token_type_embeddings.weight", c.tokenTypes, d).row(0)),
            embeddingNorm: try layerNorm(t, "embeddings.LayerNorm", c), blocks: blocks, finalNorm: nil, head: head)
    }

    private static func llama(_ label: String, _ c: TransformerConfig, _ all: CheckpointTensors, _ tokenizer: Tokenizer?) throws
        -> Transformer
    {
        let t = try all.under(["model.", ""], probe: "embed_tokens.weight")
        let (d, width, kvWidth) = (c.dModel, c.heads * c.headDim, c.kvHeads * c.headDim)
        let rms = { (name: String) in TokenNorm.rms(weight: try t.vector("\(name).weight", d), eps: Float(c.normEps)) }
        let embed = try t.weight("embed_tokens.weight", c.vocabSize, d)
        let blocks = try (0..<c.layers).map { i -> TransformerBlock in
            let b = "layers.\(i)."
            return TransformerBlock(
                attention: Attention(
                    q: try .linear(t, b + "self_attn.q_proj", in: d, out: width, bias: c.qkvBias),
                    k: try .linear(t, b + "self_attn.k_proj", in: d, out: kvWidth, bias: c.qkvBias),
                    v: try .linear(t, b + "self_attn.v_proj", in: d, out: kvWidth, bias: c.qkvBias),
                    o: try .linear(t, b + "self_attn.o_proj", in: width, out: d, bias: c.outputBias),
                    heads: c.heads, kvHeads: c.kvHeads, headDim: c.headDim, rotary: c.rotary, causal: true,
                    slidingWindow: c.slidingWindow),
                feedForward: .gated(
                    gate: try .linear(t, b + "mlp.gate_proj", in: d, out: c.dMLP, bias: c.mlpBias),
                    up: try .linear(t, b + "mlp.up_proj", in: d, out: c.dMLP, bias: c.mlpBias), activation: c.activation,
                    down: try .linear(t, b + "mlp.down_proj", in: c.dMLP, out: d, bias: c.mlpBias)),
                norm1: try rms(b + "input_layernorm"), norm2: try rms(b + "post_attention_layernorm"), postNorm: false)
        }
        let decoder = c.tiedEmbeddings ? embed : try all.weight("lm_head.weight", c.vocabSize, d)
        return Transformer(
            name: label, config: c, tokenizer: tokenizer, embedding: embed, positions: nil, tokenType: nil, embeddingNorm: nil,
            blocks: blocks, finalNorm: try rms("norm"), head: Head(transform: nil, decoder: decoder, bias: nil))
    }
}
