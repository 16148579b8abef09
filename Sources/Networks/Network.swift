import LinAlg

/// Where one trainable tensor sits in the flat parameter vector of a network.
public struct ParameterSlot: Equatable, Sendable {
    public let layer: Int
    /// "weight", "bias", "left", "right", "left_bias" or "right_bias".
    public let role: String
    /// Its name in the safetensors file.
    public let tensorName: String
    /// Its PyTorch shape.
    public let shape: [Int]
    public let offset: Int
    public var count: Int { shape.reduce(1, *) }
    public var range: Range<Int> { offset..<(offset + count) }
}

/// A feed-forward network: a directed acyclic graph of layers in topological order (a chain
/// when each reads the one before), each sample a row of the batch matrix, each activation
/// flattened in PyTorch's C·H·W order. Generic so that gradient checks can run the
/// same code in Float64; models themselves are Float32.
public struct Network<T: BLASScalar>: Sendable {
    public var name: String
    public var input: InputSpec
    public var classes: [String]?
    public var layers: [Layer<T>]

    public init(name: String, input: InputSpec, classes: [String]?, layers: [Layer<T>]) {
        self.name = name
        self.input = input
        self.classes = classes
        self.layers = layers
    }

    public var inputSize: Int { input.shape.reduce(1, *) }
    public var outputSize: Int { layers.last?.outputSize ?? inputSize }
    public var classNames: [String] { classes ?? (0..<outputSize).map(String.init) }

    // MARK: The graph

    /// The trace indices layer `i` reads: its `inputs`, or the output of the layer before it.
    public func inputIndices(of i: Int) -> [Int] { layers[i].inputs ?? [i] }

    /// The name of the activation at a trace index: `input`, or the layer's.
    public func activationName(at index: Int) -> String { index == 0 ? "input" : layers[index - 1].name }

    /// The first layer that reads anything but the output of the layer before it, described
    /// ("'add1' reads 'conv2', 'input'"); nil for a chain.
    public var branching: String? {
        guard let i = layers.indices.first(where: { inputIndices(of: $0) != [$0] }) else { return nil }
        return "'\(layers[i].name)' reads " + inputIndices(of: i).map { "'\(activationName(at: $0))'" }.joined(separator: ", ")
    }

    /// Each layer reads the one before it (checked without describing a branch: `forward` asks).
    public var isChain: Bool { layers.indices.allSatisfy { inputIndices(of: $0) == [$0] } }

    /// Throws, naming the first branch, when the network is not a chain of layers: for the
    /// methods that walk the layers one after another.
    public func requireChain(for method: String) throws {
        if let branching {
            throw NetworkError("\(method) runs on chains of layers so far; '\(name)' is a graph (\(branching))")
        }
    }

    /// Whether everything after the activation at trace index `index` depends on it alone: no
    /// later layer reads an earlier activation (a residual stream between blocks, any point of
    /// a chain). The rest of the network can then run from that activation by itself.
    public func isCut(_ index: Int) -> Bool {
        (index..<layers.count).allSatisfy { j in inputIndices(of: j).allSatisfy { $0 >= index } }
    }

    // MARK: Activations by name

    /// Names every activation can be addressed by: `input`, each layer, `logits`.
    public var activationNames: [String] { ["input"] + layers.map(\.name) + (layers.last?.name == "logits" ? [] : ["logits"]) }

    /// The position of a named activation in a trace: 0 is the input, i + 1 is layer i's output.
    public func traceIndex(of name: String) throws -> Int {
        if name == "input" { return 0 }
        if let i = layers.firstIndex(where: { $0.name == name }) { return i + 1 }
        if name == "logits" { return layers.count }
        throw NetworkError("network '\(self.name)' has no layer '\(name)'; layers: \(activationNames.joined(separator: ", "))")
    }

    /// The per-sample shape of a named activation.
    public func shape(of name: String) throws -> [Int] {
        let i = try traceIndex(of: name)
        return i == 0 ? input.shape : layers[i - 1].outputShape
    }

    /// The network up to and including the layer `name`: what a hidden layer's direction is
    /// explained through. Its output is that layer's; it has no classes.
    public func truncated(through name: String) throws -> Network {
        let end = try traceIndex(of: name)
        guard end > 0 else { throw NetworkError("network '\(self.name)': nothing comes before the input to explain") }
        return Network(name: "\(self.name) to \(name)", input: input, classes: nil, layers: Array(layers[0..<end]))
    }

