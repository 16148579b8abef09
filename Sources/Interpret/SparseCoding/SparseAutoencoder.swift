import Foundation
import LinAlg

/// A sparse autoencoder in SAELens's conventions (docs/formats.md, docs/methods.md):
/// encode(x) = act((x − b_dec·[apply_b_dec_to_input]) W_enc + b_enc), decode(f) = f W_dec + b_dec.
/// A gated SAE has no b_enc: `encoderBias` holds its gate bias b_gate (so that the one product
/// x̃ W_enc + b_enc is the gate's pre-activation), and `magnitudeLogScale` and `magnitudeBias` its
/// r_mag and b_mag.
///
/// The encoder is held transposed, as `encoder` = W_encᵀ [d_sae, d_in], so that everything about
/// latent j (its encoder row, its decoder row, its Adam state) is one contiguous range; files hold
/// W_enc [d_in, d_sae] as SAELens does. Generic so that gradient checks run in Float64; trained
/// SAEs are Float32.
public struct SparseAutoencoder<T: BLASScalar>: Sendable {
    public var architecture: SAEArchitecture
    /// W_encᵀ [d_sae, d_in]; 0 × d_in for matching pursuit, which has no encoder.
    public var encoder: Matrix<T>
    /// b_enc [d_sae] (b_gate for gated); empty for matching pursuit.
    public var encoderBias: [T]
    /// W_dec [d_sae, d_in]: row j is latent j's direction (matching pursuit's atom j).
    public var decoder: Matrix<T>
    /// b_dec [d_in].
    public var decoderBias: [T]
    /// The JumpReLU threshold per latent (jumprelu, and batch top-k at inference); empty otherwise.
    public var threshold: [T]
    /// Gated only, [d_sae] each (empty otherwise): r_mag, whose exponential scales W_enc's
    /// columns for the magnitude path, and b_mag, that path's bias.
    public var magnitudeLogScale: [T]
    public var magnitudeBias: [T]
    /// Latents per sample for top-k and matching pursuit, on average for batch top-k; 0 otherwise.
    public var k: Int
    public var appliesDecoderBiasToInput: Bool
    /// When matching pursuit stops at inference (k steps unless set otherwise).
    public var stopping: MatchingPursuitStopping

    public init(
        architecture: SAEArchitecture, encoder: Matrix<T>, encoderBias: [T], decoder: Matrix<T>,
        decoderBias: [T], threshold: [T] = [], magnitudeLogScale: [T] = [], magnitudeBias: [T] = [], k: Int = 0,
        appliesDecoderBiasToInput: Bool = true, stopping: MatchingPursuitStopping? = nil
    ) {
        precondition(decoderBias.count == decoder.cols, "SparseAutoencoder: b_dec of \(decoderBias.count) for d_in \(decoder.cols)")
        precondition(
            !architecture.hasEncoder
                || (encoder.rows == decoder.rows && encoder.cols == decoder.cols
                    && encoderBias.count == decoder.rows),
            "SparseAutoencoder: encoder \(encoder.shapeDescription) and b_enc of \(encoderBias.count) for decoder \(decoder.shapeDescription)"
        )
        let magnitudes = architecture == .gated ? decoder.rows : 0
        precondition(
            magnitudeLogScale.count == magnitudes && magnitudeBias.count == magnitudes,
            "SparseAutoencoder: r_mag of \(magnitudeLogScale.count) and b_mag of \(magnitudeBias.count) for \(architecture.rawValue) with d_sae \(decoder.rows)"
        )
        self.architecture = architecture
        self.encoder = architecture.hasEncoder ? encoder : Matrix(rows: 0, cols: decoder.cols)
        self.encoderBias = architecture.hasEncoder ? encoderBias : []
        self.decoder = decoder
        self.decoderBias = decoderBias
        self.threshold = threshold
        self.magnitudeLogScale = magnitudeLogScale
        self.magnitudeBias = magnitudeBias
        self.k = k
        self.appliesDecoderBiasToInput = appliesDecoderBiasToInput
        self.stopping = stopping ?? MatchingPursuitStopping(maxSteps: k)
    }

