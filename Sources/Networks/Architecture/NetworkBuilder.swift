import LinAlg
import TensorIO

/// Builds a network from an architecture and the tensors it names, checking every shape on
/// the way: a mismatch is reported with the layer, the tensor, and both shapes.
struct NetworkBuilder {
    let spec: ArchitectureSpec
    let tensors: [String: Tensor]
    /// Where the tensors came from, for messages.
    let source: String
    /// Build an untrained network: tensors are created (as zeros) from the shapes the
    /// architecture implies, which needs `out` on linear, bilinear and conv2d layers and
    /// `kernel` on conv2d.
    var untrained = false

    func build() throws -> Network<Float> {
        guard !spec.input.shape.isEmpty, spec.input.shape.allSatisfy({ $0 > 0 }) else {
            throw NetworkError("\(source): input.shape \(shapeText(spec.input.shape)) must be non-empty and positive")
        }
        guard !spec.layers.isEmpty else {
            throw NetworkError("\(source): \"layers\" is empty; a network needs at least one layer")
        }
        try MemoryBudget.check(
            MemoryBudget.product(spec.input.shape + [MemoryLayout<Float>.size]),
            for: "\(source): one input sample of shape \(shapeText(spec.input.shape))")
        if !untrained { try checkTensorMemory() }
        // The product is taken without overflow: the numbers come from a file.
        if let image = spec.input.image,
            image.count != 3 || !image.allSatisfy({ $0 > 0 }) || MemoryBudget.product(image) != spec.input.shape.reduce(1, *)
        {
            throw NetworkError(
                "\(source): input.image \(shapeText(image)) must be [channels, height, width] with as many values as input.shape \(shapeText(spec.input.shape))"
            )
        }
        if let range = spec.input.range, range.count != 2 || !(range[0] < range[1]) {
            throw NetworkError("\(source): input.range must be [low, high] with low < high")
        }
        let order = try topologicalOrder()
        // Where each name's activation sits in the trace; a batchnorm folded into the layer
        // before it names that layer's output.
        var traceIndex = ["input": 0]
        var shapes = [spec.input.shape]
        var layers: [Layer<Float>] = []
        let readers = Dictionary(spec.layers.indices.flatMap { resolvedInputs($0) }.map { ($0, 1) }, uniquingKeysWith: +)
        // One sample's activations (and a convolution's patch matrix) must fit the budget before
        // any layer reserves memory for them.
        var sampleElements: Int? = spec.input.shape.reduce(1, *)
        for (position, index) in order.enumerated() {
            let layerSpec = spec.layers[index]
            if layerSpec.name == "logits" && position != order.count - 1 {
                throw NetworkError("\(source): only the last layer may be named 'logits'")
            }
            if let softmax = layers.first(where: { if case .softmax = $0.operation { return true } else { return false } }) {
                throw NetworkError("\(source): softmax '\(softmax.name)' must be the last layer, but '\(layerSpec.name)' follows it")
            }
            let reads = resolvedInputs(index).map { traceIndex[$0]! }
            // A network whose input is drawn as an image may start with a convolution on flat samples.
            var inputShapes = reads.map { shapes[$0] }
            if let image = spec.input.image,
                ["conv2d", "maxpool2d", "avgpool2d", "adaptive_avgpool2d", "batchnorm2d"].contains(layerSpec.kind)
            {
                for k in reads.indices where reads[k] == 0 && inputShapes[k].count == 1 { inputShapes[k] = image }
            }
            if NetworkBuilder.batchNormKinds.contains(layerSpec.kind) {
                try requireOneInput(layerSpec, reads)
                // Folded into a linear or conv2d layer that feeds it alone; kept as a node
                // otherwise, and in a network to be trained (which normalises by each batch).
                let p = reads[0]
                if !untrained, p > 0, ["linear", "conv2d"].contains(layers[p - 1].operation.kind), readers[layers[p - 1].name] == 1 {
                    layers[p - 1] = try fold(layerSpec, into: layers[p - 1])
                    traceIndex[layerSpec.name] = p
                    continue
                }
            }
            var layer: Layer<Float>
            if ["add", "mul", "concat"].contains(layerSpec.kind) {
                layer = try makeMerge(layerSpec, inputShapes: inputShapes, reads: reads)
            } else {
                try requireOneInput(layerSpec, reads)
                if layerSpec.kind == "embedding", reads != [0] {
                    throw NetworkError(
                        "\(source): layer '\(layerSpec.name)' (embedding) looks up token ids, so it must read the network's input, not '\(resolvedInputs(index)[0])'"
                    )
                }
                layer = try makeLayer(layerSpec, inputShape: inputShapes[0])
            }
            layer.inputs = reads == [layers.count] ? nil : reads
            var scratch = 0
            if case .conv2d(let c) = layer.operation { scratch = c.geometry.patchSize * c.geometry.outPositions }
            sampleElements = MemoryBudget.sum([sampleElements, MemoryBudget.product(layer.outputShape), scratch])
            try MemoryBudget.check(
                sampleElements.flatMap { MemoryBudget.product($0, MemoryLayout<Float>.size) },
                for: "\(source): one sample's activations up to layer '\(layerSpec.name)'")
            layers.append(layer)
            shapes.append(layer.outputShape)
            traceIndex[layerSpec.name] = layers.count
        }
        let shape = shapes[layers.count]
        if let classes = spec.classes {
            let outputs = shape.reduce(1, *)
            guard classes.count == outputs else {
                throw NetworkError(
                    "\(source): \"classes\" names \(classes.count) classes but the network has \(outputs) outputs; give one name per output or leave \"classes\" out"
                )
            }
        }
        let network = Network(name: spec.name, input: spec.input, classes: spec.classes, layers: layers)
        if !untrained { try checkFinite(network) }
        return network
    }

