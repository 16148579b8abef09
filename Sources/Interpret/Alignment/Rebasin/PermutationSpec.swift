import LinAlg
import Networks

/// Which axes of which parameter tensors move together when the hidden units of a layer are
/// permuted (Ainsworth, Hayase & Srinivasa 2023, "Git Re-Basin"), derived from the architecture.
///
/// Permuting the outputs of a layer (rows of its weight, its bias; both halves of a bilinear
/// layer alike) and, with the same permutation, the matching input axis of the next
/// parametrised layer leaves the network's function unchanged: elementwise activations and
/// per-channel pooling commute with it, and a flatten turns a permutation of C channels into
/// one of C blocks of H·W inputs. The logits stay. On a graph the layers whose outputs an add
/// sums must be permuted alike: their units are one group, the residual stream, and every
/// layer reading the stream takes its permutation.
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
        var streams = Streams()
        // carried[t]: the group whose order the units of activation t have, and how many
        // consecutive values each unit covers (H·W after a flatten of channels, else 1).
        var carried: [(group: Int, block: Int)?] = [nil]
        for (i, layer) in network.layers.enumerated() {
            let reads = network.inputIndices(of: i)
            let incoming = carried[reads[0]]
            let roles = layer.parameters.map(\.role)
            var outgoing = incoming
            func follow(_ inner: Int) {
                guard let g = incoming?.group else { return }
                streams.rename(g, activation: layer.name)
                for role in roles { streams.append(axis(i, role, outer: 1, inner: inner), to: g) }
            }
            switch layer.operation {
            case .linear(let l):
                if let c = incoming { streams.append(axis(i, "weight", outer: l.outFeatures, inner: c.block), to: c.group) }
                outgoing = (
                    streams.open(
                        Group(
                            layer: layer.name, size: l.outFeatures, activationLayer: layer.name,
                            axes: roles.map { axis(i, $0, outer: 1, inner: $0 == "weight" ? l.inFeatures : 1) })), 1
                )
            case .bilinear(let b):
                if let c = incoming {
                    for role in ["left", "right"] { streams.append(axis(i, role, outer: b.outFeatures, inner: c.block), to: c.group) }
                }
                outgoing = (
                    streams.open(
                        Group(
                            layer: layer.name, size: b.outFeatures, activationLayer: layer.name,
                            axes: roles.map { axis(i, $0, outer: 1, inner: $0.hasSuffix("bias") ? 1 : b.inFeatures) })), 1
                )
            case .conv2d(let c):
                guard c.groups == 1 else {
                    throw InterpretError(
                        "Re-Basin: '\(layer.name)' is a grouped convolution (\(c.groups) groups); permuting its channels would mix the groups"
                    )
                }
                let kernelArea = c.geometry.kernel.h * c.geometry.kernel.w
                if let g = incoming?.group { streams.append(axis(i, "weight", outer: c.outChannels, inner: kernelArea), to: g) }
                outgoing = (
                    streams.open(
                        Group(
                            layer: layer.name, size: c.outChannels, activationLayer: layer.name,
                            axes: roles.map { axis(i, $0, outer: 1, inner: $0 == "weight" ? c.geometry.patchSize : 1) })), 1
                )
            case .activation, .pool:
                follow(1)
            case .layerNorm(let n):
                // Normalising commutes with permuting the units; its weight and bias follow them
                // when they span the units' axis (each unit owning the same number of values).
                if let g = incoming?.group {
                    streams.rename(g, activation: layer.name)
                    if n.normalizedShape.count == layer.inputShape.count {
                        let inner = n.normalizedSize / streams.size(of: g)
                        for role in roles { streams.append(axis(i, role, outer: 1, inner: inner), to: g) }
                    }
                }
            case .batchNorm(let n):
                // Each channel's four values move with the channel.
                if let g = incoming?.group, n.channels != streams.size(of: g) {
                    throw InterpretError(
                        "Re-Basin: batchnorm '\(layer.name)' has \(n.channels) channels, but the \(streams.size(of: g)) units of '\(streams.name(of: g))' reach it; they cannot be permuted through it"
                    )
                }
                follow(1)
            case .embedding:
                throw InterpretError(
                    "Re-Basin: embedding '\(layer.name)' lays its units along the last axis of \(shapeText(layer.outputShape)), one vector per token; permuting through it is not supported yet"
                )
            case .merge(.concat):
                throw InterpretError(
                    "Re-Basin: concat '\(layer.name)' puts the units of several layers side by side; permuting through it is not supported yet"
                )
            case .merge:
                // An add (or a gate's product) sums units position by position: every input must
                // be permuted alike, so their groups become one (a residual stream). Summed with
                // the network's input, which no permutation moves, the stream stays as it is.
                let inputs = reads.map { carried[$0] }
                if inputs.contains(where: { $0 == nil }) || Set(inputs.map { $0!.block }).count > 1 {
                    for c in inputs.compactMap({ $0 }) { streams.fix(c.group) }
                    outgoing = inputs.compactMap { $0 }.first
                } else {
                    let groups = inputs.map { $0!.group }
                    for g in groups.dropFirst() { try streams.join(groups[0], g, at: layer.name) }
                    outgoing = inputs[0]
                }
                if let g = outgoing?.group { streams.rename(g, activation: layer.name) }
            case .flatten, .reshape:
                // Units survive a reshape that keeps them the outermost axis: flattening makes each
                // a block of consecutive values, and a shape whose first axis is the units makes
                // them channels again. Any other shape splits or mixes them.
                guard let c = incoming else { break }
                let units = streams.size(of: c.group)
                if layer.outputShape.count == 1 {
                    if layer.inputShape.count > 1 { outgoing = (c.group, layer.outputSize / units) }
                } else if layer.outputShape[0] == units {
                    outgoing = (c.group, 1)
                } else {
                    throw InterpretError(
                        "Re-Basin: \(layer.operation.kind) '\(layer.name)' turns \(shapeText(layer.inputShape)) into \(shapeText(layer.outputShape)), which splits the \(units) units of '\(streams.name(of: c.group))'; they cannot be permuted through it"
                    )
                }
            case .permute(let p):
                // The units stay the outermost axis (their values move within each unit), or they
                // are mixed with the others.
                guard let c = incoming else { break }
                guard p.axes.first == 0, c.block == 1 else {
                    throw InterpretError(
                        "Re-Basin: permute '\(layer.name)' moves the units of '\(streams.name(of: c.group))' off the first axis; they cannot be permuted through it"
                    )
                }
            case .softmax:
                break
            }
            carried.append(outgoing)
        }
        // The outputs (the logits) keep their order.
        if let out = carried[network.layers.count] { streams.fix(out.group) }
        self.groups = streams.free
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

