import Foundation
import LinAlg
import SwiftProtobuf
import TensorIO

/// An ONNX model (what `torch.onnx.export` writes) read as a `loupe.arch/1` architecture and
/// its tensors, so that every command opens a `.onnx` file and `loupe import` converts one.
/// The graph's nodes become layers named after the nodes (torch names them by module path:
/// `/layer1/layer1.0/conv1/Conv`), reading the layers that make their inputs; initializers (also
/// stored apart, in a file beside the model) and Constant nodes are the tensors; Identity and
/// Dropout are looked through. Operators (opset ≤ 22):
/// Gemm, MatMul (+ Add of a bias), Conv, Relu, LeakyRelu, Sigmoid, Tanh, Gelu (and the Div, Erf,
/// Add, Mul it is spelled as below opset 20), Elu, SiLU (x · Sigmoid(x)), Add, Mul, Sum, Concat
/// (channels), BatchNormalization, LayerNormalization, MaxPool, AveragePool, GlobalAveragePool,
/// ReduceMean over height and width, Flatten, Reshape (to a constant shape), Transpose (the
/// batch axis first), Softmax, Gather of a table by the input's token ids (an embedding),
/// Identity, Dropout, Constant. Anything else is refused in one line naming the operator, the
/// node and its inputs.
///
/// `onnx.pb.swift` beside this file is generated, once, from the `onnx.proto` of the onnx
/// Python package 1.23.2 (IR version 14), with swift-protobuf 1.39.0's plugin (never built in
/// CI; its first build takes minutes):
///
///     swift build -c release --product protoc-gen-swift     # in a clone of apple/swift-protobuf at 1.39.0
///     python3 -m grpc_tools.protoc --plugin=protoc-gen-swift=PATH/protoc-gen-swift \
///         --swift_out=. --swift_opt=Visibility=Internal -I. onnx.proto
enum ONNXImport {
    /// The operators the import maps, for the refusal message.
    static let operators = [
        "Add", "AveragePool", "BatchNormalization", "Concat", "Constant", "Conv", "Div", "Dropout", "Elu", "Erf", "Flatten", "Gather",
        "Gelu", "Gemm", "GlobalAveragePool", "Identity", "LayerNormalization", "LeakyRelu", "MatMul", "MaxPool", "Mul", "ReduceMean",
        "Relu", "Reshape",
        "Sigmoid", "Softmax", "Sum", "Tanh", "Transpose"
    ]

    static func read(_ url: URL) throws -> (ArchitectureSpec, [String: Tensor]) {
        try InputCheck.readableFile(url)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        try MemoryBudget.check(size, for: "\(url.path): the ONNX file")
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch { throw NetworkError("\(url.path): cannot read the file") }
        let model: Onnx_ModelProto
        do {
            var options = BinaryDecodingOptions()
            options.messageDepthLimit = 64
            model = try Onnx_ModelProto(serializedBytes: data, options: options)
        } catch {
            throw NetworkError("\(url.path): not a readable ONNX model (the protobuf is truncated or corrupt)")
        }
        var importer = Importer(
            graph: model.graph, source: url.path, name: url.deletingPathExtension().lastPathComponent,
            folder: url.deletingLastPathComponent())
        return try importer.run()
    }
}

/// One pass over the graph's nodes, in the order ONNX requires (each after its inputs).
private struct Importer {
    let graph: Onnx_GraphProto
    let source: String
    let name: String
    /// Where tensors stored in external files (beside the model) are looked for.
    let folder: URL
    var constants: [String: Tensor] = [:]
    /// The Loupe activation (input or layer name) each ONNX value is.
    var producer: [String: String] = [:]
    var layers: [LayerSpec] = []
    var tensors: [String: Tensor] = [:]
    var names = Set(["input", "logits"])
    /// How many nodes read each value (a MatMul's output read only by an Add takes its bias).
    var readers: [String: Int] = [:]
    /// Values that are steps of an elementwise function spelled out in arithmetic (GELU below
    /// opset 20), not activations of their own.
    var partials: [String: ONNXElementwise] = [:]