    // MARK: The graph

    static let batchNormKinds = ["batchnorm", "batchnorm1d", "batchnorm2d"]

    /// The names layer `k` of the file reads: its `inputs`, or the layer listed before it.
    private func resolvedInputs(_ k: Int) -> [String] {
        spec.layers[k].inputs ?? [k == 0 ? "input" : spec.layers[k - 1].name]
    }

    /// The order the layers run in: as listed wherever each comes after its inputs (a file
    /// written in topological order keeps it), after checking every name and every input.
    private func topologicalOrder() throws -> [Int] {
        var position: [String: Int] = [:]
        for (k, layer) in spec.layers.enumerated() {
            guard !layer.name.isEmpty, layer.name != "input", position[layer.name] == nil else {
                throw NetworkError("\(source): layer \(k) has an empty, repeated or reserved name '\(layer.name)'")
            }
            position[layer.name] = k
        }
        var waitingOn = [Int](repeating: 0, count: spec.layers.count)
        var readBy = [[Int]](repeating: [], count: spec.layers.count)
        for k in spec.layers.indices {
            let inputs = resolvedInputs(k)
            guard !inputs.isEmpty else { throw NetworkError("\(source): layer '\(spec.layers[k].name)' has an empty \"inputs\" list") }
            for name in inputs where name != "input" {
                guard let j = position[name] else {
                    throw NetworkError(
                        "\(source): layer '\(spec.layers[k].name)' reads '\(name)', which is neither 'input' nor a layer of the network")
                }
                waitingOn[k] += 1
                readBy[j].append(k)
            }
        }
        // Kahn's algorithm, always taking the earliest listed layer that is ready.
        var ready = Set(spec.layers.indices.filter { waitingOn[$0] == 0 })
        var order: [Int] = []
        while let k = ready.min() {
            ready.remove(k)
            order.append(k)
            for r in readBy[k] {
                waitingOn[r] -= 1
                if waitingOn[r] == 0 { ready.insert(r) }
            }
        }
        guard order.count == spec.layers.count else { throw NetworkError("\(source): \(describeCycle(among: waitingOn))") }
        return order
    }

    /// A cycle among the layers still waiting on an input, as "'a' reads 'b', 'b' reads 'a'".
    private func describeCycle(among waitingOn: [Int]) -> String {
        let position = Dictionary(spec.layers.indices.map { (spec.layers[$0].name, $0) }, uniquingKeysWith: { a, _ in a })
        // Walking back through inputs that are themselves waiting must come round to a layer seen.
        var k = waitingOn.firstIndex { $0 > 0 }!
        var path: [Int] = []
        while !path.contains(k) {
            path.append(k)
            k = resolvedInputs(k).compactMap { position[$0] }.first { waitingOn[$0] > 0 }!
        }
        let cycle = path[path.firstIndex(of: k)!...] + [k]
        let steps = zip(cycle, cycle.dropFirst()).map { "'\(spec.layers[$0].name)' reads '\(spec.layers[$1].name)'" }
        return "the layers form a cycle (\(steps.joined(separator: ", "))); a network must be acyclic"
    }

