import LinAlg
import Networks

/// A bilinear layer g(h) = (L h + b_l) ⊙ (R h + b_r) of a network, seen from the space its
/// quadratic forms are written in (docs/methods.md, Pearce et al. 2024).
///
/// That space is the earliest activation from which only affine layers lead to the layer: the
/// network input for an embedding → bilinear model, so that eigenvectors are images. With
/// h = E x + e there, L h + b_l = (L E) x + (L e + b_l); the analysis works with the folded
/// weights L̃ = [L E | L e + b_l] and R̃ on the augmented input x̃ = [x; 1]. The constant
/// coordinate is only added when some bias makes it matter.
public struct BilinearSite: Sendable {
    /// The network, in Float64.
    public let model: Network<Double>
    public let layerName: String
    public let layerIndex: Int
    /// Trace index of the activation the forms act on (0: the network input), and its name.
    public let spaceIndex: Int
    public let spaceName: String
    /// Values per sample in that space, not counting the constant.
    public let spaceSize: Int
    /// How to draw a vector of the space ([channels, height, width]), when it is an image.
    public let imageShape: [Int]?
    /// Whether the last coordinate of the form space is the constant input 1.
    public let hasConstant: Bool
    /// L̃ and R̃: [outputs of the layer, formSize].
    public let left: Matrix<Double>
    public let right: Matrix<Double>
    /// The affine map after the layer; nil when the layer feeds a nonlinearity directly.
    public let readout: Readout?
    /// What follows the layer, in words (for messages): "linear 'head'", "relu 'act'".
    public let followedBy: String

    /// The dimension of the form space: `spaceSize`, plus one for the constant.
    public var formSize: Int { spaceSize + (hasConstant ? 1 : 0) }
    /// The number of outputs of the bilinear layer (the length of a direction).
    public var outputSize: Int { left.rows }

    /// Locates `layer` in `network`. `space` names the activation to write the forms in
    /// (default: as early as affine layers allow); only affine layers may lie between it and
    /// the bilinear layer.
    public init<T: BLASScalar>(network: Network<T>, layer name: String, space: String? = nil) throws {
        try network.requireChain(for: "the bilinear decomposition")
        let model = network.converted(to: Double.self)
        let bilinearNames = Self.bilinearLayers(in: network)
        let listing =
            bilinearNames.isEmpty
            ? "the model has no bilinear layer"
            : "bilinear layers: \(bilinearNames.joined(separator: ", "))"
        guard let index = model.layers.firstIndex(where: { $0.name == name }) else {
            throw InterpretError("model '\(model.name)' has no layer '\(name)' (\(listing))")
        }
        guard case .bilinear(let layer) = model.layers[index].operation else {
            throw InterpretError(
                "layer '\(name)' of model '\(model.name)' is \(model.layers[index].operation.kind), not bilinear (\(listing))")
        }
        var earliest = index
        while earliest > 0 && AffineMap.isAffine(model.layers[earliest - 1].operation) { earliest -= 1 }
        let start = try space.map { try Self.spaceIndex($0, in: model, layer: index, earliest: earliest) } ?? earliest

        self.model = model
        layerName = name
        layerIndex = index
        spaceIndex = start
        spaceName = start == 0 ? "input" : model.layers[start - 1].name
        let shape = start == 0 ? model.input.shape : model.layers[start - 1].outputShape
        spaceSize = shape.reduce(1, *)
        imageShape = start == 0 ? (model.input.image ?? (shape.count == 3 ? shape : nil)) : (shape.count == 3 ? shape : nil)

        var l = layer.left, r = layer.right
        var lBias = layer.leftBias, rBias = layer.rightBias
        if start < index {
            let embedding = AffineMap(composing: model.layers[start..<index], inputSize: spaceSize)
            l = matmul(layer.left, embedding.matrix)
            r = matmul(layer.right, embedding.matrix)
            if embedding.offset.contains(where: { $0 != 0 }) {
                lBias = Self.add(matvec(layer.left, embedding.offset), layer.leftBias)
                rBias = Self.add(matvec(layer.right, embedding.offset), layer.rightBias)
            }
        }
        hasConstant = lBias != nil || rBias != nil
        if hasConstant {
            let zeros = [Double](repeating: 0, count: layer.outFeatures)
            l = Matrix.hstack([l, Matrix(column: lBias ?? zeros)])
            r = Matrix.hstack([r, Matrix(column: rBias ?? zeros)])
        }
        left = l
        right = r
        (readout, followedBy) = Self.readout(after: index, in: model)
    }

    /// The names of a network's bilinear layers, in order.
    public static func bilinearLayers<T>(in network: Network<T>) -> [String] {
        network.layers.filter { if case .bilinear = $0.operation { return true } else { return false } }.map(\.name)
    }

    // MARK: Directions

