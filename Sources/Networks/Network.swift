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

/// A feed-forward network: layers in order, each sample a row of the batch matrix, each
/// activation flattened in PyTorch's C·H·W order. Generic so that gradient checks can run the
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

    // MARK: Forward and backward

    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        precondition(x.cols == inputSize, "Network.forward: samples of \(x.cols) values, input is \(inputSize)")
        return layers.reduce(x) { $1.forward($0) }
    }

    /// Every activation of the batch: element 0 is the input, element i + 1 layer i's output.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func trace(_ x: Matrix<T>) -> [Matrix<T>] {
        precondition(x.cols == inputSize, "Network.trace: samples of \(x.cols) values, input is \(inputSize)")
        var acts = [x]
        acts.reserveCapacity(layers.count + 1)
        for layer in layers { acts.append(layer.forward(acts[acts.count - 1])) }
        return acts
    }

    /// The output and the named activations, stopping after the last one needed when the
    /// output itself is not wanted.
    public func forward(_ x: Matrix<T>, capturing names: [String]) throws -> [String: Matrix<T>] {
        let wanted = try Dictionary(names.map { ($0, try traceIndex(of: $0)) }, uniquingKeysWith: { a, _ in a })
        let last = wanted.values.max() ?? 0
        var captured: [String: Matrix<T>] = [:]
        var a = x
        for i in 0...last {
            if i > 0 { a = layers[i - 1].forward(a) }
            for (name, index) in wanted where index == i { captured[name] = a }
        }
        return captured
    }

    /// Runs the network from the activation at trace index `start` (not the input) onwards:
    /// used to replace a layer's activations (by an SAE reconstruction, say) and see the effect.
    public func forward(from start: Int, _ activation: Matrix<T>) -> Matrix<T> {
        layers[start...].reduce(activation) { $1.forward($0) }
    }

    /// Back-propagates a gradient through a trace: given dL/d(trace[index]) (the output by
    /// default), returns dL/d(input) and dL/dθ as a flat vector laid out as `parameterSlots`
    /// (zero for layers after `index`).
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func backward(trace: [Matrix<T>], gradient: Matrix<T>, at index: Int? = nil) -> (input: Matrix<T>, parameters: [T]) {
        precondition(trace.count == layers.count + 1, "Network.backward: trace of \(trace.count) for \(layers.count) layers")
        let end = index ?? layers.count
        var g = gradient
        var perLayer = layers.map { $0.parameters.map { [T](repeating: 0, count: $0.values.count) } }
        for i in (0..<end).reversed() {
            let (gx, gp) = layers[i].backward(input: trace[i], output: trace[i + 1], gradOutput: g)
            perLayer[i] = gp
            g = gx
        }
        return (g, perLayer.flatMap { $0.flatMap { $0 } })
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

    public var parameterCount: Int { layers.reduce(0) { $0 + $1.parameters.reduce(0) { $0 + $1.values.count } } }

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
            case .pool, .layerNorm, .flatten, .reshape, .activation, .softmax: return total
            }
        }
    }
}