    private func requireOneInput(_ s: LayerSpec, _ reads: [Int]) throws {
        guard reads.count == 1 else {
            throw NetworkError(
                "\(source): layer '\(s.name)' (\(s.kind)) takes one input, but \"inputs\" names \(reads.count); add, mul and concat combine several"
            )
        }
    }

    /// add and mul take inputs of one shape; concat joins them along their first axis.
    private func makeMerge(_ s: LayerSpec, inputShapes: [[Int]], reads: [Int]) throws -> Layer<Float> {
        let what = "layer '\(s.name)' (\(s.kind))"
        let needed = s.kind == "mul" ? 2...2 : 2...Int.max
        guard needed.contains(reads.count) else {
            throw NetworkError(
                "\(source): \(what) needs \(s.kind == "mul" ? "two inputs" : "two or more inputs") in \"inputs\", got \(reads.count)")
        }
        let listing = inputShapes.map(shapeText).joined(separator: ", ")
        let merge: Merge
        let shape: [Int]
        if s.kind == "concat" {
            guard inputShapes.allSatisfy({ $0.count == inputShapes[0].count && $0.dropFirst() == inputShapes[0].dropFirst() }) else {
                throw NetworkError("\(source): \(what) joins inputs along their first axis, so the rest must agree; got \(listing)")
            }
            merge = .concat(sizes: inputShapes.map { $0.reduce(1, *) })
            shape = [inputShapes.map { $0[0] }.reduce(0, +)] + inputShapes[0].dropFirst()
        } else {
            guard inputShapes.allSatisfy({ $0 == inputShapes[0] }) else {
                throw NetworkError("\(source): \(what) needs inputs of one shape, got \(listing)")
            }
            merge = s.kind == "add" ? .add : .mul
            shape = inputShapes[0]
        }
        return Layer(name: s.name, operation: .merge(merge), inputShape: inputShapes[0], outputShape: shape)
    }

    /// A batchnorm that stays a node: its tensors hold one value per channel (the first axis).
    private func makeBatchNorm(_ s: LayerSpec, inputShape: [Int], _ what: String) throws -> Layer<Float> {
        let channels = inputShape[0]
        func field(_ name: String?, _ label: String) throws -> [Float] {
            guard let name else { throw NetworkError("\(source): \(what) needs '\(label)'") }
            return try vector(name, length: channels, what)
        }
        let variance = try field(s.runningVar, "running_var")
        let eps = s.eps ?? 1e-5
        guard eps.isFinite, eps >= 0, variance.allSatisfy({ Double($0) + eps > 0 }) else {
            throw NetworkError("\(source): \(what): running_var + eps must be positive")
        }
        let norm = BatchNorm(
            weight: try field(s.weight, "weight"), bias: try field(s.bias, "bias"),
            runningMean: try field(s.runningMean, "running_mean"), runningVar: variance, eps: eps,
            positions: inputShape.dropFirst().reduce(1, *))
        return Layer(
            name: s.name, operation: .batchNorm(norm), inputShape: inputShape, outputShape: inputShape,
            tensorNames: [s.weight!, s.bias!, s.runningMean!, s.runningVar!])
    }

    /// A network whose weights overflow Float32 computes infinity or NaN on any input. One
    /// sample at the top of the input box (ones when the architecture gives none) finds that at
    /// load, naming the layer, instead of letting non-finite values into every figure.
    private func checkFinite(_ network: Network<Float>) throws {
        // Token ids: 0 is in every table.
        let value = network.tokenTables.isEmpty ? Float(spec.input.range?.last ?? 1) : 0
        let trace = network.trace(Matrix(rows: 1, cols: network.inputSize, repeating: value))
        if let i = trace.indices.dropFirst().first(where: { trace[$0].hasNonFinite }) {
            throw NetworkError(
                "\(source): layer '\(network.layers[i - 1].name)' computes infinity or NaN on an input of \(value)s: its weights overflow Float32"
            )
        }
    }