    /// Every output of the readout as a direction (one per class when they are the logits).
    public func readoutDirections() throws -> [FormDirection] {
        let readout = try requireReadout()
        return (0..<readout.names.count).map(readout.direction)
    }

    /// The readout output named `text` (a class name, or an index).
    public func readoutIndex(_ text: String) throws -> Int {
        let readout = try requireReadout()
        if let k = readout.names.firstIndex(of: text) { return k }
        if let k = Int(text), readout.names.indices.contains(k) { return k }
        throw InterpretError("layer '\(layerName)' has no output '\(text)' after its readout (outputs: \(Self.abbreviated(readout.names)))")
    }

    /// u_a − u_b: what makes the model prefer output a over output b.
    public func contrast(_ a: Int, _ b: Int) throws -> FormDirection {
        let readout = try requireReadout()
        let (da, db) = (readout.direction(a), readout.direction(b))
        return FormDirection(
            label: "\(da.label)−\(db.label)", vector: zip(da.vector, db.vector).map { $0 - $1 },
            offset: da.offset - db.offset)
    }

    /// Directions given as the rows of a matrix (e.g. an SAE decoder), with no offset.
    /// `source` names where they came from, for the message when their length is wrong.
    public func directions(_ rows: Matrix<Double>, labels: [String]? = nil, source: String) throws -> [FormDirection] {
        guard rows.cols == outputSize else {
            throw InterpretError("\(source): directions of length \(rows.cols), but layer '\(layerName)' has \(outputSize) outputs")
        }
        guard rows.rows > 0 else { throw InterpretError("\(source): no directions") }
        guard !rows.hasNonFinite else { throw InterpretError("\(source): the directions contain NaN or infinity") }
        let names = labels ?? (rows.rows == 1 ? ["direction"] : (0..<rows.rows).map { "direction \($0)" })
        return (0..<rows.rows).map { FormDirection(label: names[$0], vector: Array(rows.row($0))) }
    }

    private func requireReadout() throws -> Readout {
        guard let readout else {
            throw InterpretError("bilinear layer '\(layerName)' is followed by \(followedBy), not by a linear readout: give a direction")
        }
        return readout
    }

    // MARK: Samples

    /// The samples (network inputs) as points x̃ of the form space, with the constant appended.
    public func formInputs(_ x: Matrix<Float>) -> Matrix<Double> {
        let h = model.layers[0..<spaceIndex].reduce(x.converted(to: Double.self)) { $1.forward($0) }
        return hasConstant ? Matrix.hstack([h, Matrix(rows: h.rows, cols: 1, repeating: 1)]) : h
    }

    // MARK: Construction

    private static func spaceIndex(_ name: String, in model: Network<Double>, layer index: Int, earliest: Int) throws -> Int {
        let t = try model.traceIndex(of: name)
        guard t <= index else {
            throw InterpretError(
                "'\(name)' comes after bilinear layer '\(model.layers[index].name)'; the forms are written in an activation before it")
        }
        guard t >= earliest else {
            let blocker = model.layers[earliest - 1]
            throw InterpretError(
                "cannot write the forms of '\(model.layers[index].name)' in '\(name)': \(blocker.operation.kind) layer '\(blocker.name)' between them is not affine"
            )
        }
        return t
    }

    /// The affine layers right after the bilinear one, up to the scores or a nonlinearity.
    private static func readout(after index: Int, in model: Network<Double>) -> (Readout?, String) {
        let first = index + 1
        var end = first
        while end < model.scoreIndex && AffineMap.isAffine(model.layers[end].operation) { end += 1 }
        let isLogits = end == model.scoreIndex
        let outputs = model.layers[index].outputSize
        let next = first < model.layers.count ? "\(model.layers[first].operation.kind) '\(model.layers[first].name)'" : "nothing"
        if end > first {
            let map = AffineMap(composing: model.layers[first..<end], inputSize: outputs)
            let last = model.layers[end - 1].name
            let names = isLogits ? model.classNames : (0..<map.matrix.rows).map { "\(last)[\($0)]" }
            return (Readout(matrix: map.matrix, offset: map.offset, names: names, isLogits: isLogits), next)
        }
        guard isLogits else { return (nil, next) }
        return (
            Readout(
                matrix: .identity(outputs), offset: [Double](repeating: 0, count: outputs),
                names: model.classNames, isLogits: true), "nothing (its outputs are the logits)"
        )
    }

    private static func add(_ a: [Double], _ b: [Double]?) -> [Double] {
        guard let b else { return a }
        return zip(a, b).map { $0 + $1 }
    }

    private static func abbreviated(_ names: [String]) -> String {
        names.count <= 12 ? names.joined(separator: ", ") : names.prefix(10).joined(separator: ", ") + ", … (\(names.count))"
    }
}
