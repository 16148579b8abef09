import Foundation
import Networks
import TensorIO

/// The three architectures Loupe runs, read from config.json's `model_type`.
public enum TransformerFamily: String, Sendable {
    /// GPT-2: learned positions, pre-LayerNorm, gelu_new, Conv1D weights ([in, out]), tied unembedding.
    case gpt2
    /// BERT: post-LayerNorm encoder, word + position + token-type embeddings, bidirectional.
    case bert
    /// Llama (and Qwen2, Mistral): RMSNorm, rotary positions, SwiGLU, grouped-query attention.
    case llama
}

/// A checkpoint's config.json, as far as the forward pass needs it.
public struct TransformerConfig: Sendable, Equatable {
    /// `model_type` as written: gpt2, bert, llama, qwen2 or mistral.
    public let modelType: String
    public let family: TransformerFamily
    public let dModel: Int
    public let layers: Int
    public let heads: Int
    /// Key/value heads (fewer than `heads` under grouped-query attention).
    public let kvHeads: Int
    public let headDim: Int
    public let dMLP: Int
    public let vocabSize: Int
    /// The longest context: learned positions have this many rows; rotary models were trained to it.
    public let maxPositions: Int
    public let normEps: Double
    public let activation: Activation
    /// Rotary positions: base θ and any rescaling of the frequencies (Llama family; nil otherwise).
    public let rotary: RotaryPositions?
    /// Whether the unembedding is the token embedding's transpose.
    public let tiedEmbeddings: Bool
    /// Biases on the q, k and v projections (Qwen2; Llama's `attention_bias` adds one to o too).
    public let qkvBias: Bool
    public let outputBias: Bool
    public let mlpBias: Bool
    /// BERT's token-type vocabulary.
    public let tokenTypes: Int
    /// config.json's `bos_token_id`, when it names a token of the vocabulary.
    public let bosTokenID: Int?
    /// Mistral's sliding window: a token attends to at most this many tokens, itself included.
    public let slidingWindow: Int?

    /// Attention sees only earlier tokens (decoders) or every token (BERT).
    public var causal: Bool { family != .bert }

    public static let supportedTypes = ["gpt2", "bert", "llama", "qwen2", "mistral"]

    /// Reads config.json; `source` names it in messages.
    public static func decode(_ data: Data, source: String) throws -> TransformerConfig {
        let raw: RawConfig
        do {
            raw = try JSONDecoder().decode(RawConfig.self, from: data)
        } catch let error as DecodingError {
            throw TransformerError("\(source): \(error.fieldDescription)")
        } catch {
            throw TransformerError("\(source): \(error)")
        }
        return try TransformerConfig(raw, source: source)
    }