    // MARK: Layers

    private func makeLayer(_ s: LayerSpec, inputShape: [Int]) throws -> Layer<Float> {
        let what = "layer '\(s.name)' (\(s.kind))"
        if let out = s.out, !(1...Int(Int32.max)).contains(out) {
            throw NetworkError("\(source): \(what): 'out' is \(out); it must be between 1 and \(Int32.max)")
        }
        switch s.kind {
        case "linear":
            let inFeatures = try flatInput(inputShape, what)
            let w = try tensor(s.weight, field: "weight", what, fresh: s.out.map { [$0, inFeatures] })
            let out = try checkMatrixShape(w, name: s.weight!, expectedColumns: inFeatures, what)
            let b = try s.bias.map { try vector($0, length: out, what) }
            return Layer(
                name: s.name, operation: .linear(Linear(weight: w.matrix(), bias: b)), inputShape: inputShape,
                outputShape: [out], tensorNames: [s.weight!] + (s.bias.map { [$0] } ?? []))
        case "bilinear":
            return try makeBilinear(s, inputShape: inputShape, what)
        case "embedding":
            guard inputShape.count == 1 else {
                throw NetworkError("\(source): \(what) takes a [positions] sample of token ids, got \(shapeText(inputShape))")
            }
            if let v = s.numEmbeddings, !(1...Int(Int32.max)).contains(v) {
                throw NetworkError("\(source): \(what): 'num_embeddings' is \(v); it must be between 1 and \(Int32.max)")
            }
            let w = try tensor(s.weight, field: "weight", what, fresh: s.numEmbeddings.flatMap { v in s.out.map { [v, $0] } })
            guard w.shape.count == 2, w.shape.allSatisfy({ $0 > 0 }) else {
                throw NetworkError(
                    "\(source): \(what): tensor '\(s.weight!)' has shape \(shapeText(w.shape)), expected [num_embeddings, embedding_dim]")
            }
            return Layer(
                name: s.name, operation: .embedding(Embedding(weight: w.matrix())), inputShape: inputShape,
                outputShape: [inputShape[0], w.shape[1]], tensorNames: [s.weight!])
        case "conv2d":
            guard inputShape.count == 3 else {
                throw NetworkError("\(source): \(what) needs [channels, height, width] input, got \(shapeText(inputShape))")
            }
            // torch's groups: each of `groups` slices of the channels convolved apart.
            let groups = s.groups ?? 1
            guard groups >= 1, inputShape[0] % groups == 0, s.out.map({ $0 % groups == 0 }) ?? true else {
                throw NetworkError(
                    "\(source): \(what): groups \(groups) must divide its \(inputShape[0]) input channels and its output channels")
            }
            let w = try tensor(
                s.weight, field: "weight", what,
                fresh: s.out.flatMap { out in
                    s.kernel.map { [out, inputShape[0] / groups, $0.h, $0.w] }
                })
            guard w.shape.count == 4, w.shape[1] == inputShape[0] / groups, w.shape[0] % groups == 0 else {
                throw NetworkError(
                    "\(source): \(what): tensor '\(s.weight!)' has shape \(shapeText(w.shape)), expected [out, \(inputShape[0] / groups), kh, kw]\(groups > 1 ? " with out a multiple of \(groups)" : "")"
                )
            }
            let g = WindowGeometry(
                channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                kernel: IntPair(w.shape[2], w.shape[3]), stride: s.stride ?? IntPair(1),
                padding: s.padding ?? IntPair(0), dilation: s.dilation ?? IntPair(1))
            if let problem = g.problem { throw NetworkError("\(source): \(what): \(problem)") }
            // The map from patch entries to inputs is built with the layer, before the check of
            // one sample's activations below.
            try MemoryBudget.check(
                MemoryBudget.product(g.outPositions, g.patchSize, MemoryLayout<Int32>.size), for: "\(source): \(what): its patch map")
            let out = w.shape[0]
            // A grouped convolution's weight is held whole (zeros outside the groups).
            try MemoryBudget.check(MemoryBudget.product(out, g.patchSize, MemoryLayout<Float>.size), for: "\(source): \(what): its weight")
            let b = try s.bias.map { try vector($0, length: out, what) }
            let weight = Conv2d<Float>.whole(w.floats(), outChannels: out, geometry: g, groups: groups)
            return Layer(
                name: s.name, operation: .conv2d(Conv2d(weight: weight, bias: b, geometry: g, groups: groups)), inputShape: inputShape,
                outputShape: [out, g.outHeight, g.outWidth], tensorNames: [s.weight!] + (s.bias.map { [$0] } ?? []))
        case "maxpool2d", "avgpool2d", "adaptive_avgpool2d":
            guard inputShape.count == 3 else {
                throw NetworkError("\(source): \(what) needs [channels, height, width] input, got \(shapeText(inputShape))")
            }
            let (kernel, stride) = try poolingWindow(s, height: inputShape[1], width: inputShape[2], what)
            let padding = s.padding ?? IntPair(0)
            if padding != IntPair(0) {
                guard s.kind == "maxpool2d" else { throw NetworkError("\(source): \(what): padding on average pooling is not supported") }
                // As torch: padding at most half the kernel, so that every window holds an input.
                guard padding.h >= 0, padding.w >= 0, 2 * padding.h <= kernel.h, 2 * padding.w <= kernel.w else {
                    throw NetworkError(
                        "\(source): \(what): padding \(padding.h)×\(padding.w) must be at most half the \(kernel.h)×\(kernel.w) kernel")
                }
            }
            if let d = s.dilation, d.h != 1 || d.w != 1 {
                throw NetworkError("\(source): \(what): dilation on pooling layers is not supported")
            }
            let g = WindowGeometry(
                channels: inputShape[0], height: inputShape[1], width: inputShape[2],
                kernel: kernel, stride: stride, padding: padding)
            if let problem = g.problem { throw NetworkError("\(source): \(what): \(problem)") }
            let pool = Pool2d(mode: s.kind == "maxpool2d" ? .max : .average, geometry: g)
            return Layer(
                name: s.name, operation: .pool(pool), inputShape: inputShape,
                outputShape: [g.channels, g.outHeight, g.outWidth])
        case "layernorm":
            return try makeLayerNorm(s, inputShape: inputShape, what)
        case "batchnorm", "batchnorm1d", "batchnorm2d":
            return try makeBatchNorm(s, inputShape: inputShape, what)
        case "flatten":
            return Layer(name: s.name, operation: .flatten, inputShape: inputShape, outputShape: [inputShape.reduce(1, *)])
        case "reshape":
            return Layer(name: s.name, operation: .reshape, inputShape: inputShape, outputShape: try reshaped(s, inputShape, what))
        case "permute":
            // torch's dims, the batch axis 0 first and staying first.
            guard let dims = s.dims, dims.first == 0, dims.sorted() == Array(0...inputShape.count) else {
                throw NetworkError(
                    "\(source): \(what) needs 'dims', a permutation of 0…\(inputShape.count) starting with the batch axis 0 (its input is \(shapeText(inputShape)) per sample)"
                )
            }
            let permute = Permute(axes: dims.dropFirst().map { $0 - 1 }, inputShape: inputShape)
            return Layer(name: s.name, operation: .permute(permute), inputShape: inputShape, outputShape: permute.outputShape(inputShape))
        case "softmax":
            return Layer(name: s.name, operation: .softmax, inputShape: inputShape, outputShape: inputShape)
        default:
            guard let activation = Activation(kind: s.kind, alpha: s.alpha, slope: s.negativeSlope) else {
                let known =
                    [
                        "linear", "bilinear", "conv2d", "embedding", "maxpool2d", "avgpool2d", "adaptive_avgpool2d", "batchnorm",
                        "batchnorm1d",
                        "batchnorm2d", "layernorm", "add", "mul", "concat", "flatten", "reshape", "permute"
                    ]
                    + Activation.kinds + ["softmax"]
                throw NetworkError("\(source): layer '\(s.name)' has unknown kind '\(s.kind)'; known: \(known.joined(separator: ", "))")
            }
            for (field, value) in [("alpha", s.alpha), ("negative_slope", s.negativeSlope)] {
                if let value, !value.isFinite { throw NetworkError("\(source): \(what): \(field) must be a finite number") }
            }
            if s.alpha != nil, s.kind != "elu" { throw NetworkError("\(source): \(what): alpha belongs to elu layers") }
            if s.negativeSlope != nil, s.kind != "leaky_relu" {
                throw NetworkError("\(source): \(what): negative_slope belongs to leaky_relu layers")
            }
            return Layer(name: s.name, operation: .activation(activation), inputShape: inputShape, outputShape: inputShape)
        }
    }

