import LinAlg
import Networks

/// Which axes of which parameter tensors move together when the hidden units of a layer are
/// permuted (Ainsworth, Hayase & Srinivasa 2023, "Git Re-Basin"), derived from the architecture.
///
/// Permuting the outputs of a layer (rows of its weight, its bias; both halves of a bilinear
/// layer alike) and, with the same permutation, the matching input axis of the next
/// parametrised layer leaves the network's function unchanged: elementwise activations and
/// per-channel pooling commute with it, and a flatten turns a permutation of C channels into
/// one of C blocks of H·W inputs. The last parametrised layer's outputs (the logits) stay.
/// Batchnorm is folded into the layer before it where it can be; the parameters of one that
/// is not, and a layernorm's weight and bias, move with the units they scale.
public struct PermutationSpec: Codable, Equatable, Sendable {
    /// One axis of one parameter tensor, seen as [outer, units, inner]: a unit owns the
    /// `inner` consecutive values at its index in each of the `outer` slices.
    public struct Axis: Codable, Equatable, Sendable {
        public var tensor: String
        /// Index into the network's `parameterSlots`.
        public var slot: Int
        public var outer: Int
        public var inner: Int
    }

    /// The hidden units (or channels) of one layer and every axis their order shows in.
    public struct Group: Codable, Equatable, Sendable {
        public var layer: String
        public var size: Int
        /// The activation that carries these units to the next parametrised layer (after its
        /// nonlinearity and pooling, before any flatten): what activation matching compares.
        public var activationLayer: String
        public var axes: [Axis]
    }

    public var groups: [Group]

    public init<T>(_ network: Network<T>) throws {
        try network.requireChain(for: "Re-Basin")
        let slots = network.parameterSlots
        func slot(_ layer: Int, _ role: String) -> Int {
            slots.firstIndex { $0.layer == layer && $0.role == role }!
        }
        func axis(_ layer: Int, _ role: String, outer: Int, inner: Int) -> Axis {
            let s = slot(layer, role)
            return Axis(tensor: slots[s].tensorName, slot: s, outer: outer, inner: inner)
        }
        // The layers whose outputs are units of their own (a layernorm's or batchnorm's follow
        // its input's).
        func makesUnits(_ layer: Layer<T>) -> Bool {
            switch layer.operation {
            case .layerNorm, .batchNorm: return false
            default: return !layer.parameters.isEmpty
            }
        }
        let parametrised = network.layers.indices.filter { makesUnits(network.layers[$0]) }
        guard parametrised.count >= 2 else {
            throw InterpretError(
                "model '\(network.name)' has \(parametrised.count) parametrised layer(s); Re-Basin needs hidden units between two")
        }
        var groups: [Group] = []
        // The group whose order the activation flowing forward has, and how many consecutive
        // flat inputs each of its units covers (H·W after a flatten of channels, else 1).
        var incoming: Int?
        var block = 1
        for (i, layer) in network.layers.enumerated() {
            let roles = layer.parameters.map(\.role)
            switch layer.operation {
            case .linear(let l):
                if let g = incoming { groups[g].axes.append(axis(i, "weight", outer: l.outFeatures, inner: block)) }
                if i != parametrised.last {
                    groups.append(
                        Group(
                            layer: layer.name, size: l.outFeatures, activationLayer: layer.name,
                            axes: roles.map { axis(i, $0, outer: 1, inner: $0 == "weight" ? l.inFeatures : 1) }))
                }
            case .bilinear(let b):
                if let g = incoming {
                    for role in ["left", "right"] { groups[g].axes.append(axis(i, role, outer: b.outFeatures, inner: block)) }
                }
                if i != parametrised.last {
                    groups.append(
                        Group(
                            layer: layer.name, size: b.outFeatures, activationLayer: layer.name,
                            axes: roles.map { axis(i, $0, outer: 1, inner: $0.hasSuffix("bias") ? 1 : b.inFeatures) }))
                }
            case .conv2d(let c):
                let kernelArea = c.geometry.kernel.h * c.geometry.kernel.w
                if let g = incoming { groups[g].axes.append(axis(i, "weight", outer: c.outChannels, inner: kernelArea)) }
                if i != parametrised.last {
                    groups.append(
                        Group(
                            layer: layer.name, size: c.outChannels, activationLayer: layer.name,
                            axes: roles.map { axis(i, $0, outer: 1, inner: $0 == "weight" ? c.geometry.patchSize : 1) }))
                }
            case .activation, .pool:
                if let g = incoming { groups[g].activationLayer = layer.name }
            case .layerNorm(let n):
                // Normalising commutes with permuting the units; its weight and bias follow them
                // when they span the units' axis (each unit owning the same number of values).
                if let g = incoming {
                    groups[g].activationLayer = layer.name
                    if n.normalizedShape.count == layer.inputShape.count {
                        let inner = n.normalizedSize / groups[g].size
                        for role in roles { groups[g].axes.append(axis(i, role, outer: 1, inner: inner)) }
                    }
                }
            case .batchNorm(let n):
                // Each channel's four values move with the channel.
                if let g = incoming {
                    groups[g].activationLayer = layer.name
                    guard n.channels == groups[g].size else {
                        throw InterpretError(
                            "Re-Basin: batchnorm '\(layer.name)' has \(n.channels) channels, but the \(groups[g].size) units of '\(groups[g].layer)' reach it; they cannot be permuted through it"
                        )
                    }
                    for role in roles { groups[g].axes.append(axis(i, role, outer: 1, inner: 1)) }
                }
            case .merge:
                preconditionFailure("a chain has no merges")
            case .flatten, .reshape:
                // Units survive a reshape that keeps them the outermost axis: flattening makes each
                // a block of consecutive values, and a shape whose first axis is the units makes
                // them channels again. Any other shape splits or mixes them.
                guard let g = incoming else { break }
                let units = groups[g].size
                if layer.outputShape.count == 1 {
                    if layer.inputShape.count > 1 { block = layer.outputSize / units }
                } else if layer.outputShape[0] == units {
                    block = 1
                } else {
                    throw InterpretError(
                        "Re-Basin: \(layer.operation.kind) '\(layer.name)' turns \(shapeText(layer.inputShape)) into \(shapeText(layer.outputShape)), which splits the \(units) units of '\(groups[g].layer)'; they cannot be permuted through it"
                    )
                }
            case .softmax:
                break
            }
            if makesUnits(layer) {
                incoming = i == parametrised.last ? nil : groups.count - 1
                block = 1
            }
        }
        self.groups = groups
    }