    /// A freshly initialised SAE: random decoder rows of norm `decoderNorm` (1 for unit-norm
    /// training, 0.1 for standard and gated, as in SAELens), the encoder equal to the decoder's
    /// transpose, zero biases, for JumpReLU the threshold `initialThreshold`, and for gated
    /// r_mag = 0 (the magnitude path starts as the gate's product) and b_mag = 0, as SAELens.
    public static func initialised(
        architecture: SAEArchitecture, inputSize dIn: Int, latents dSAE: Int, k: Int,
        decoderNorm: Double, initialThreshold: Double = 0.5,
        rng: inout SeededRandom
    ) -> SparseAutoencoder {
        var decoder: Matrix<T> = rng.normalMatrix(rows: dSAE, cols: dIn)
        let norms = decoder.rowNorms()
        decoder.withUnsafeMutableBufferPointer { p in
            for j in 0..<dSAE where norms[j] > 0 {
                let s = T(decoderNorm) / norms[j]
                for i in 0..<dIn { p[j * dIn + i] *= s }
            }
        }
        let zeros = [T](repeating: 0, count: dSAE)
        return SparseAutoencoder(
            architecture: architecture, encoder: decoder, encoderBias: zeros, decoder: decoder,
            decoderBias: [T](repeating: 0, count: dIn),
            threshold: architecture == .jumprelu ? [T](repeating: T(initialThreshold), count: dSAE) : [],
            magnitudeLogScale: architecture == .gated ? zeros : [], magnitudeBias: architecture == .gated ? zeros : [], k: k)
    }

    public var inputSize: Int { decoder.cols }
    public var latentCount: Int { decoder.rows }

    // MARK: Encoding

    /// x − b_dec when the SAE subtracts it before encoding, x otherwise.
    func encoderInput(_ x: Matrix<T>) -> Matrix<T> {
        guard appliesDecoderBiasToInput else { return x }
        var input = x
        input.addToEachRow(decoderBias.map { -$0 })
        return input
    }

    /// (x − b_dec) W_enc + b_enc, one row per sample (not for matching pursuit); for gated the
    /// gate's pre-activation π_gate.
    public func preActivations(_ x: Matrix<T>) -> Matrix<T> {
        precondition(architecture.hasEncoder, "SparseAutoencoder.preActivations: matching pursuit has no encoder")
        return preActivations(ofEncoderInput: encoderInput(x))
    }

    func preActivations(ofEncoderInput input: Matrix<T>) -> Matrix<T> {
        var pre = Matrix(row: encoderBias).stacked(input.rows)
        gemm(into: &pre, input, encoder, transposeB: true, beta: 1)
        return pre
    }

    /// The codes of a batch: one row per sample, only the active latents stored.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func encode(_ x: Matrix<T>) -> SparseCodes<T> { encode(x, atomGram: nil) }

    /// The Gram matrix of the atoms, D Dᵀ, which matching pursuit updates its correlations with;
    /// worth computing once when encoding many batches.
    func atomGram() -> Matrix<T>? { architecture == .matchingPursuit ? gram(decoder, transpose: false) : nil }

    func encode(_ x: Matrix<T>, atomGram: Matrix<T>?) -> SparseCodes<T> {
        precondition(x.cols == inputSize, "SparseAutoencoder.encode: samples of \(x.cols) values, d_in is \(inputSize)")
        switch architecture {
        case .matchingPursuit:
            return MatchingPursuit.encode(
                x, atoms: decoder, bias: decoderBias, gram: atomGram ?? self.atomGram(),
                stopping: stopping
            ).codes
        case .standard:
            return Self.activeCodes(preActivations(x)) { pre, _ in pre > 0 }
        case .jumprelu, .batchtopk:
            let theta = threshold
            return Self.activeCodes(preActivations(x)) { pre, j in pre > 0 && pre > theta[j] }
        case .topk:
            return Self.topKCodes(preActivations(x), k: k)
        case .gated:
            var f = matmul(encoderInput(x), encoder, transposeB: true)
            gatedCodes(fromProduct: &f)
            return Self.activeCodes(f) { v, _ in v > 0 }
        }
    }