    /// A pooling layer's kernel and stride. Adaptive average pooling (torch's
    /// `AdaptiveAvgPool2d`, global average pooling at its default output 1×1) is the plain
    /// average pooling whose windows tile the input, when the output size divides it; torch's
    /// uneven windows for other sizes are not supported.
    private func poolingWindow(_ s: LayerSpec, height: Int, width: Int, _ what: String) throws -> (IntPair, IntPair) {
        guard s.kind == "adaptive_avgpool2d" else {
            guard let kernel = s.kernel else { throw NetworkError("\(source): \(what) needs 'kernel'") }
            if s.outputSize != nil { throw NetworkError("\(source): \(what): output_size belongs to adaptive_avgpool2d layers") }
            return (kernel, s.stride ?? kernel)
        }
        if s.kernel != nil || s.stride != nil {
            throw NetworkError("\(source): \(what) takes output_size (default 1), not kernel or stride")
        }
        let out = s.outputSize ?? IntPair(1)
        guard out.h > 0, out.w > 0, height % out.h == 0, width % out.w == 0 else {
            throw NetworkError(
                "\(source): \(what): output size \(out.h)×\(out.w) must divide the \(height)×\(width) input (uneven windows are not supported)"
            )
        }
        let window = IntPair(height / out.h, width / out.w)
        return (window, window)
    }

