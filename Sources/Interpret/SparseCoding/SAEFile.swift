import Foundation
import LinAlg
import Networks
import TensorIO

/// Where an SAE came from and how it was trained and measured: the `loupe` block Loupe adds to
/// SAELens's cfg.json (SAELens ignores keys it does not know).
public struct SAEFileInfo: Codable, Sendable, Equatable {
    public var format = "loupe.sae/1"
    /// The model and layer the activations came from, and the data (or activation file).
    public var model: String?
    public var layer: String?
    public var data: String?
    /// The architecture it was trained as, when the file says another (batch top-k is saved as
    /// the JumpReLU it is at inference, as SAELens does).
    public var trainedAs: SAEArchitecture?
    public var training: SAETrainingOptions?
    /// The training-time input scale, already folded into the weights.
    public var inputScale: Double?
    /// The training figures at the end of the run, and the metrics of the final evaluation.
    public var finalTraining: SAEBatchLoss?
    public var metrics: SAEMetrics?
    /// What the cfg.json's SAELens fields say about the activations (model_name, hook_name,
    /// context_size, prepend_bos); written there, not in the `loupe` block.
    public var saeLens: SAELensMetadata?

    enum CodingKeys: String, CodingKey {
        case format, model, layer, data, trainedAs, training, inputScale, finalTraining, metrics
    }

    public init(
        model: String? = nil, layer: String? = nil, data: String? = nil, trainedAs: SAEArchitecture? = nil,
        training: SAETrainingOptions? = nil, inputScale: Double? = nil, finalTraining: SAEBatchLoss? = nil,
        metrics: SAEMetrics? = nil, saeLens: SAELensMetadata? = nil
    ) {
        self.model = model
        self.layer = layer
        self.data = data
        self.trainedAs = trainedAs
        self.training = training
        self.inputScale = inputScale
        self.finalTraining = finalTraining
        self.metrics = metrics
        self.saeLens = saeLens
    }
}

/// Reads and writes SAEs in SAELens's layout (docs/formats.md): a directory with `cfg.json` and
/// `sae_weights.safetensors` holding W_enc [d_in, d_sae], b_enc, W_dec [d_sae, d_in], b_dec and,
/// for JumpReLU, threshold; gated has b_gate, r_mag and b_mag in place of b_enc; matching pursuit
/// (tied in SAELens) only W_dec and b_dec.
public enum SAEFile {
    public static let configName = "cfg.json"
    public static let weightsName = "sae_weights.safetensors"

    /// The cfg.json layout of SAELens 6, which SAELens reads without converting older keys.
    static let layoutVersion = "6.0.0"

    // MARK: Saving