    /// A gated SAE's codes f = 1[π_gate > 0]·ReLU(μ), with π_gate = h + b_gate and
    /// μ = exp(r_mag) ⊙ h + b_mag, made in place from h = x̃ W_enc: the product both paths share,
    /// so that encoding is one matrix product and one elementwise pass. Rows in parallel;
    /// branch-free, so that the loop vectorises.
    func gatedCodes(fromProduct h: inout Matrix<T>) {
        let (n, m) = (h.rows, h.cols)
        // exp in Float64, rounded once: SAELens's float32 exp is within an ulp of it.
        let scale = magnitudeLogScale.map { T(Foundation.exp(Double($0))) }
        h.withUnsafeMutableBufferPointer { hp in
            encoderBias.withUnsafeBufferPointer { gb in
                magnitudeBias.withUnsafeBufferPointer { mb in
                    scale.withUnsafeBufferPointer { sp in
                        let (hBase, gBase, mBase, sBase) = (hp.baseAddress!, gb.baseAddress!, mb.baseAddress!, sp.baseAddress!)
                        let zero: T = 0
                        parallelChunks(n) { _, rows in
                            for b in rows {
                                let row = hBase + b * m
                                for j in 0..<m {
                                    let product = row[j]
                                    let magnitude = product * sBase[j] + mBase[j]
                                    let open = product + gBase[j] > zero ? magnitude : zero
                                    row[j] = open > zero ? open : zero
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// f W_dec + b_dec, touching only the decoder rows of active latents.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func decode(_ codes: SparseCodes<T>) -> Matrix<T> {
        precondition(codes.width == latentCount, "SparseAutoencoder.decode: codes over \(codes.width) latents, d_sae is \(latentCount)")
        let d = inputSize
        var out = Matrix<T>(rows: codes.count, cols: d)
        out.withUnsafeMutableBufferPointer { o in
            decoder.withUnsafeBufferPointer { w in
                for b in 0..<codes.count {
                    let row = o.baseAddress! + b * d
                    for i in 0..<d { row[i] = decoderBias[i] }
                    for e in codes.range(b) {
                        addScaled(d, codes.values[e], w.baseAddress! + codes.indices[e] * d, row)
                    }
                }
            }
        }
        return out
    }

    /// f W_dec + b_dec for dense codes, through one matrix product.
    public func decode(dense f: Matrix<T>) -> Matrix<T> {
        var out = Matrix<T>(rows: f.rows, cols: inputSize)
        out.withUnsafeMutableBufferPointer { o in
            for b in 0..<f.rows { for i in 0..<inputSize { o[b * inputSize + i] = decoderBias[i] } }
        }
        gemm(into: &out, f, decoder, beta: 1)
        return out
    }

    /// decode(encode(x)).
    public func reconstruct(_ x: Matrix<T>) -> Matrix<T> { decode(encode(x)) }

    /// The SAE that computes on raw activations x what this one computes on s·x, scaled back:
    /// encode'(x) = encode(s·x) and decode'(f) = decode(f) / s. Training-time input normalisation
    /// is folded in this way before saving, as SAELens's `fold_activation_norm_scaling_factor`
    /// does (W_enc·s, W_dec/s, b_dec/s; thresholds unchanged; for gated, b_gate, r_mag and b_mag
    /// unchanged: both of its paths are x̃ W_enc times s plus a bias). Matching pursuit is scale-equivariant,
    /// so only b_dec changes and the atoms stay unit-norm; its codes come out divided by s.
    public func foldingInputScale(_ s: T) -> SparseAutoencoder {
        var out = self
        out.decoderBias = decoderBias.map { $0 / s }
        if architecture.hasEncoder {
            out.encoder.scale(by: s)
            out.decoder.scale(by: 1 / s)
        }
        return out
    }

    // MARK: Code selection

    /// The entries of each row of `pre` that `isActive(value, latent)` keeps.
    static func activeCodes(_ pre: Matrix<T>, _ isActive: (T, Int) -> Bool) -> SparseCodes<T> {
        var codes = SparseCodes<T>(width: pre.cols)
        var idx = [Int](), val = [T]()
        pre.withUnsafeBufferPointer { p in
            for b in 0..<pre.rows {
                idx.removeAll(keepingCapacity: true)
                val.removeAll(keepingCapacity: true)
                let base = b * pre.cols
                for j in 0..<pre.cols where isActive(p[base + j], j) {
                    idx.append(j)
                    val.append(p[base + j])
                }
                codes.append(indices: idx, values: val)
            }
        }
        return codes
    }

    /// The k largest pre-activations of each row, after ReLU (so fewer than k when some are ≤ 0);
    /// rows are selected in parallel.
    static func topKCodes(_ pre: Matrix<T>, k: Int) -> SparseCodes<T> {
        let (n, m) = (pre.rows, pre.cols)
        let slots = min(k, m)
        var table = SlotTable<T>(samples: n, slots: slots)
        pre.withUnsafeBufferPointer { p in
            table.withPointers { out in
                let base = p.baseAddress!
                parallelChunks(n) { _, rows in
                    for b in rows {
                        let row = base + b * m
                        let chosen = TopKSelection.largest(row, count: m, k: slots).filter { row[$0] > 0 }.sorted()
                        for (t, j) in chosen.enumerated() { out.record(sample: b, slot: t, latent: j, value: row[j]) }
                        out.setCount(sample: b, chosen.count)
                    }
                }
            }
        }
        return table.codes(width: m)
    }
}

/// When matching pursuit stops encoding a sample (docs/methods.md): after `maxSteps` steps, when
/// the residual norm falls below `residualThreshold`, or, with `stopWhenSupportUnchanged`, after
/// a step that picks an atom already in the code (it refines a coefficient but the support no
/// longer grows). It always stops when no atom has a positive correlation with the residual.
public struct MatchingPursuitStopping: Codable, Sendable, Equatable {
    public var maxSteps: Int
    public var residualThreshold: Double?
    public var stopWhenSupportUnchanged: Bool

    public init(maxSteps: Int, residualThreshold: Double? = nil, stopWhenSupportUnchanged: Bool = false) {
        self.maxSteps = maxSteps
        self.residualThreshold = residualThreshold
        self.stopWhenSupportUnchanged = stopWhenSupportUnchanged
    }
}