    /// A reshape's output shape: `shape`, with at most one −1 standing for what the input's
    /// size leaves, holding as many values as the input.
    private func reshaped(_ s: LayerSpec, _ inputShape: [Int], _ what: String) throws -> [Int] {
        guard var shape = s.shape, !shape.isEmpty else { throw NetworkError("\(source): \(what) needs 'shape', e.g. [2, 4, 4]") }
        let size = inputShape.reduce(1, *)
        let unknown = shape.indices.filter { shape[$0] == -1 }
        let known = shape.filter { $0 != -1 }
        guard unknown.count <= 1, known.allSatisfy({ $0 > 0 }), let product = MemoryBudget.product(known) else {
            throw NetworkError("\(source): \(what): shape \(shapeText(shape)) must be positive sizes, one of them at most −1")
        }
        if let i = unknown.first, product > 0, size % product == 0 { shape[i] = size / product }
        guard shape.reduce(1, *) == size, !shape.contains(-1) else {
            throw NetworkError(
                "\(source): \(what): shape \(shapeText(s.shape!)) does not hold the \(size) values of its input \(shapeText(inputShape))")
        }
        return shape
    }

    /// torch's LayerNorm over the trailing `normalized_shape` axes of the input (default: all of
    /// them); `weight` and `bias` of that shape are each optional.
    private func makeLayerNorm(_ s: LayerSpec, inputShape: [Int], _ what: String) throws -> Layer<Float> {
        let shape = s.normalizedShape ?? inputShape
        guard !shape.isEmpty, shape.count <= inputShape.count, Array(inputShape.suffix(shape.count)) == shape else {
            throw NetworkError(
                "\(source): \(what): normalized_shape \(shapeText(shape)) must be the last axes of its input \(shapeText(inputShape))")
        }
        let eps = s.eps ?? 1e-5
        guard eps.isFinite, eps > 0 else { throw NetworkError("\(source): \(what): eps must be a positive number") }
        let m = shape.reduce(1, *)
        func parameter(_ name: String?, _ field: String) throws -> [Float]? {
            guard let name else { return nil }
            let t = try tensor(name, field: field, what, fresh: shape)
            guard t.shape == shape || t.shape == [m] else {
                throw NetworkError("\(source): \(what): tensor '\(name)' has shape \(shapeText(t.shape)), expected \(shapeText(shape))")
            }
            return t.floats()
        }
        let norm = LayerNorm(
            normalizedShape: shape, eps: eps, weight: try parameter(s.weight, "weight"), bias: try parameter(s.bias, "bias"))
        return Layer(
            name: s.name, operation: .layerNorm(norm), inputShape: inputShape, outputShape: inputShape,
            tensorNames: [s.weight, s.bias].compactMap { $0 })
    }

