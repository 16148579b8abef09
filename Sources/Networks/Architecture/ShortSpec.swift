/// The short architecture strings `loupe train --arch` takes:
///
///   mlp:64-256-256-10            linear layers with ReLU between them
///   bilinear:64-64-10            bilinear 64→64, then a linear readout 64→10
///   bilinear:64-64-64-10         linear embedding 64→64, bilinear 64→64, readout 64→10
///   cnn:1x8x8-c16-p2-c32-p2-10   conv 3×3 (padding 1) + ReLU, max-pool 2, …, flatten, linear layers
///   resnet:1x8x8-c16-r-p2-c32-r-g-10
///                                conv + batchnorm + ReLU, residual blocks, global pooling, linear
///
/// In `cnn:` the first item is the input C×H×W; `cN` is a conv with N channels (`cNkK` for a
/// K×K kernel, padding K/2), `pK` max-pooling, `aK` average pooling, `g` global average pooling,
/// a plain number a linear layer (ReLU between linear layers, none after the last). `resnet:`
/// is the same with a batchnorm after every convolution (which then has no bias, as in
/// torchvision), and `r`, a residual block on the current channels as torchvision's BasicBlock:
/// conv-bn-ReLU-conv-bn, added to the block's input, then ReLU.
public enum ShortSpec {
    public static let examples = [
        "mlp:64-256-256-10", "bilinear:64-64-10", "bilinear:64-64-64-10", "cnn:1x8x8-c16-p2-c32-p2-10", "resnet:1x8x8-c16-r-p2-c32-r-g-10"
    ]