    init(graph: Onnx_GraphProto, source: String, name: String, folder: URL) {
        self.graph = graph
        self.source = source
        self.name = name
        self.folder = folder
    }

    mutating func run() throws -> (ArchitectureSpec, [String: Tensor]) {
        for t in graph.initializer { constants[t.name] = try tensor(t, what: "initializer '\(t.name)'") }
        for node in graph.node { for input in node.input where !input.isEmpty { readers[input, default: 0] += 1 } }
        let inputs = graph.input.filter { constants[$0.name] == nil }
        guard inputs.count == 1, let input = inputs.first else {
            throw NetworkError("\(source): the graph has \(inputs.count) inputs besides its weights; Loupe reads models of one input")
        }
        let dims = input.type.tensorType.shape.dim
        guard dims.count >= 2, dims.dropFirst().allSatisfy({ $0.dimValue > 0 }) else {
            throw NetworkError(
                "\(source): input '\(input.name)' must be [batch, …] with fixed sizes after the batch, got [\(dims.map { $0.dimValue > 0 ? "\($0.dimValue)" : $0.dimParam.isEmpty ? "?" : $0.dimParam }.joined(separator: ", "))]"
            )
        }
        let shape = dims.dropFirst().map { Int($0.dimValue) }
        producer[input.name] = "input"
        for (index, node) in graph.node.enumerated() { try add(node, index: index) }
        guard let output = graph.output.first, let last = producer[output.name], last == layers.last?.name else {
            throw NetworkError("\(source): the graph's output must be made by its last node")
        }
        let spec = ArchitectureSpec(
            name: name, input: InputSpec(shape: shape, image: shape.count == 3 ? shape : nil), layers: layers)
        return (spec, tensors)
    }

    // MARK: Nodes