    private func makeBilinear(_ s: LayerSpec, inputShape: [Int], _ what: String) throws -> Layer<Float> {
        let inFeatures = try flatInput(inputShape, what)
        let left: Matrix<Float>, right: Matrix<Float>
        var leftBias: [Float]?, rightBias: [Float]?
        var names: [String]
        if let l = s.left, let r = s.right {
            let fresh = s.out.map { [$0, inFeatures] }
            let lt = try tensor(l, field: "left", what, fresh: fresh), rt = try tensor(r, field: "right", what, fresh: fresh)
            let out = try checkMatrixShape(lt, name: l, expectedColumns: inFeatures, what)
            guard rt.shape == lt.shape else {
                throw NetworkError(
                    "\(source): \(what): tensor '\(r)' has shape \(shapeText(rt.shape)), expected \(shapeText(lt.shape)) like '\(l)'")
            }
            left = lt.matrix()
            right = rt.matrix()
            leftBias = try s.leftBias.map { try vector($0, length: out, what) }
            rightBias = try s.rightBias.map { try vector($0, length: out, what) }
            names = [l, r] + [s.leftBias, s.rightBias].compactMap { $0 }
        } else if let wName = s.weight {
            // PyTorch's fused form: one [2·out, in] weight, left half first.
            let w = try tensor(wName, field: "weight", what, fresh: s.out.map { [2 * $0, inFeatures] })
            let rows = try checkMatrixShape(w, name: wName, expectedColumns: inFeatures, what)
            guard rows % 2 == 0 else {
                throw NetworkError(
                    "\(source): \(what): tensor '\(wName)' has \(rows) rows, expected an even number (left and right halves)")
            }
            let m: Matrix<Float> = w.matrix()
            left = m.rows(in: 0..<(rows / 2))
            right = m.rows(in: (rows / 2)..<rows)
            if let bName = s.bias {
                let b = try vector(bName, length: rows, what)
                leftBias = Array(b[0..<(rows / 2)])
                rightBias = Array(b[(rows / 2)...])
            }
            // Saved again in the split form, under names derived from the fused ones.
            names = ["\(s.name).left", "\(s.name).right"] + (s.bias == nil ? [] : ["\(s.name).left_bias", "\(s.name).right_bias"])
        } else {
            throw NetworkError("\(source): \(what) needs 'left' and 'right' tensors, or one 'weight' holding both halves")
        }
        let b = Bilinear(left: left, right: right, leftBias: leftBias, rightBias: rightBias)
        return Layer(name: s.name, operation: .bilinear(b), inputShape: inputShape, outputShape: [b.outFeatures], tensorNames: names)
    }

    /// Folds y = γ (z − μ) / √(σ² + ε) + β into the linear or conv layer that produced z.
    private func fold(_ s: LayerSpec, into previous: Layer<Float>) throws -> Layer<Float> {
        let what = "batchnorm '\(s.name)'"
        let channels: Int
        switch previous.operation {
        case .linear(let l): channels = l.outFeatures
        case .conv2d(let c): channels = c.outChannels
        default: preconditionFailure("only a linear or conv2d layer takes a batchnorm in")
        }
        func field(_ name: String?, _ label: String) throws -> [Float] {
            guard let name else { throw NetworkError("\(source): \(what) needs '\(label)'") }
            return try vector(name, length: channels, what)
        }
        let gamma = try field(s.weight, "weight"), beta = try field(s.bias, "bias")
        let mean = try field(s.runningMean, "running_mean"), variance = try field(s.runningVar, "running_var")
        let eps = s.eps ?? 1e-5
        guard variance.allSatisfy({ Double($0) + eps > 0 }) else {
            throw NetworkError("\(source): \(what): running_var + eps must be positive")
        }
        let scale = (0..<channels).map { Float(Double(gamma[$0]) / (Double(variance[$0]) + eps).squareRoot()) }
        func foldedBias(_ b: [Float]?) -> [Float] {
            (0..<channels).map { (($0 < (b?.count ?? 0) ? b![$0] : 0) - mean[$0]) * scale[$0] + beta[$0] }
        }
        func scaleRows(_ w: Matrix<Float>) -> Matrix<Float> {
            Matrix(rows: w.rows, cols: w.cols) { r, c in w[r, c] * scale[r] }
        }
        // The folded layer always has a bias; it keeps the weight's name and takes the
        // batchnorm's bias name when it had none of its own.
        let names = [previous.tensorNames[0], previous.tensorNames.count > 1 ? previous.tensorNames[1] : s.bias!]
        let op: LayerOperation<Float>
        switch previous.operation {
        case .linear(let l): op = .linear(Linear(weight: scaleRows(l.weight), bias: foldedBias(l.bias)))
        case .conv2d(let c): op = .conv2d(c.replacing(weight: scaleRows(c.weight), bias: foldedBias(c.bias)))
        default: preconditionFailure("checked above")
        }
        return Layer(
            name: previous.name, operation: op, inputShape: previous.inputShape,
            outputShape: previous.outputShape, tensorNames: names, inputs: previous.inputs)
    }

