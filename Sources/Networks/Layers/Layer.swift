import LinAlg

/// What a layer computes. A batchnorm right after a linear or convolution layer does not
/// appear: it is folded into that layer when the network is loaded. Layer normalisation does,
/// since it depends on each sample.
public enum LayerOperation<T: BLASScalar>: Sendable {
    case linear(Linear<T>)
    case bilinear(Bilinear<T>)
    case conv2d(Conv2d<T>)
    /// A lookup table from token ids to vectors (torch's `nn.Embedding`).
    case embedding(Embedding<T>)
    case pool(Pool2d)
    case layerNorm(LayerNorm<T>)
    /// A batchnorm that could not be folded (after an add, or on the input).
    case batchNorm(BatchNorm<T>)
    /// Several inputs combined: add, mul, concat.
    case merge(Merge)
    case flatten
    /// The same values in C order under another shape (torch's `reshape`, `nn.Unflatten`).
    case reshape
    /// A sample's axes in another order (torch's `permute`).
    case permute(Permute)
    case activation(Activation)
    case softmax

    /// The JSON `kind` of this operation.
    public var kind: String {
        switch self {
        case .linear: return "linear"
        case .bilinear: return "bilinear"
        case .conv2d: return "conv2d"
        case .embedding: return "embedding"
        case .pool(let p): return p.mode == .max ? "maxpool2d" : "avgpool2d"
        case .layerNorm: return "layernorm"
        case .batchNorm: return "batchnorm"
        case .merge(let m): return m.kind
        case .flatten: return "flatten"
        case .reshape: return "reshape"
        case .permute: return "permute"
        case .activation(let a): return a.kind
        case .softmax: return "softmax"
        }
    }
}

/// One named layer with the shapes of one sample going in and coming out: a node of the
/// network's graph, reading the activations `inputs` names.
public struct Layer<T: BLASScalar>: Sendable {
    public let name: String
    public var operation: LayerOperation<T>
    /// The shape of its (first) input.
    public let inputShape: [Int]
    public let outputShape: [Int]
    /// The trace indices it reads (0 is the network's input, i + 1 layer i's output), nil for
    /// the output of the layer before it: a chain needs none.
    public internal(set) var inputs: [Int]?
    /// The safetensors names of the layer's tensors, in the order of `parameters`, so that a
    /// saved network keeps the names it was loaded with (and opens in the user's PyTorch code).
    public let tensorNames: [String]

    public init(
        name: String, operation: LayerOperation<T>, inputShape: [Int], outputShape: [Int],
        tensorNames: [String]? = nil, inputs: [Int]? = nil
    ) {
        self.name = name
        self.operation = operation
        self.inputShape = inputShape
        self.outputShape = outputShape
        self.inputs = inputs
        let roles: [String]
        switch operation {
        case .linear(let l): roles = l.bias == nil ? ["weight"] : ["weight", "bias"]
        case .conv2d(let c): roles = c.bias == nil ? ["weight"] : ["weight", "bias"]
        case .embedding: roles = ["weight"]
        case .bilinear(let b):
            roles = ["left", "right"] + (b.leftBias == nil ? [] : ["left_bias"]) + (b.rightBias == nil ? [] : ["right_bias"])
        case .layerNorm(let n): roles = n.parameters.map(\.role)
        case .batchNorm(let n): roles = n.parameters.map(\.role)
        case .pool, .merge, .flatten, .reshape, .permute, .activation, .softmax: roles = []
        }
        precondition(
            tensorNames == nil || tensorNames!.count == roles.count,
            "Layer \(name): \(tensorNames!.count) tensor names for \(roles.count) tensors")
        self.tensorNames = tensorNames ?? roles.map { "\(name).\($0)" }
    }

    public var inputSize: Int { inputShape.reduce(1, *) }
    public var outputSize: Int { outputShape.reduce(1, *) }