    // MARK: Forward and backward

    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        precondition(x.cols == inputSize, "Network.forward: samples of \(x.cols) values, input is \(inputSize)")
        return forward(x, to: layers.count)
    }

    /// The activation at trace index `end` (0: the input itself). A chain keeps one activation
    /// at a time; a graph keeps each until the last layer that reads it has run, so that its
    /// memory is reused rather than fresh pages faulted in for every layer.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func forward(_ x: Matrix<T>, to end: Int) -> Matrix<T> {
        guard !isChain else { return layers[0..<end].reduce(x) { $1.forward($0) } }
        var lastReader = [Int](repeating: -1, count: end + 1)
        for i in 0..<end { for r in inputIndices(of: i) { lastReader[r] = i } }
        var acts: [Matrix<T>?] = [x]
        acts.reserveCapacity(end + 1)
        for i in 0..<end {
            let reads = inputIndices(of: i)
            acts.append(layers[i].forward(reads.map { acts[$0]! }))
            for r in reads where lastReader[r] == i { acts[r] = nil }
        }
        return acts[end]!
    }

    /// Every activation of the batch: element 0 is the input, element i + 1 layer i's output.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func trace(_ x: Matrix<T>) -> [Matrix<T>] { trace(x, through: layers.count) }

    /// The trace up to and including index `end`.
    public func trace(_ x: Matrix<T>, through end: Int) -> [Matrix<T>] {
        precondition(x.cols == inputSize, "Network.trace: samples of \(x.cols) values, input is \(inputSize)")
        var acts = [x]
        acts.reserveCapacity(end + 1)
        for i in 0..<end { acts.append(layers[i].forward(inputIndices(of: i).map { acts[$0] })) }
        return acts
    }

    /// The output and the named activations, stopping after the last one needed when the
    /// output itself is not wanted.
    public func forward(_ x: Matrix<T>, capturing names: [String]) throws -> [String: Matrix<T>] {
        let wanted = try Dictionary(names.map { ($0, try traceIndex(of: $0)) }, uniquingKeysWith: { a, _ in a })
        let acts = trace(x, through: wanted.values.max() ?? 0)
        return wanted.mapValues { acts[$0] }
    }

    /// Runs the network from the activation at trace index `start` (not the input) up to trace
    /// index `end` (the output by default): used to replace a layer's activations (by an SAE
    /// reconstruction, say) and see the effect. `start` must be a cut (`isCut`).
    public func forward(from start: Int, _ activation: Matrix<T>, to end: Int? = nil) -> Matrix<T> {
        precondition(isCut(start), "Network.forward(from:): '\(activationName(at: start))' is not a cut of '\(name)'")
        let end = end ?? layers.count
        var acts = [activation]
        for i in start..<end { acts.append(layers[i].forward(inputIndices(of: i).map { acts[$0 - start] })) }
        return acts[end - start]
    }

    /// Back-propagates a gradient through a trace: given dL/d(trace[index]) (the output by
    /// default), returns dL/d(input) and dL/dθ as a flat vector laid out as `parameterSlots`
    /// (zero for layers after `index`). Where an activation is read by several layers, their
    /// gradients add.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func backward(trace: [Matrix<T>], gradient: Matrix<T>, at index: Int? = nil) -> (input: Matrix<T>, parameters: [T]) {
        precondition(trace.count == layers.count + 1, "Network.backward: trace of \(trace.count) for \(layers.count) layers")
        let end = index ?? layers.count
        var gradients = [Matrix<T>?](repeating: nil, count: end + 1)
        gradients[end] = gradient
        var perLayer = layers.map { $0.parameters.map { [T](repeating: 0, count: $0.values.count) } }
        for i in (0..<end).reversed() {
            // A layer whose output does not reach `index` has no gradient.
            guard let g = gradients[i + 1] else { continue }
            gradients[i + 1] = nil
            let reads = inputIndices(of: i)
            let (gx, gp) = layers[i].backward(inputs: reads.map { trace[$0] }, output: trace[i + 1], gradOutput: g)
            perLayer[i] = gp
            for (k, r) in reads.enumerated() {
                if gradients[r] == nil { gradients[r] = gx[k] } else { gradients[r]!.add(gx[k]) }
            }
        }
        let input = gradients[0] ?? Matrix(rows: gradient.rows, cols: inputSize)
        return (input, perLayer.flatMap { $0.flatMap { $0 } })
    }

    // MARK: Parameters

    public var parameterSlots: [ParameterSlot] {
        var slots: [ParameterSlot] = []
        var offset = 0
        for (i, layer) in layers.enumerated() {
            for (k, p) in layer.parameters.enumerated() {
                slots.append(ParameterSlot(layer: i, role: p.role, tensorName: layer.tensorNames[k], shape: p.shape, offset: offset))
                offset += p.values.count
            }
        }
        return slots
    }

    /// Every value of `flatParameters`, running statistics included.
    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters.reduce(0) { $0 + $1.values.count } } }

    /// The learned values, as torch's `sum(p.numel() for p in model.parameters())` counts them:
    /// what summaries and messages report.
    public var learnedParameterCount: Int { layers.reduce(0) { $0 + $1.learnedParameterCount } }

    /// All trainable values in one vector (layer by layer, in `parameterSlots` order).
    public var flatParameters: [T] { layers.flatMap { $0.parameters.flatMap(\.values) } }

    public mutating func setFlatParameters(_ values: [T]) {
        precondition(values.count == parameterCount, "Network: \(values.count) parameters for \(parameterCount)")
        var offset = 0
        for i in layers.indices {
            let sizes = layers[i].parameters.map(\.values.count)
            guard !sizes.isEmpty else { continue }
            var parts: [[T]] = []
            for n in sizes { parts.append(Array(values[offset..<(offset + n)])); offset += n }
            layers[i].setParameters(parts)
        }
    }

    /// The same network in another precision.
    public func converted<U: BLASScalar>(to: U.Type = U.self) -> Network<U> {
        Network<U>(name: name, input: input, classes: classes, layers: layers.map { $0.converted(to: U.self) })
    }
}

extension Network {
    /// Floating-point operations of one sample's forward pass through the matrix products
    /// (2 per multiply-add), the figure achieved GFLOP/s are computed from.
    public var forwardFLOPsPerSample: Double {
        layers.reduce(0.0) { total, layer in
            switch layer.operation {
            case .linear(let l): return total + 2 * Double(l.inFeatures * l.outFeatures)
            case .bilinear(let b): return total + 4 * Double(b.inFeatures * b.outFeatures)
            case .conv2d(let c): return total + 2 * Double(c.geometry.patchSize * c.outChannels * c.geometry.outPositions)
            // A lookup multiplies nothing.
            case .embedding, .pool, .layerNorm, .batchNorm, .merge, .flatten, .reshape, .permute, .activation, .softmax:
                return total
            }
        }
    }
}
