import LinAlg

/// An output direction u of a bilinear layer: the layer is read out as u·g(x) + offset. A class
/// logit (a row of the readout and its bias), a difference of two classes, or any vector the
/// user brings (an SAE decoder direction, a probe).
public struct FormDirection: Codable, Sendable, Equatable {
    public var label: String
    /// u: one weight per output of the bilinear layer.
    public var vector: [Double]
    /// What the readout adds to u·g(x) whatever x is (its bias along u); 0 for a user's direction.
    public var offset: Double
    /// The class whose logit this is, when it is exactly one of the model's logits.
    public var logitClass: Int?

    public init(label: String, vector: [Double], offset: Double = 0, logitClass: Int? = nil) {
        self.label = label
        self.vector = vector
        self.offset = offset
        self.logitClass = logitClass
    }
}

/// The affine map from a bilinear layer's output to whatever follows it: the next linear
/// layer (and any further affine layers up to a nonlinearity), or the identity when the
/// layer's output is itself the logits.
public struct Readout: Sendable {
    /// [outputs, bilinear outputs]: row k reads output k.
    public let matrix: Matrix<Double>
    public let offset: [Double]
    /// One name per output: the class names when these are the logits.
    public let names: [String]
    /// Whether the outputs are the model's scores, so that replacing each by its quadratic form
    /// gives the whole model (and truncation can measure accuracy).
    public let isLogits: Bool

    /// Output k as a direction.
    public func direction(_ k: Int) -> FormDirection {
        FormDirection(label: names[k], vector: Array(matrix.row(k)), offset: offset[k], logitClass: isLogits ? k : nil)
    }
}