    /// Parameter tensors (in `parameterSlots` order) with `permutations[g]` applied to group g:
    /// new unit u is old unit permutations[g][u].
    public func apply(_ permutations: [[Int]], to tensors: [[Float]]) -> [[Float]] {
        precondition(
            permutations.count == groups.count, "PermutationSpec.apply: \(permutations.count) permutations for \(groups.count) groups")
        var out = tensors
        for (group, p) in zip(groups, permutations) {
            for axis in group.axes { out[axis.slot] = Self.permute(out[axis.slot], along: axis, by: p) }
        }
        return out
    }

    /// The network with its hidden units permuted; it computes the same function.
    public func apply(_ permutations: [[Int]], to network: Network<Float>) -> Network<Float> {
        var permuted = network
        permuted.setFlatParameters(apply(permutations, to: Self.tensors(of: network)).flatMap { $0 })
        return permuted
    }

    /// The network's parameters split into its tensors, in `parameterSlots` order.
    public static func tensors(of network: Network<Float>) -> [[Float]] {
        let flat = network.flatParameters
        return network.parameterSlots.map { Array(flat[$0.range]) }
    }

    static func permute<T>(_ values: [T], along axis: Axis, by p: [Int]) -> [T] {
        let (n, inner) = (p.count, axis.inner)
        var out = values
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for o in 0..<axis.outer {
                    for u in 0..<n {
                        let from = (o * n + p[u]) * inner, to = (o * n + u) * inner
                        for k in 0..<inner { dst[to + k] = src[from + k] }
                    }
                }
            }
        }
        return out
    }

    /// The tensor as an n × (outer·inner) matrix whose row u holds everything unit u owns:
    /// column o·inner + k holds the value at [o, u, k].
    static func unfold(_ values: [Float], along axis: Axis, units n: Int) -> Matrix<Double> {
        let inner = axis.inner
        var m = Matrix<Double>(rows: n, cols: axis.outer * inner)
        m.withUnsafeMutableBufferPointer { dst in
            for o in 0..<axis.outer {
                for u in 0..<n {
                    let from = (o * n + u) * inner, to = u * axis.outer * inner + o * inner
                    for k in 0..<inner { dst[to + k] = Double(values[from + k]) }
                }
            }
        }
        return m
    }
}

extension PermutationSpec.Axis {
    /// The flat index, in the tensor, that the value at `flat` comes from once this axis is
    /// permuted by `p` (new unit u is old unit p[u], as `PermutationSpec.permute` does).
    func source(ofFlat flat: Int, permutedBy p: [Int]) -> Int {
        let (o, rest) = flat.quotientAndRemainder(dividingBy: p.count * inner)
        let (u, k) = rest.quotientAndRemainder(dividingBy: inner)
        return (o * p.count + p[u]) * inner + k
    }

    /// For the tensor unfolded along this axis (`PermutationSpec.unfold`) after other axes of
    /// it were permuted, the column of the unpermuted unfolding that each column holds: the
    /// permutations move whole columns, the same way for every unit.
    func unfoldedColumns(units n: Int, permutedBy others: [(axis: PermutationSpec.Axis, permutation: [Int])]) -> [Int] {
        (0..<(outer * inner)).map { c in
            let (o, k) = c.quotientAndRemainder(dividingBy: inner)
            var flat = o * n * inner + k  // unit 0; the others leave this axis alone
            for other in others { flat = other.axis.source(ofFlat: flat, permutedBy: other.permutation) }
            let (os, rest) = flat.quotientAndRemainder(dividingBy: n * inner)
            return os * inner + rest % inner
        }
    }
}
