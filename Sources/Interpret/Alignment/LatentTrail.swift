import LinAlg
import Networks

/// What a trail follows: one unit of a layer, or one latent of an SAE on that layer.
public enum TrailObject: Codable, Equatable, Sendable, CustomStringConvertible {
    case unit(Int)
    case latent(Int)

    public var description: String {
        switch self {
        case .unit(let u): return "unit \(u)"
        case .latent(let j): return "latent \(j)"
        }
    }
}

/// Model B's unit most correlated with the object's activation over the data (a channel, for
/// a convolutional layer: that of the best-correlated position).
public struct TrailPartner: Codable, Equatable, Sendable {
    public var layer: String
    public var unit: Int
    public var correlation: Double
}

/// The class-form eigenvector of a bilinear layer closest in direction to the object's.
public struct TrailEigenfeature: Codable, Equatable, Sendable {
    public var bilinearLayer: String
    /// The form's label (a class), the eigenvector's place in its spectrum and its eigenvalue.
    public var form: String
    public var index: Int
    public var eigenvalue: Double
    /// |cos| between the object's direction and the eigenvector (an eigenvector's sign is arbitrary).
    public var cosine: Double
}

/// One unit or SAE latent of a layer of model A followed into every other analysis at once
/// (docs/methods.md, "Linked analyses"): the sample where it is largest and the LRP relevance
/// of its activation there (the latent read as a direction u of the layer, u·h(x) explained
/// by the network up to the layer), its partner in model B, the unit Re-Basin matches it to,
/// and the bilinear eigenvector closest to it. What the workbench's jumps show and what the
/// `trail` probe method writes.
public struct LatentTrail: Codable, Equatable, Sendable {
    public var model: String
    public var layer: String
    public var object: TrailObject
    /// Where the object is largest over the data, and its value there.
    public var topSample: Int
    public var topActivation: Double
    /// The direction of the layer LRP explains: the latent's encoder row (its decoder row for
    /// matching pursuit, which has no encoder), or the unit's basis vector.
    public var direction: [Double]
    /// Relevance of u·h(x) on the top sample, one value per input, and u·h(x) itself.
    public var relevance: [Float]
    public var explained: Double
    /// A's unit the object writes to most: the largest |decoder weight| of a latent; a unit itself.
    /// Units of a convolutional layer are its channels (as Align and Re-Basin count them): the
    /// channel whose weights are largest in sum, the channel of a unit.
    public var strongestUnit: Int
    public var partner: TrailPartner?
    /// B's unit that Git Re-Basin pairs with `strongestUnit`.
    public var rebasinUnit: Int?
    public var eigenfeature: TrailEigenfeature?

    /// The decoder direction of a latent (or the basis vector of a unit) in the layer's space:
    /// what is compared with eigenvectors.
    public var writes: [Double]