    /// Writes the SAE (Float32) and its cfg.json into `directory`, creating it (its parent must
    /// exist); each file is written atomically.
    public static func save(_ sae: SparseAutoencoder<Float>, info: SAEFileInfo = SAEFileInfo(), to directory: URL) throws {
        if PathKind(directory.path) != .directory {
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: false)
            } catch {
                throw InterpretError("cannot create the SAE directory \(directory.path): \(errorText(error))")
            }
        }
        var info = info
        var architecture = sae.architecture
        if architecture == .batchtopk {
            architecture = .jumprelu
            info.trainedAs = .batchtopk
        }
        var tensors = ["W_dec": Tensor(sae.decoder), "b_dec": Tensor(sae.decoderBias, shape: [sae.inputSize])]
        let m = sae.latentCount
        if architecture.hasEncoder {
            tensors["W_enc"] = Tensor(sae.encoder.transposed())
            tensors[architecture == .gated ? "b_gate" : "b_enc"] = Tensor(sae.encoderBias, shape: [m])
        }
        if architecture == .jumprelu { tensors["threshold"] = Tensor(sae.threshold, shape: [m]) }
        if architecture == .gated {
            tensors["r_mag"] = Tensor(sae.magnitudeLogScale, shape: [m])
            tensors["b_mag"] = Tensor(sae.magnitudeBias, shape: [m])
        }

        var metadata = info.saeLens?.json ?? [:]
        metadata["sae_lens_version"] = layoutVersion
        if metadata["model_name"] == nil, let model = info.model { metadata["model_name"] = model }
        if metadata["hook_name"] == nil, let layer = info.layer { metadata["hook_name"] = layer }
        var config: [String: Any] = [
            "architecture": architecture.rawValue, "d_in": sae.inputSize, "d_sae": sae.latentCount,
            "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": sae.appliesDecoderBiasToInput,
            "normalize_activations": "none", "reshape_activations": "none", "metadata": metadata
        ]
        switch architecture {
        case .topk:
            config["k"] = sae.k
            config["rescale_acts_by_decoder_norm"] = false
        case .matchingPursuit:
            config["k"] = sae.k
            config["max_iterations"] = sae.stopping.maxSteps
            config["residual_threshold"] = sae.stopping.residualThreshold ?? 0
            config["stop_on_duplicate_support"] = sae.stopping.stopWhenSupportUnchanged
        case .standard, .jumprelu, .batchtopk, .gated:
            if sae.k > 0 { config["k"] = sae.k }
        }
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        config["loupe"] = try JSONSerialization.jsonObject(with: encoder.encode(info))
        let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        try SafeTensors.write(SafeTensorsFile(tensors: tensors), to: directory.appendingPathComponent(weightsName))
        try AtomicFile.write(json, to: directory.appendingPathComponent(configName))
    }

    // MARK: Loading

    /// A cfg.json is a few kilobytes; a larger file is not one.
    static let maxConfigSize = 16 << 20

    /// The architecture a cfg.json names. SAELens configs from before the field existed are
    /// standard SAEs, so a missing one is read as standard, but only when nothing in the file
    /// says otherwise: a `k`, a top-k activation or a threshold tensor would be silently
    /// mis-evaluated as a ReLU SAE.
    static func readArchitecture(_ cfg: [String: Any], cfgPath: String, threshold hasThreshold: () -> Bool) throws -> SAEArchitecture {
        let known = SAEArchitecture.allCases.map(\.rawValue).joined(separator: ", ")
        guard let value = cfg["architecture"] else {
            let hints =
                ["k", "top_k"].filter { cfg[$0] != nil && !(cfg[$0] is NSNull) }
                + ((cfg["activation_fn"] as? String).map { $0 == "relu" ? [] : ["activation_fn \($0)"] } ?? [])
                + (hasThreshold() ? ["a threshold tensor"] : [])
            guard hints.isEmpty else {
                throw InterpretError(
                    "\(cfgPath): no 'architecture', but the file has \(hints.joined(separator: " and ")), so it is not a standard SAE; add \"architecture\" (\(known))"
                )
            }
            return .standard
        }
        guard let name = value as? String else {
            throw InterpretError("\(cfgPath): 'architecture' must be a string (\(known)), found \(jsonTypeName(value))")
        }
        do { return try SAEArchitecture.parse(name) } catch {
            throw InterpretError("\(cfgPath): architecture '\(name)' is not supported; Loupe reads \(known)")
        }
    }

    /// Reads an SAE written by SAELens or Loupe. Anything it cannot use exactly is refused with
    /// one line naming the file and the field or tensor.
    public static func load(_ directory: URL) throws -> (sae: SparseAutoencoder<Float>, info: SAEFileInfo?) {
        let configURL = directory.appendingPathComponent(configName)
        let cfgPath = configURL.path
        guard FileManager.default.fileExists(atPath: cfgPath) else {
            throw InterpretError("\(directory.path): not an SAE directory (no \(configName))")
        }
        try InputCheck.readableFile(configURL)
        let size = (try? FileManager.default.attributesOfItem(atPath: cfgPath)[.size] as? Int) ?? 0
        guard size <= maxConfigSize else { throw InterpretError("\(cfgPath): \(size) bytes is too large for an SAE's cfg.json") }
        let weightsURL = directory.appendingPathComponent(weightsName)
        let scalerURL = directory.appendingPathComponent(SAELensConfig.activationScalerName)
        return try decode(
            config: Data(contentsOf: configURL), configPath: cfgPath, weightsPath: weightsURL.path,
            activationScaler: {
                guard FileManager.default.fileExists(atPath: scalerURL.path) else { return nil }
                try InputCheck.readableFile(scalerURL)
                let size = (try? FileManager.default.attributesOfItem(atPath: scalerURL.path)[.size] as? Int) ?? 0
                guard size <= maxConfigSize else { throw InterpretError("\(scalerURL.path): \(size) bytes is too large") }
                return try Data(contentsOf: scalerURL)
            }
        ) {
            guard FileManager.default.fileExists(atPath: weightsURL.path) else {
                throw InterpretError("\(directory.path): no \(weightsName)")
            }
            return try SafeTensors.read(weightsURL)
        }
    }

    /// Reads an SAE from the bytes of its cfg.json and its weights (read only when needed), and
    /// SAELens's activation_scaler.json when one is beside them (nil otherwise); the paths name
    /// them in messages. Configs of every SAELens version are read (`SAELensConfig.current`).
    public static func decode(
        config: Data, configPath cfgPath: String, weightsPath: String, activationScaler: () throws -> Data? = { nil },
        weights readWeights: () throws -> SafeTensorsFile
    ) throws -> (sae: SparseAutoencoder<Float>, info: SAEFileInfo?) {
        let object = try? JSONSerialization.jsonObject(with: config)
        guard let written = object as? [String: Any] else { throw InterpretError("\(cfgPath): not a JSON object") }
        let cfg = SAELensConfig.current(written)
        var weightsFile: SafeTensorsFile?
        func weights() throws -> SafeTensorsFile {
            if let weightsFile { return weightsFile }
            let file = try readWeights()
            weightsFile = file
            return file
        }
        let architecture = try readArchitecture(cfg, cfgPath: cfgPath, threshold: { (try? weights())?.tensors["threshold"] != nil })
        func integer(_ key: String) throws -> Int {
            guard let v = cfg[key] as? Int, v > 0 else { throw InterpretError("\(cfgPath): '\(key)' must be a positive integer") }
            return v
        }
        let dIn = try integer("d_in"), dSAE = try integer("d_sae")
        // The encoder and decoder are held as Float32 (and the weights file mapped beside them).
        try MemoryBudget.check(
            MemoryBudget.product(dIn, dSAE, MemoryLayout<Float>.size, 2),
            for: "\(cfgPath): an SAE of d_in \(dIn) × d_sae \(dSAE)")
        let scalerPath = ((cfgPath as NSString).deletingLastPathComponent as NSString).appendingPathComponent(
            SAELensConfig.activationScalerName)
        let inputScale = try SAELensConfig.inputScale(cfg, cfgPath: cfgPath, scalerPath: scalerPath, scaler: activationScaler)
        if let activation = cfg["activation_fn"] as? String {
            guard ["relu", "topk"].contains(activation) else {
                throw InterpretError("\(cfgPath): activation_fn '\(activation)' is not supported (relu only)")
            }
            guard activation == "relu" || architecture == .topk else {
                throw InterpretError("\(cfgPath): activation_fn 'topk' needs activation_fn_kwargs.k, the latents kept per sample")
            }
        }
        if let scaling = cfg["finetuning_scaling_factor"] as? Bool, scaling {
            throw InterpretError("\(cfgPath): finetuning_scaling_factor is not supported")
        }
        let applyBias = cfg["apply_b_dec_to_input"] as? Bool ?? true
        // null is how some writers spell "absent"; anything else must be the object Loupe wrote.
        var info = try (cfg["loupe"].flatMap { $0 is NSNull ? nil : $0 }).map { block -> SAEFileInfo in
            guard block is [String: Any] else {
                throw InterpretError("\(cfgPath): 'loupe' must be an object, found \(jsonTypeName(block))")
            }
            do {
                return try JSONDecoder().decode(SAEFileInfo.self, from: JSONSerialization.data(withJSONObject: block))
            } catch {
                throw InterpretError("\(cfgPath): the 'loupe' block is not readable (\(error))")
            }
        }

        let file = try weights()
        func tensor(_ name: String, _ shape: [Int]) throws -> [Float] {
            guard let t = file[name] else {
                throw InterpretError("\(weightsPath): no tensor '\(name)' (found: \(file.tensors.keys.sorted().joined(separator: ", ")))")
            }
            guard t.shape == shape else {
                throw InterpretError("\(weightsPath): tensor '\(name)' has shape \(shapeText(t.shape)), expected \(shapeText(shape))")
            }
            guard t.dtype.isFloatingPoint else {
                throw InterpretError("\(weightsPath): tensor '\(name)' is \(t.dtype.rawValue), expected floating point")
            }
            let values = t.floats()
            guard values.allSatisfy(\.isFinite) else { throw InterpretError("\(weightsPath): tensor '\(name)' contains NaN or infinity") }
            return values
        }
        var decoder = Matrix(rows: dSAE, cols: dIn, storage: try tensor("W_dec", [dSAE, dIn]))
        var decoderBias = try tensor("b_dec", [dIn])
        var encoder = Matrix<Float>(rows: 0, cols: dIn)
        var encoderBias: [Float] = []
        if architecture.hasEncoder {
            encoder = Matrix(rows: dIn, cols: dSAE, storage: try tensor("W_enc", [dIn, dSAE])).transposed()
            encoderBias = try tensor(architecture == .gated ? "b_gate" : "b_enc", [dSAE])
        }
        var threshold: [Float] = [], magnitudeLogScale: [Float] = [], magnitudeBias: [Float] = []
        var k = (cfg["k"] as? Int) ?? 0
        var stopping: MatchingPursuitStopping?
        switch architecture {
        case .gated:
            magnitudeLogScale = try tensor("r_mag", [dSAE])
            magnitudeBias = try tensor("b_mag", [dSAE])
            // exp(r_mag) scales the magnitude path: an infinite one would give infinite codes.
            if let j = magnitudeLogScale.firstIndex(where: { !Foundation.exp($0).isFinite }) {
                throw InterpretError(
                    "\(weightsPath): tensor 'r_mag' has \(magnitudeLogScale[j]) at latent \(j), whose exponential is not a finite Float32")
            }
        case .jumprelu:
            threshold = try tensor("threshold", [dSAE])
        case .batchtopk:
            // A SAELens training checkpoint: the running threshold is a scalar buffer.
            if file["threshold"] != nil {
                threshold = try tensor("threshold", [dSAE])
            } else {
                threshold = [Float](repeating: try tensor("topk_threshold", [])[0], count: dSAE)
            }
        case .topk:
            guard k > 0 && k <= dSAE else { throw InterpretError("\(cfgPath): top-k needs 'k' between 1 and d_sae = \(dSAE)") }
            if cfg["rescale_acts_by_decoder_norm"] as? Bool == true {
                // SAELens selects on pre·‖d_j‖ and decodes f/‖d_j‖: the same SAE with encoder
                // rows and b_enc times ‖d_j‖ and unit decoder rows.
                let norms = decoder.rowNorms()
                for j in 0..<dSAE where norms[j] > 0 {
                    encoder.setRow(j, encoder.row(j).map { $0 * norms[j] })
                    encoderBias[j] *= norms[j]
                    decoder.setRow(j, decoder.row(j).map { $0 / norms[j] })
                }
            }
        case .matchingPursuit:
            let maxSteps = (cfg["max_iterations"] as? Int) ?? dIn
            guard maxSteps > 0 && maxSteps <= dSAE * 4 else {
                throw InterpretError("\(cfgPath): max_iterations must be between 1 and 4 × d_sae")
            }
            let residual = (cfg["residual_threshold"] as? Double) ?? 1e-2
            stopping = MatchingPursuitStopping(
                maxSteps: maxSteps, residualThreshold: residual > 0 ? residual : nil,
                stopWhenSupportUnchanged: (cfg["stop_on_duplicate_support"] as? Bool) ?? true)
            if k == 0 { k = maxSteps }
            // SAELens's tied matching pursuit uses b_dec on both sides or not at all.
            if !applyBias { decoderBias = [Float](repeating: 0, count: dIn) }
        case .standard:
            break
        }
        var sae = SparseAutoencoder(
            architecture: architecture, encoder: encoder, encoderBias: encoderBias, decoder: decoder,
            decoderBias: decoderBias, threshold: threshold, magnitudeLogScale: magnitudeLogScale, magnitudeBias: magnitudeBias, k: k,
            appliesDecoderBiasToInput: architecture == .matchingPursuit ? true : applyBias,
            stopping: stopping)
        // What SAELens's trainer does before saving a final SAE (fold_activation_norm_scaling_factor).
        if let inputScale { sae = sae.foldingInputScale(Float(inputScale)) }
        let metadata = SAELensMetadata(cfg)
        if !metadata.isEmpty {
            info = info ?? SAEFileInfo()
            info?.saeLens = metadata
        }
        return (sae, info)
    }
}