    private init(_ raw: RawConfig, source: String) throws {
        guard let type = raw.modelType else {
            throw TransformerError("\(source): no model_type (Loupe runs \(Self.supportedTypes.joined(separator: ", ")) checkpoints)")
        }
        func need(_ value: Int?, _ key: String, limit: Int = 1 << 20) throws -> Int {
            guard let value else { throw TransformerError("\(source): \(type) needs \(key)") }
            guard value >= 1, value <= limit else { throw TransformerError("\(source): \(key) is \(value), expected 1 to \(limit)") }
            return value
        }
        modelType = type
        var rotaryScaling: RotaryPositions.Scaling?
        switch type {
        case "gpt2":
            family = .gpt2
            dModel = try need(raw.nEmbd, "n_embd")
            layers = try need(raw.nLayer, "n_layer", limit: 1024)
            heads = try need(raw.nHead, "n_head", limit: 1024)
            kvHeads = heads
            dMLP = try need(raw.nInner ?? 4 * dModel, "n_inner")
            maxPositions = try need(raw.nPositions, "n_positions")
            normEps = raw.layerNormEpsilon ?? 1e-5
            activation = try Self.activation(raw.activationFunction ?? "gelu_new", key: "activation_function", source: source)
            tiedEmbeddings = true
            (qkvBias, outputBias, mlpBias) = (true, true, true)
            if raw.scaleAttnByInverseLayerIdx == true || raw.reorderAndUpcastAttn == true || raw.scaleAttnWeights == false {
                throw TransformerError(
                    "\(source): scale_attn_by_inverse_layer_idx, reorder_and_upcast_attn and scale_attn_weights false are GPT-2 variants Loupe does not run"
                )
            }
        case "bert":
            family = .bert
            dModel = try need(raw.hiddenSize, "hidden_size")
            layers = try need(raw.numHiddenLayers, "num_hidden_layers", limit: 1024)
            heads = try need(raw.numAttentionHeads, "num_attention_heads", limit: 1024)
            kvHeads = heads
            dMLP = try need(raw.intermediateSize, "intermediate_size")
            maxPositions = try need(raw.maxPositionEmbeddings, "max_position_embeddings")
            normEps = raw.layerNormEps ?? 1e-12
            activation = try Self.activation(raw.hiddenAct ?? "gelu", key: "hidden_act", source: source)
            tiedEmbeddings = true
            (qkvBias, outputBias, mlpBias) = (true, true, true)
            if let p = raw.positionEmbeddingType, p != "absolute" {
                throw TransformerError("\(source): position_embedding_type \"\(p)\": Loupe runs BERT with absolute positions")
            }
        case "llama", "qwen2", "mistral":
            family = .llama
            dModel = try need(raw.hiddenSize, "hidden_size")
            layers = try need(raw.numHiddenLayers, "num_hidden_layers", limit: 1024)
            heads = try need(raw.numAttentionHeads, "num_attention_heads", limit: 1024)
            kvHeads = try need(raw.numKeyValueHeads ?? heads, "num_key_value_heads", limit: 1024)
            dMLP = try need(raw.intermediateSize, "intermediate_size")
            maxPositions = try need(raw.maxPositionEmbeddings ?? 2048, "max_position_embeddings", limit: 1 << 24)
            normEps = raw.rmsNormEps ?? 1e-6
            activation = try Self.activation(raw.hiddenAct ?? "silu", key: "hidden_act", source: source)
            tiedEmbeddings = raw.tieWordEmbeddings ?? false
            let attentionBias = raw.attentionBias ?? false
            qkvBias = type == "qwen2" || attentionBias
            outputBias = attentionBias
            mlpBias = raw.mlpBias ?? false
            rotaryScaling = try Self.scaling(raw.ropeParameters ?? raw.ropeScaling, source: source)
        default:
            throw TransformerError(
                "\(source): model_type \"\(type)\" is not supported (Loupe runs \(Self.supportedTypes.joined(separator: ", ")))")
        }
        // GPT-2 and BERT split the width into the heads; a Llama's heads may be wider or narrower.
        guard family == .llama || dModel % heads == 0 else {
            throw TransformerError("\(source): the width \(dModel) does not split into \(heads) heads")
        }
        headDim = try need(family == .llama ? raw.headDim ?? (dModel / heads) : dModel / heads, "head_dim", limit: 1 << 16)
        if let written = raw.headDim, written != headDim {
            throw TransformerError("\(source): head_dim is \(written), but \(type) heads are the width \(dModel) split \(heads) ways")
        }
        guard family != .llama || headDim % 2 == 0 else {
            throw TransformerError("\(source): head_dim \(headDim) is odd; rotary positions rotate pairs")
        }
        guard heads % kvHeads == 0 else {
            throw TransformerError("\(source): \(heads) attention heads do not share \(kvHeads) key/value heads evenly")
        }
        vocabSize = try need(raw.vocabSize, "vocab_size", limit: 1 << 24)
        tokenTypes = family == .bert ? try need(raw.typeVocabSize ?? 2, "type_vocab_size", limit: 1 << 16) : 0
        let theta = raw.ropeParameters?.theta ?? raw.ropeTheta ?? 10_000
        rotary = family == .llama ? RotaryPositions(theta: theta, scaling: rotaryScaling) : nil
        guard theta > 0, normEps >= 0, normEps.isFinite else {
            throw TransformerError("\(source): rope_theta and the norm's eps must be positive")
        }
        let vocabulary = vocabSize
        bosTokenID = raw.bosTokenId.flatMap { $0 >= 0 && $0 < vocabulary ? $0 : nil }
        let windowed = type == "mistral" || raw.useSlidingWindow == true
        slidingWindow = windowed ? raw.slidingWindow : nil
        if let w = slidingWindow, w < 1 { throw TransformerError("\(source): sliding_window is \(w), expected at least 1") }
    }