    private mutating func add(_ node: Onnx_NodeProto, index: Int) throws {
        let what = "node '\(node.name.isEmpty ? "#\(index)" : node.name)' (\(node.opType))"
        func refuse(_ why: String) -> NetworkError { NetworkError("\(source): \(what): \(why)") }
        guard node.domain.isEmpty || node.domain == "ai.onnx" else {
            throw refuse("operator domain '\(node.domain)' is not supported (only the standard ONNX operators)")
        }
        guard let output = node.output.first, !output.isEmpty else { throw refuse("the node has no output") }
        let attributes = Dictionary(node.attribute.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        func int(_ key: String, _ fallback: Int) -> Int { attributes[key].map { Int($0.i) } ?? fallback }
        func float(_ key: String, _ fallback: Double) -> Double { attributes[key].map { Double($0.f) } ?? fallback }
        func ints(_ key: String) -> [Int]? { attributes[key].map { $0.ints.map { Int($0) } } }
        let values = node.input.filter { !$0.isEmpty && constants[$0] == nil }
        let constantInputs = node.input.map { constants[$0] }
        func activation(_ k: Int = 0) throws -> String {
            if k < values.count, partials[values[k]] != nil {
                throw refuse("input '\(values[k])' is a step of arithmetic (x/√2, Erf, …) that Loupe reads only as a whole GELU")
            }
            guard k < values.count, let p = producer[values[k]] else {
                throw refuse("input '\(k < values.count ? values[k] : "?")' is made by no earlier node")
            }
            return p
        }
        func weight(_ position: Int) throws -> (name: String, tensor: Tensor) {
            guard position < node.input.count, let t = constants[node.input[position]] else {
                throw refuse(
                    "input \(position) must be a constant (an initializer); it is '\(position < node.input.count ? node.input[position] : "missing")'"
                )
            }
            return (node.input[position], t)
        }
        if try followElementwise(node, index: index, what: what) { return }
        var layer = LayerSpec(name: try layerName(node, index: index), kind: "")
        switch node.opType {
        case "Constant":
            guard let t = attributes["value"], t.hasT else { throw refuse("needs a tensor 'value'") }
            constants[output] = try tensor(t.t, what: "\(what) value")
            return
        case "Identity", "Dropout":
            // Of a weight (torch's TorchScript exporter aliases batchnorm tensors so), or of an
            // activation: either way only a new name.
            if values.isEmpty, let t = constantInputs.first ?? nil {
                constants[output] = t
            } else {
                producer[output] = try activation()
            }
            return
        case "Relu", "Sigmoid", "Tanh":
            layer.kind = node.opType.lowercased()
        case "Elu":
            layer.kind = "elu"
            layer.alpha = float("alpha", 1)
        case "LeakyRelu":
            layer.kind = "leaky_relu"
            layer.negativeSlope = float("alpha", 0.01)
        case "Gelu":
            guard attributes["approximate"].map({ String(decoding: $0.s, as: UTF8.self) }) ?? "none" == "none" else {
                throw refuse("only the exact (erf) GELU is supported, not approximate='tanh'")
            }
            layer.kind = "gelu"
        case "Softmax":
            guard [-1, 1].contains(int("axis", -1)) else {
                throw refuse("softmax over axis \(int("axis", -1)); Loupe's runs over the features")
            }
            layer.kind = "softmax"
        case "Add", "Sum", "Mul":
            if values.count == 1, node.opType == "Add", let bias = constantInputs.compactMap({ $0 }).first,
                try attachBias(bias, to: try activation(), name: layer.name)
            {
                producer[output] = try activation()
                return
            }
            guard values.count == node.input.count, values.count >= 2 else {
                throw refuse(
                    "with a constant operand (inputs \(node.input.joined(separator: ", "))) it is not supported; only a bias added to a MatMul is"
                )
            }
            if node.opType == "Mul", let silu = sigmoidGate(values[0], values[1]) ?? sigmoidGate(values[1], values[0]) {
                // x · Sigmoid(x), with the sigmoid read by nothing else: SiLU.
                layers[silu].kind = "silu"
                producer[output] = layers[silu].name
                return
            }
            layer.kind = node.opType == "Mul" ? "mul" : "add"
        case "Concat":
            guard int("axis", 1) == 1 else { throw refuse("concatenates along axis \(int("axis", 1)); Loupe joins channels (axis 1)") }
            guard values.count == node.input.count else { throw refuse("a constant operand is not supported") }
            layer.kind = "concat"
        case "Gemm":
            guard float("alpha", 1) == 1, float("beta", 1) == 1, int("transA", 0) == 0 else {
                throw refuse("only Gemm with alpha = beta = 1 and transA = 0 (a linear layer) is supported")
            }
            let (wName, w) = try weight(1)
            guard w.shape.count == 2 else { throw refuse("weight '\(wName)' has shape \(shapeText(w.shape)), expected a matrix") }
            layer.kind = "linear"
            layer.weight = int("transB", 0) == 1 ? register(wName, w) : register("\(layer.name).weight", transposed(w))
            if node.input.count > 2, !node.input[2].isEmpty {
                let (bName, b) = try weight(2)
                layer.bias = register(bName, try b.reshaped([b.elementCount]))
            }
        case "MatMul":
            let (wName, w) = try weight(1)
            guard w.shape.count == 2 else { throw refuse("weight '\(wName)' has shape \(shapeText(w.shape)), expected a matrix") }
            layer.kind = "linear"
            layer.weight = register("\(layer.name).weight", transposed(w))
        case "Gather":
            // An embedding: rows of a constant table picked by the ids the network reads.
            let (wName, w) = try weight(0)
            guard int("axis", 0) == 0, w.shape.count == 2 else {
                throw refuse("only a Gather of the rows of a [rows, dimension] table (axis 0), an embedding, is supported")
            }
            layer.kind = "embedding"
            layer.weight = register(wName, w)
        case "Conv":
            let (wName, w) = try weight(1)
            guard w.shape.count == 4 else { throw refuse("weight '\(wName)' has shape \(shapeText(w.shape)), expected [out, in, kh, kw]") }
            layer.kind = "conv2d"
            layer.weight = register(wName, w)
            if node.input.count > 2, !node.input[2].isEmpty {
                let bias = try weight(2)
                layer.bias = register(bias.name, bias.tensor)
            }
            try window(&layer, attributes: ints, refuse: refuse)
            if let d = ints("dilations"), d.count == 2 { layer.dilation = IntPair(d[0], d[1]) }
            if int("group", 1) != 1 { layer.groups = int("group", 1) }
        case "MaxPool", "AveragePool":
            guard int("ceil_mode", 0) == 0 else { throw refuse("ceil_mode = 1 is not supported") }
            if let d = ints("dilations"), d.contains(where: { $0 != 1 }) { throw refuse("dilated pooling is not supported") }
            layer.kind = node.opType == "MaxPool" ? "maxpool2d" : "avgpool2d"
            guard let k = ints("kernel_shape"), k.count == 2 else { throw refuse("needs a 2-d kernel_shape") }
            layer.kernel = IntPair(k[0], k[1])
            try window(&layer, attributes: ints, refuse: refuse)
        case "GlobalAveragePool":
            layer.kind = "adaptive_avgpool2d"
        case "ReduceMean":
            // The mean over height and width (torch's adaptive_avg_pool2d(x, 1) as exported):
            // global average pooling, flattened when the reduced axes are dropped.
            let axes = try node.input.count > 1 ? weight(1).tensor.int64s().map { Int($0) } : ints("axes") ?? []
            guard Set(axes) == [2, 3] || Set(axes) == [-1, -2] else {
                throw refuse("a mean over axes \(axes) is not supported; only over height and width ([2, 3])")
            }
            layer.kind = "adaptive_avgpool2d"
            if int("keepdims", 1) == 0 {
                layer.inputs = [try activation()]
                layers.append(layer)
                names.insert(layer.name)
                layer = LayerSpec(name: try layerName(node, index: index, suffix: ".flatten"), kind: "flatten")
                layer.inputs = [layers[layers.count - 1].name]
                layers.append(layer)
                names.insert(layer.name)
                producer[output] = layer.name
                return
            }
        case "Transpose":
            guard let perm = ints("perm"), perm.first == 0 else {
                throw refuse("only a permutation that keeps the batch axis first is supported")
            }
            layer.kind = "permute"
            layer.dims = perm
        case "Flatten":
            guard int("axis", 1) == 1 else { throw refuse("flattens from axis \(int("axis", 1)); Loupe keeps the batch axis alone") }
            layer.kind = "flatten"
        case "Reshape":
            let target = try weight(1).tensor.int64s().map { Int($0) }
            guard let first = target.first, [-1, 0].contains(first) || first > 0, !target.dropFirst().contains(0) else {
                throw refuse("reshapes to \(target); the first entry must be the batch (0 or −1) and none of the others 0")
            }
            layer.kind = "reshape"
            layer.shape = Array(target.dropFirst())
        case "BatchNormalization":
            guard node.output.count == 1 || node.output.dropFirst().allSatisfy(\.isEmpty) else {
                throw refuse("batch statistics are an output: this is a training graph; export the model in eval mode")
            }
            layer.kind = "batchnorm"
            let (scale, bias, mean, variance) = (try weight(1), try weight(2), try weight(3), try weight(4))
            (layer.weight, layer.bias) = (register(scale.name, scale.tensor), register(bias.name, bias.tensor))
            (layer.runningMean, layer.runningVar) = (register(mean.name, mean.tensor), register(variance.name, variance.tensor))
            layer.eps = float("epsilon", 1e-5)
        case "LayerNormalization":
            let scale = try weight(1)
            layer.kind = "layernorm"
            layer.normalizedShape = scale.tensor.shape
            guard int("axis", -1) == -scale.tensor.shape.count || int("axis", -1) > 0 else {
                throw refuse("normalises from axis \(int("axis", -1)), but its scale has shape \(shapeText(scale.tensor.shape))")
            }
            layer.weight = register(scale.name, scale.tensor)
            if node.input.count > 2, !node.input[2].isEmpty {
                let bias = try weight(2)
                layer.bias = register(bias.name, bias.tensor)
            }
            layer.eps = float("epsilon", 1e-5)
        default:
            throw refuse(
                "operator \(node.opType) (inputs \(node.input.joined(separator: ", "))) is not supported; supported: \(ONNXImport.operators.joined(separator: ", "))"
            )
        }
        append(layer, reading: try values.indices.map { try activation($0) }, output: output)
    }

    private mutating func append(_ layer: LayerSpec, reading reads: [String], output: String) {
        var layer = layer
        // A layer reading the one listed before it needs no inputs (a chain stays a chain).
        if reads != [layers.last?.name ?? "input"] { layer.inputs = reads }
        layers.append(layer)
        names.insert(layer.name)
        producer[output] = layer.name
    }

    /// Div, Mul, Add and Erf as steps of an elementwise function (`ONNXElementwise`): true when
    /// the node was one, having recorded the step or, at its last, added the layer. A Mul of
    /// two activations and an Add of a bias to one are left to the layers.
    private mutating func followElementwise(_ node: Onnx_NodeProto, index: Int, what: String) throws -> Bool {
        guard ["Div", "Mul", "Add", "Erf"].contains(node.opType), let output = node.output.first else { return false }
        let inputs = node.input.filter { !$0.isEmpty }
        let scalar = inputs.compactMap { constants[$0] }.first { $0.elementCount == 1 }.map { Double($0.floats()[0]) }
        let terms = inputs.filter { constants[$0] == nil }.map { partials[$0] ?? producer[$0].map(ONNXElementwise.init(of:)) }
        let stepped = inputs.contains { partials[$0] != nil }
        guard terms.allSatisfy({ $0 != nil }) else { return false }
        var result: ONNXElementwise?
        switch (node.opType, terms.count, scalar) {
        case ("Erf", 1, _): result = terms[0]!.erf()
        case ("Div", 1, let c?) where inputs.count == 2 && constants[inputs[1]] != nil && c != 0: result = terms[0]!.times(1 / c)
        case ("Mul", 1, let c?) where inputs.count == 2: result = terms[0]!.times(c)
        case ("Mul", 2, _) where stepped: result = terms[0]!.times(terms[1]!)
        case ("Add", 1, let c?) where stepped && inputs.count == 2: result = terms[0]!.adding(c)
        default:
            guard !stepped else { break }
            return false
        }
        guard let result else {
            throw NetworkError(
                "\(source): \(what): \(node.opType) of \(inputs.map { "'\($0)'" }.joined(separator: ", ")) is arithmetic Loupe maps only where it spells GELU (x · ½(1 + erf(x/√2)))"
            )
        }
        if result.isGELU {
            append(LayerSpec(name: try layerName(node, index: index), kind: "gelu"), reading: [result.x], output: output)
        } else {
            partials[output] = result
        }
        return true
    }

    /// The index of the sigmoid layer that makes `gate` from `x`'s activation, when nothing
    /// else reads the gate.
    private func sigmoidGate(_ x: String, _ gate: String) -> Int? {
        guard readers[gate] == 1, let g = producer[gate], let k = layers.firstIndex(where: { $0.name == g }), layers[k].kind == "sigmoid",
            let source = producer[x]
        else { return nil }
        return (layers[k].inputs ?? [k == 0 ? "input" : layers[k - 1].name]) == [source] ? k : nil
    }

    /// Stride and symmetric padding from `strides` and `pads` ([top, left, bottom, right]).
    private func window(
        _ layer: inout LayerSpec, attributes ints: (String) -> [Int]?, refuse: (String) -> NetworkError
    ) throws {
        if let s = ints("strides"), s.count == 2 { layer.stride = IntPair(s[0], s[1]) }
        if let p = ints("pads"), p.count == 4 {
            guard p[0] == p[2], p[1] == p[3] else { throw refuse("asymmetric padding \(p) is not supported") }
            layer.padding = IntPair(p[0], p[1])
        }
    }

    /// Adds a constant to the bias of the linear layer that makes `activation` when it has none
    /// and nothing else reads it (MatMul then Add, as torch exports a Linear layer at times).
    private mutating func attachBias(_ bias: Tensor, to activation: String, name: String) throws -> Bool {
        guard let k = layers.indices.last, layers[k].name == activation, layers[k].kind == "linear", layers[k].bias == nil,
            let out = layers[k].weight.flatMap({ tensors[$0] })?.shape.first, bias.elementCount == out
        else { return false }
        layers[k].bias = register("\(layers[k].name).bias", try bias.reshaped([out]))
        return true
    }

    /// A readable, unique layer name from the node's (torch's module path), or its operator.
    private mutating func layerName(_ node: Onnx_NodeProto, index: Int, suffix: String = "") throws -> String {
        var base = node.name.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if base.isEmpty { base = "\(node.opType.lowercased())\(index)" }
        base += suffix
        var candidate = base
        var n = 1
        while names.contains(candidate) {
            n += 1
            candidate = "\(base)_\(n)"
        }
        return candidate
    }

    // MARK: Tensors

    private mutating func register(_ name: String, _ t: Tensor) -> String {
        tensors[name] = t
        return name
    }

    private func transposed(_ w: Tensor) -> Tensor {
        let m: Matrix<Float> = w.matrix()
        return Tensor(m.transposed())
    }

    /// A TensorProto as a tensor: float, double, half, bfloat16, int64 or int32, raw or typed.
    private func tensor(_ t: Onnx_TensorProto, what: String) throws -> Tensor {
        let shape = t.dims.map { Int($0) }
        guard shape.allSatisfy({ $0 >= 0 }), let count = MemoryBudget.product(shape) else {
            throw NetworkError("\(source): \(what) has shape \(shape), expected non-negative sizes")
        }
        let types: [Int32: DType] = [1: .f32, 11: .f64, 10: .f16, 16: .bf16, 7: .i64, 6: .i32]
        guard let dtype = types[t.dataType] else {
            throw NetworkError(
                "\(source): \(what) has ONNX data type \(t.dataType); Loupe reads float, double, float16, bfloat16, int64 and int32")
        }
        do {
            if t.dataLocation == .external || !t.externalData.isEmpty {
                return try Tensor(shape: shape, dtype: dtype, bytes: try externalBytes(t, count: count * dtype.byteSize, what: what))
            }
            if !t.rawData.isEmpty || count == 0 { return try Tensor(shape: shape, dtype: dtype, bytes: t.rawData) }
            switch dtype {
            case .f32 where t.floatData.count == count: return Tensor(t.floatData, shape: shape)
            case .f64 where t.doubleData.count == count: return Tensor(t.doubleData, shape: shape)
            case .i64 where t.int64Data.count == count: return Tensor(t.int64Data, shape: shape)
            case .i32 where t.int32Data.count == count: return Tensor(t.int32Data, shape: shape)
            default: break
            }
        } catch {
            throw NetworkError("\(source): \(what): \(error)")
        }
        throw NetworkError("\(source): \(what): \(count) values of shape \(shape) expected, the file holds another number")
    }

    /// A tensor's bytes from the file its `external_data` names (`location` beside the model,
    /// `offset`, `length`), as torch and onnx write models with their weights apart.
    private func externalBytes(_ t: Onnx_TensorProto, count: Int, what: String) throws -> Data {
        let fields = Dictionary(t.externalData.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        guard let location = fields["location"], !location.isEmpty, !location.hasPrefix("/"),
            !location.split(separator: "/").contains("..")
        else {
            throw NetworkError(
                "\(source): \(what) is stored apart, but not in a file beside the model (location '\(fields["location"] ?? "")')")
        }
        let offset = fields["offset"].map { Int($0) ?? -1 } ?? 0
        let length = fields["length"].map { Int($0) ?? -1 } ?? count
        guard offset >= 0, length == count else {
            throw NetworkError(
                "\(source): \(what): external offset \(fields["offset"] ?? "0") and length \(fields["length"] ?? "-") do not give its \(count) bytes"
            )
        }
        let url = folder.appendingPathComponent(location)
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            throw NetworkError("\(source): \(what) is stored in \(url.path), which cannot be read")
        }
        guard offset <= data.count, count <= data.count - offset else {
            throw NetworkError("\(source): \(what): \(url.path) has \(data.count) bytes, fewer than offset \(offset) + \(count)")
        }
        return data.subdata(in: offset..<(offset + count))
    }
}