    /// Follows `object` on `layer` of `a` (with `sae` for a latent) over `data`; the partner
    /// when `b` is given (its layer `layerB`, default the same name), the Re-Basin unit when
    /// `rebasin` holds the permutations of B's units that match A's.
    public static func follow(
        _ object: TrailObject, layer: String, of a: Network<Float>, sae: SparseAutoencoder<Float>? = nil, data: Dataset,
        b: Network<Float>? = nil, layerB: String? = nil, rebasin: [PermutedGroup]? = nil,
        configuration: LRPConfiguration = LRPConfiguration(composite: .epsilonPlus)
    ) throws -> LatentTrail {
        let acts = try LayerActivations.collect(a, data.x, layers: [layer])[0]
        let width = acts.cols
        // Units as Align and Re-Basin count them: the channels of a [C, H, W] layer.
        let shape = try a.shape(of: layer)
        let positions = shape.count == 3 ? shape[1] * shape[2] : 1
        let units = width / positions
        let signal: [Double], direction: [Double], writes: [Double]
        switch object {
        case .unit(let u):
            guard (0..<units).contains(u) else {
                throw InterpretError("layer '\(layer)' has units 0…\(units - 1)\(positions > 1 ? " (channels)" : ""), not \(u)")
            }
            // A channel is the sum over its positions: u·h(x) with u one on the channel.
            let span = (u * positions)..<((u + 1) * positions)
            signal = (0..<acts.rows).map { r in span.reduce(0.0) { $0 + Double(acts[r, $1]) } }
            direction = (0..<width).map { span.contains($0) ? 1 : 0 }
            writes = direction
        case .latent(let j):
            guard let sae else { throw InterpretError("latent \(j): no SAE to read it from") }
            guard sae.inputSize == width else {
                throw InterpretError("the SAE reads \(sae.inputSize) values; layer '\(layer)' has \(width)")
            }
            guard (0..<sae.latentCount).contains(j) else { throw InterpretError("the SAE has latents 0…\(sae.latentCount - 1), not \(j)") }
            signal = sae.encode(acts).dense.column(j).map(Double.init)
            writes = sae.decoder.row(j).map(Double.init)
            direction = sae.encoder.rows > 0 ? sae.encoder.row(j).map(Double.init) : writes
        }
        let top = signal.indices.max { signal[$0] < signal[$1] } ?? 0
        guard signal.contains(where: { $0 != signal[top] }) else { throw Constant(object: object, layer: layer, data: data.name) }
        let upTo = try a.truncated(through: layer)
        let lrp = try LRPExplanation.compute(
            network: upTo, data: data, samples: [top], configuration: configuration, target: .direction(direction))
        let weight = stride(from: 0, to: width, by: positions).map { start in
            writes[start..<(start + positions)].reduce(0) { $0 + abs($1) }
        }
        let strongest = weight.indices.max { weight[$0] < weight[$1] } ?? 0
        var trail = LatentTrail(
            model: a.name, layer: layer, object: object, topSample: top, topActivation: signal[top], direction: direction,
            relevance: lrp.relevance[0], explained: lrp.explained[0], strongestUnit: strongest, writes: writes)
        if let b {
            let name = layerB ?? layer
            let other = try LayerActivations.collect(b, data.x, layers: [name])[0].converted(to: Double.self)
            let r = crossCorrelation(Matrix(column: signal), other).row(0)
            let positionsB = (try? b.shape(of: name)).map { $0.count == 3 ? $0[1] * $0[2] : 1 } ?? 1
            if let best = r.indices.max(by: { r[$0] < r[$1] }) {
                trail.partner = TrailPartner(layer: name, unit: best / positionsB, correlation: r[best])
            }
        }
        if let group = rebasin.flatMap({ Self.group(for: layer, in: a, among: $0) }), strongest < group.permutation.count {
            trail.rebasinUnit = group.permutation[strongest]
        }
        trail.eigenfeature = try Self.eigenfeature(writes, layer: layer, of: a)
        return trail
    }

    /// An object that never changes over the data (a dead latent or unit): it has no sample
    /// where it is largest and no partner.
    public struct Constant: Error, CustomStringConvertible {
        public let object: TrailObject
        public let layer: String
        public let data: String
        public var description: String { "\(object) of \(layer) is constant over \(data) (it never fires): nothing to follow" }
    }

    /// The permuted group `layer`'s units belong to: its own, or that of the nearest layer
    /// before it of the same width (an activation shares its linear layer's permutation).
    static func group(for layer: String, in network: Network<Float>, among groups: [PermutedGroup]) -> PermutedGroup? {
        guard var i = network.layers.firstIndex(where: { $0.name == layer }) else { return nil }
        let width = network.layers[i].outputSize
        while i >= 0, network.layers[i].outputSize == width {
            if let g = groups.first(where: { $0.layer == network.layers[i].name }) { return g }
            i -= 1
        }
        return nil
    }

    /// Eigenvectors compared per form: the strongest few of each sign.
    static let eigenvectorsPerForm = 3

    /// The eigenvector of the first bilinear layer after `layer`, its forms written in the
    /// layer's space, closest to `direction`; nil when no bilinear layer can be written there.
    static func eigenfeature(_ direction: [Double], layer: String, of network: Network<Float>) throws -> TrailEigenfeature? {
        guard let index = network.layers.firstIndex(where: { $0.name == layer }),
            let bilinear = network.layers[(index + 1)...].first(where: { if case .bilinear = $0.operation { true } else { false } }),
            let site = try? BilinearSite(network: network, layer: bilinear.name, space: layer), site.spaceSize == direction.count
        else { return nil }
        let norm = direction.reduce(0) { $0 + $1 * $1 }.squareRoot()
        guard norm > 0 else { return nil }
        var best: TrailEigenfeature?
        for spectrum in try BilinearAnalysis(site: site).spectra(top: eigenvectorsPerForm) {
            for feature in spectrum.positive + spectrum.negative {
                let v = feature.vector
                let vNorm = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard vNorm > 0 else { continue }
                let cosine = abs(zip(direction, v).reduce(0) { $0 + $1.0 * $1.1 }) / (norm * vNorm)
                if cosine > best?.cosine ?? -1 {
                    best = TrailEigenfeature(
                        bilinearLayer: bilinear.name, form: spectrum.label, index: feature.index, eigenvalue: feature.eigenvalue,
                        cosine: cosine)
                }
            }
        }
        return best
    }
}