    /// `rope_parameters` (transformers 5) or `rope_scaling`: none, "default", "linear" or "llama3".
    private static func scaling(_ rope: RawConfig.Rope?, source: String) throws -> RotaryPositions.Scaling? {
        guard let rope, let type = rope.type, type != "default" else { return nil }
        func need(_ value: Double?, _ key: String) throws -> Double {
            guard let value, value > 0, value.isFinite else {
                throw TransformerError("\(source): rope scaling \"\(type)\" needs a positive \(key)")
            }
            return value
        }
        switch type {
        case "linear": return .linear(factor: try need(rope.factor, "factor"))
        case "llama3":
            let (low, high) = (try need(rope.lowFreqFactor, "low_freq_factor"), try need(rope.highFreqFactor, "high_freq_factor"))
            guard high > low else {
                throw TransformerError("\(source): rope scaling \"llama3\" needs high_freq_factor above low_freq_factor")
            }
            return .llama3(
                factor: try need(rope.factor, "factor"), lowFrequency: low, highFrequency: high,
                original: try need(rope.originalMaxPositionEmbeddings.map(Double.init), "original_max_position_embeddings"))
        default:
            throw TransformerError("\(source): rope scaling \"\(type)\" is not supported (Loupe applies linear and llama3 scaling)")
        }
    }

    private static func activation(_ name: String, key: String, source: String) throws -> Activation {
        switch name {
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast": return .geluTanh
        case "gelu": return .gelu
        case "silu", "swish": return .silu
        case "relu": return .relu
        default: throw TransformerError("\(source): \(key) \"\(name)\" is not supported (gelu_new, gelu, silu, relu)")
        }
    }
}

/// config.json's fields, each family's names side by side; the ones a family lacks stay nil.
private struct RawConfig: Decodable {
    var modelType: String?
    var nEmbd, nLayer, nHead, nInner, nPositions: Int?
    var layerNormEpsilon: Double?
    var activationFunction: String?
    var scaleAttnByInverseLayerIdx, reorderAndUpcastAttn, scaleAttnWeights: Bool?
    var hiddenSize, numHiddenLayers, numAttentionHeads, numKeyValueHeads, intermediateSize, maxPositionEmbeddings: Int?
    var headDim, vocabSize, typeVocabSize, slidingWindow, bosTokenId: Int?
    var layerNormEps, rmsNormEps, ropeTheta: Double?
    var hiddenAct, positionEmbeddingType: String?
    var tieWordEmbeddings, attentionBias, mlpBias, useSlidingWindow: Bool?
    var ropeScaling, ropeParameters: Rope?

    struct Rope: Decodable {
        var ropeType, kind: String?
        var theta, factor, lowFreqFactor, highFreqFactor: Double?
        var originalMaxPositionEmbeddings: Int?
        /// transformers 5 writes `rope_type`; older configs `type`.
        var type: String? { ropeType ?? kind }
        enum CodingKeys: String, CodingKey {
            case ropeType = "rope_type", kind = "type", theta = "rope_theta", factor, lowFreqFactor = "low_freq_factor"
            case highFreqFactor = "high_freq_factor", originalMaxPositionEmbeddings = "original_max_position_embeddings"
        }
    }

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type", nEmbd = "n_embd", nLayer = "n_layer", nHead = "n_head", nInner = "n_inner"
        case nPositions = "n_positions", layerNormEpsilon = "layer_norm_epsilon", activationFunction = "activation_function"
        case scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx", reorderAndUpcastAttn = "reorder_and_upcast_attn"
        case scaleAttnWeights = "scale_attn_weights", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", numKeyValueHeads = "num_key_value_heads"
        case intermediateSize = "intermediate_size", maxPositionEmbeddings = "max_position_embeddings", headDim = "head_dim"
        case vocabSize = "vocab_size", typeVocabSize = "type_vocab_size", slidingWindow = "sliding_window"
        case layerNormEps = "layer_norm_eps", rmsNormEps = "rms_norm_eps", ropeTheta = "rope_theta", hiddenAct = "hidden_act"
        case positionEmbeddingType = "position_embedding_type", tieWordEmbeddings = "tie_word_embeddings"
        case attentionBias = "attention_bias", mlpBias = "mlp_bias", useSlidingWindow = "use_sliding_window"
        case ropeScaling = "rope_scaling", ropeParameters = "rope_parameters", bosTokenId = "bos_token_id"
    }
}