    /// The output of a layer with one input.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        switch operation {
        case .linear(let l): return l.forward(x)
        case .bilinear(let b): return b.forward(x)
        case .conv2d(let c): return c.forward(x)
        case .embedding(let e): return e.forward(x)
        case .pool(let p): return p.forward(x)
        case .layerNorm(let n): return n.forward(x)
        case .batchNorm(let n): return n.forward(x)
        case .merge(let m): return m.forward([x])
        case .flatten, .reshape: return x
        case .permute(let p): return p.forward(x)
        case .activation(let a): return a.apply(x)
        case .softmax: return Networks.softmax(x)
        }
    }

    /// The output from the activations `inputs` names, in that order.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func forward(_ xs: [Matrix<T>]) -> Matrix<T> {
        if case .merge(let m) = operation { return m.forward(xs) }
        return forward(xs[0])
    }

    /// dL/d(input) and dL/d(parameters) (in the order of `parameters`) from dL/d(output), for
    /// a layer with one input.
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func backward(input x: Matrix<T>, output y: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        switch operation {
        case .linear(let l): return l.backward(input: x, gradOutput: g)
        case .bilinear(let b): return b.backward(input: x, gradOutput: g)
        case .conv2d(let c): return c.backward(input: x, gradOutput: g)
        case .embedding(let e): return e.backward(input: x, gradOutput: g)
        case .pool(let p): return (p.backward(input: x, gradOutput: g), [])
        case .layerNorm(let n): return n.backward(input: x, gradOutput: g)
        case .batchNorm(let n): return n.backward(input: x, gradOutput: g)
        case .merge(let m): return (m.backward(inputs: [x], gradOutput: g)[0], [])
        case .flatten, .reshape: return (g, [])
        case .permute(let p): return (p.backward(g), [])
        case .activation(let a): return (a.backward(input: x, gradOutput: g), [])
        case .softmax: return (softmaxBackward(output: y, gradOutput: g), [])
        }
    }

    /// dL/d(each input) and dL/d(parameters) from dL/d(output).
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public func backward(inputs xs: [Matrix<T>], output y: Matrix<T>, gradOutput g: Matrix<T>) -> (inputs: [Matrix<T>], parameters: [[T]]) {
        if case .merge(let m) = operation { return (m.backward(inputs: xs, gradOutput: g), []) }
        let (gx, gp) = backward(input: xs[0], output: y, gradOutput: g)
        return ([gx], gp)
    }

    /// The trainable tensors of the layer: role ("weight", "bias", "left", …), PyTorch shape, values.
    public var parameters: [(role: String, shape: [Int], values: [T])] {
        switch operation {
        case .linear(let l): return l.parameters
        case .bilinear(let b): return b.parameters
        case .conv2d(let c): return c.parameters
        case .embedding(let e): return e.parameters
        case .layerNorm(let n): return n.parameters
        case .batchNorm(let n): return n.parameters
        case .pool, .merge, .flatten, .reshape, .permute, .activation, .softmax: return []
        }
    }

    /// How many of its values are learned, as torch counts `parameters()`: a batchnorm's running
    /// statistics are buffers.
    public var learnedParameterCount: Int {
        parameters.filter { !$0.role.hasPrefix("running_") }.reduce(0) { $0 + $1.values.count }
    }

    /// Replaces the trainable tensors, given in the order of `parameters`.
    public mutating func setParameters(_ values: [[T]]) {
        switch operation {
        case .linear(var l): l.setParameters(values); operation = .linear(l)
        case .bilinear(var b): b.setParameters(values); operation = .bilinear(b)
        case .conv2d(var c): c.setParameters(values); operation = .conv2d(c)
        case .embedding(var e): e.setParameters(values); operation = .embedding(e)
        case .layerNorm(var n): n.setParameters(values); operation = .layerNorm(n)
        case .batchNorm(var n): n.setParameters(values); operation = .batchNorm(n)
        case .pool, .merge, .flatten, .reshape, .permute, .activation, .softmax: break
        }
    }

    /// Makes a linear or conv2d layer with a bias compute y·scale + shift per output unit
    /// (channel): its weight rows scaled, its bias b·scale + shift.
    public mutating func scaleOutputs(by scale: [Double], adding shift: [Double]) {
        func rows(_ w: Matrix<T>) -> Matrix<T> { Matrix(rows: w.rows, cols: w.cols) { r, c in w[r, c] * T(scale[r]) } }
        func bias(_ b: [T]) -> [T] { b.indices.map { T(Double(b[$0]) * scale[$0] + shift[$0]) } }
        switch operation {
        case .linear(let l) where l.bias != nil:
            operation = .linear(Linear(weight: rows(l.weight), bias: bias(l.bias!)))
        case .conv2d(let c) where c.bias != nil:
            operation = .conv2d(c.replacing(weight: rows(c.weight), bias: bias(c.bias!)))
        default:
            preconditionFailure("Layer.scaleOutputs: '\(name)' is not a linear or conv2d layer with a bias")
        }
    }

    /// The same layer in another precision.
    public func converted<U: BLASScalar>(to: U.Type = U.self) -> Layer<U> {
        let op: LayerOperation<U>
        switch operation {
        case .linear(let l):
            op = .linear(Linear(weight: l.weight.converted(), bias: l.bias?.map { U($0) }))
        case .bilinear(let b):
            op = .bilinear(
                Bilinear(
                    left: b.left.converted(), right: b.right.converted(),
                    leftBias: b.leftBias?.map { U($0) }, rightBias: b.rightBias?.map { U($0) }))
        case .conv2d(let c):
            op = .conv2d(Conv2d(weight: c.weight.converted(), bias: c.bias?.map { U($0) }, geometry: c.geometry, groups: c.groups))
        case .embedding(let e): op = .embedding(Embedding(weight: e.weight.converted()))
        case .pool(let p): op = .pool(p)
        case .layerNorm(let n): op = .layerNorm(n.converted())
        case .batchNorm(let n): op = .batchNorm(n.converted())
        case .merge(let m): op = .merge(m)
        case .flatten: op = .flatten
        case .reshape: op = .reshape
        case .permute(let p): op = .permute(p)
        case .activation(let a): op = .activation(a)
        case .softmax: op = .softmax
        }
        return Layer<U>(
            name: name, operation: op, inputShape: inputShape, outputShape: outputShape,
            tensorNames: tensorNames, inputs: inputs)
    }
}