    // MARK: Tensors

    /// Every tensor the layers name is converted to Float32 in memory: their total must fit.
    private func checkTensorMemory() throws {
        var names = Set<String>()
        for l in spec.layers {
            for name in [l.weight, l.bias, l.left, l.right, l.leftBias, l.rightBias, l.runningMean, l.runningVar] {
                if let name { names.insert(name) }
            }
        }
        let total = MemoryBudget.sum(names.compactMap { tensors[$0] }.map { MemoryBudget.product($0.shape + [MemoryLayout<Float>.size]) })
        try MemoryBudget.check(total, for: "\(source): the model's weights (as Float32)")
    }

    private func flatInput(_ shape: [Int], _ what: String) throws -> Int {
        guard shape.count == 1 else {
            throw NetworkError("\(source): \(what) needs a flat input, got \(shapeText(shape)); add a flatten layer before it")
        }
        return shape[0]
    }

    private func tensor(_ name: String?, field: String, _ what: String, fresh shape: [Int]? = nil) throws -> Tensor {
        guard let name else { throw NetworkError("\(source): \(what) needs '\(field)' (the name of its tensor)") }
        if untrained {
            guard let shape else {
                let sizes =
                    what.hasSuffix("(conv2d)")
                    ? "'out' and 'kernel'" : what.hasSuffix("(embedding)") ? "'num_embeddings' and 'out'" : "'out'"
                throw NetworkError("\(source): \(what) needs \(sizes) to be built untrained")
            }
            guard shape.allSatisfy({ $0 > 0 }) else {
                throw NetworkError("\(source): \(what): '\(field)' would have shape \(shapeText(shape)); sizes must be positive")
            }
            // Training keeps the weights, their gradients and two Adam moments: four copies.
            try MemoryBudget.check(
                MemoryBudget.product(shape + [MemoryLayout<Float>.size, 4]),
                for: "\(source): \(what): training a \(shapeText(shape)) '\(field)'")
            return Tensor([Float](repeating: 0, count: shape.reduce(1, *)), shape: shape)
        }
        guard let t = tensors[name] else {
            throw NetworkError("\(source): \(what): tensor '\(name)' is missing from the file")
        }
        guard [.f32, .f64, .f16, .bf16].contains(t.dtype) else {
            throw NetworkError("\(source): \(what): tensor '\(name)' has dtype \(t.dtype.rawValue), expected a float type")
        }
        if t.floats().contains(where: { !$0.isFinite }) {
            throw NetworkError("\(source): \(what): tensor '\(name)' contains NaN or infinity")
        }
        return t
    }

    /// Checks a 2-d [out, in] tensor and returns `out`.
    private func checkMatrixShape(_ t: Tensor, name: String, expectedColumns: Int, _ what: String) throws -> Int {
        guard t.shape.count == 2, t.shape[1] == expectedColumns, t.shape[0] > 0 else {
            throw NetworkError("\(source): \(what): tensor '\(name)' has shape \(shapeText(t.shape)), expected [out, \(expectedColumns)]")
        }
        return t.shape[0]
    }

    private func vector(_ name: String, length: Int, _ what: String) throws -> [Float] {
        let t = try tensor(name, field: name, what, fresh: [length])
        guard t.shape == [length] else {
            throw NetworkError("\(source): \(what): tensor '\(name)' has shape \(shapeText(t.shape)), expected [\(length)]")
        }
        return t.floats()
    }
}