    /// Parses a short spec; `input` says how to draw samples (the digits' by default).
    public static func parse(
        _ text: String, name: String? = nil, input image: InputSpec? = nil,
        classes: [String]? = nil
    ) throws -> ArchitectureSpec {
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw error(text, "expected KIND:SIZES, e.g. \(examples.joined(separator: ", "))") }
        let items = parts[1].split(separator: "-").map(String.init)
        let layers: [LayerSpec]
        let inputShape: [Int]
        switch parts[0] {
        case "mlp":
            let dims = try numbers(items, text)
            guard dims.count >= 2 else { throw error(text, "an MLP needs at least an input and an output size") }
            inputShape = [dims[0]]
            layers = dense(dims, startIndex: 1)
        case "bilinear":
            let dims = try numbers(items, text)
            guard dims.count == 3 || dims.count == 4 else {
                throw error(text, "expected bilinear:IN-HIDDEN-OUT or bilinear:IN-EMBED-HIDDEN-OUT")
            }
            inputShape = [dims[0]]
            var l: [LayerSpec] = []
            if dims.count == 4 { l.append(linear("embed", out: dims[1], bias: false)) }
            var b = LayerSpec(name: "bilinear", kind: "bilinear")
            b.left = "bilinear.left"
            b.right = "bilinear.right"
            b.out = dims[dims.count - 2]
            l.append(b)
            l.append(linear("head", out: dims[dims.count - 1], bias: false))
            layers = l
        case "cnn", "resnet":
            guard let first = items.first else { throw error(text, "missing the input size C×H×W") }
            let chw = first.split(separator: "x").compactMap { Int($0) }
            guard chw.count == 3, chw.allSatisfy({ $0 > 0 }) else {
                throw error(text, "the first item must be the input C×H×W, e.g. 1x8x8")
            }
            inputShape = chw
            layers = try convolutional(Array(items.dropFirst()), text, residual: parts[0] == "resnet")
        default:
            throw error(text, "unknown kind '\(parts[0])'; use mlp, bilinear, cnn or resnet")
        }
        let isImage = inputShape.count == 3
        let input = image ?? (isImage ? InputSpec(shape: inputShape, image: inputShape, range: nil) : InputSpec(shape: inputShape))
        return ArchitectureSpec(name: name ?? text, input: input, classes: classes, layers: layers)
    }

    private static func error(_ text: String, _ message: String) -> NetworkError {
        NetworkError("architecture '\(text)': \(message)")
    }

    private static func numbers(_ items: [String], _ text: String) throws -> [Int] {
        try items.map { item in
            guard let n = Int(item), n > 0 else { throw error(text, "'\(item)' is not a positive size") }
            return n
        }
    }

    private static func linear(_ name: String, out: Int, bias: Bool = true) -> LayerSpec {
        var s = LayerSpec(name: name, kind: "linear", weight: "\(name).weight", bias: bias ? "\(name).bias" : nil)
        s.out = out
        return s
    }

    /// Linear layers fc1, fc2, … with ReLU between them.
    private static func dense(_ dims: [Int], startIndex: Int) -> [LayerSpec] {
        var layers: [LayerSpec] = []
        for (k, out) in dims.dropFirst().enumerated() {
            let index = startIndex + k
            layers.append(linear("fc\(index)", out: out))
            if k < dims.count - 2 { layers.append(LayerSpec(name: "relu\(index)", kind: "relu")) }
        }
        return layers
    }

    /// A K×K convolution with padding K/2 (and, in a residual network, no bias: a batchnorm follows).
    private static func convolution(_ name: String, out: Int, kernel k: Int, bias: Bool) -> LayerSpec {
        var s = LayerSpec(name: name, kind: "conv2d", weight: "\(name).weight", bias: bias ? "\(name).bias" : nil)
        s.out = out
        s.kernel = IntPair(k)
        s.padding = IntPair(k / 2)
        return s
    }

    private static func batchnorm(_ name: String) -> LayerSpec {
        var s = LayerSpec(name: name, kind: "batchnorm", weight: "\(name).weight", bias: "\(name).bias")
        s.runningMean = "\(name).running_mean"
        s.runningVar = "\(name).running_var"
        return s
    }

    /// torchvision's BasicBlock on `channels` channels, reading `input`.
    private static func residualBlock(_ b: Int, channels: Int, input: String) -> [LayerSpec] {
        let p = "block\(b)"
        var first = convolution("\(p).conv1", out: channels, kernel: 3, bias: false)
        first.inputs = [input]
        var add = LayerSpec(name: "\(p).add", kind: "add")
        add.inputs = [input, "\(p).bn2"]
        return [
            first, batchnorm("\(p).bn1"), LayerSpec(name: "\(p).relu1", kind: "relu"),
            convolution("\(p).conv2", out: channels, kernel: 3, bias: false), batchnorm("\(p).bn2"), add,
            LayerSpec(name: "\(p).relu2", kind: "relu")
        ]
    }

    private static func convolutional(_ items: [String], _ text: String, residual: Bool) throws -> [LayerSpec] {
        var layers: [LayerSpec] = []
        var conv = 0, pool = 0, block = 0
        var channels: Int?
        var denseSizes: [Int] = []
        for item in items {
            if let n = Int(item), n > 0 { denseSizes.append(n); continue }
            guard denseSizes.isEmpty else { throw error(text, "'\(item)' comes after the linear layers") }
            let kind = item.first!
            let rest = item.dropFirst()
            switch kind {
            case "c":
                let pieces = rest.split(separator: "k").map(String.init)
                guard let n = Int(pieces.first ?? ""), n > 0,
                    pieces.count <= 2, let k = pieces.count == 2 ? Int(pieces[1]) : 3, k > 0
                else {
                    throw error(text, "'\(item)' should be cN or cNkK (N channels, K×K kernel)")
                }
                conv += 1
                layers.append(convolution("conv\(conv)", out: n, kernel: k, bias: !residual))
                if residual { layers.append(batchnorm("bn\(conv)")) }
                layers.append(LayerSpec(name: "relu\(conv)", kind: "relu"))
                channels = n
            case "r" where residual && rest.isEmpty:
                guard let channels, let input = layers.last?.name else {
                    throw error(text, "a residual block 'r' needs a convolution before it to set its channels")
                }
                block += 1
                layers += residualBlock(block, channels: channels, input: input)
            case "g" where rest.isEmpty:
                layers.append(LayerSpec(name: "gap", kind: "adaptive_avgpool2d"))
            case "p", "a":
                guard let k = Int(rest), k > 0 else { throw error(text, "'\(item)' should be pK or aK (K×K pooling)") }
                pool += 1
                var s = LayerSpec(name: "pool\(pool)", kind: kind == "p" ? "maxpool2d" : "avgpool2d")
                s.kernel = IntPair(k)
                layers.append(s)
            default:
                throw error(text, "'\(item)' is not cN, cNkK, pK, aK, g\(residual ? ", r" : "") or a linear size")
            }
        }
        guard !denseSizes.isEmpty else { throw error(text, "a CNN needs at least one linear layer (the number of classes) at the end") }
        layers.append(LayerSpec(name: "flatten", kind: "flatten"))
        var fc = 0
        for (k, out) in denseSizes.enumerated() {
            fc += 1
            layers.append(linear("fc\(fc)", out: out))
            if k < denseSizes.count - 1 { layers.append(LayerSpec(name: "relu_fc\(fc)", kind: "relu")) }
        }
        return layers
    }
}