/// The groups of units found while walking a network: each layer that makes units opens one,
/// an add joins those it sums (union-find, the earlier group absorbing the later), and some are
/// fixed (the logits, a stream summed with the input), which no permutation may move.
private struct Streams {
    private var groups: [PermutationSpec.Group] = []
    private var parent: [Int] = []
    private var fixed: [Bool] = []

    private func root(_ g: Int) -> Int {
        var g = g
        while parent[g] != g { g = parent[g] }
        return g
    }

    mutating func open(_ group: PermutationSpec.Group) -> Int {
        groups.append(group)
        parent.append(groups.count - 1)
        fixed.append(false)
        return groups.count - 1
    }

    func size(of g: Int) -> Int { groups[root(g)].size }
    func name(of g: Int) -> String { groups[root(g)].layer }

    mutating func append(_ axis: PermutationSpec.Axis, to g: Int) { groups[root(g)].axes.append(axis) }

    /// The activation that now carries the group's units (what activation matching compares).
    mutating func rename(_ g: Int, activation: String) { groups[root(g)].activationLayer = activation }

    mutating func fix(_ g: Int) { fixed[root(g)] = true }

    mutating func join(_ a: Int, _ b: Int, at layer: String) throws {
        let (ra, rb) = (root(a), root(b))
        guard ra != rb else { return }
        guard groups[ra].size == groups[rb].size else {
            throw InterpretError(
                "Re-Basin: '\(layer)' sums the \(groups[ra].size) units of '\(groups[ra].layer)' with the \(groups[rb].size) of '\(groups[rb].layer)'"
            )
        }
        let (keep, merge) = (min(ra, rb), max(ra, rb))
        groups[keep].axes += groups[merge].axes
        fixed[keep] = fixed[keep] || fixed[merge]
        parent[merge] = keep
    }

    /// The groups that may be permuted, in the order they were opened.
    var free: [PermutationSpec.Group] {
        groups.indices.filter { parent[$0] == $0 && !fixed[$0] }.map { groups[$0] }
    }
}
