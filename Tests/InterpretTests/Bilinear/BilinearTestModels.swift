import LinAlg
import Networks

/// Small random networks around a bilinear layer named "bilinear", in Float64, for tests that
/// check the forms against the network itself.
enum BilinearTestModels {
    /// Which parts are present.
    struct Options {
        var input = 10
        /// The width of a linear embedding before the layer (nil: none).
        var embed: Int? = 8
        var embedBias = true
        var hidden = 6
        var leftBias = true
        var rightBias = true
        var classes = 4
        var headBias = true
    }

    static func network(_ o: Options, seed: UInt64) -> Network<Double> {
        var rng = SeededRandom(seed: seed)
        func vector(_ n: Int) -> [Double] { (0..<n).map { _ in rng.normal(mean: 0, std: 0.5) } }
        var layers: [Layer<Double>] = []
        var width = o.input
        if let embed = o.embed {
            layers.append(linear("embed", rng.normalMatrix(rows: embed, cols: width, std: 0.5), o.embedBias ? vector(embed) : nil))
            width = embed
        }
        let bilinear = Bilinear<Double>(
            left: rng.normalMatrix(rows: o.hidden, cols: width, std: 0.5),
            right: rng.normalMatrix(rows: o.hidden, cols: width, std: 0.5),
            leftBias: o.leftBias ? vector(o.hidden) : nil, rightBias: o.rightBias ? vector(o.hidden) : nil)
        layers.append(Layer(name: "bilinear", operation: .bilinear(bilinear), inputShape: [width], outputShape: [o.hidden]))
        layers.append(linear("head", rng.normalMatrix(rows: o.classes, cols: o.hidden, std: 0.5), o.headBias ? vector(o.classes) : nil))
        return Network(name: "random", input: InputSpec(shape: [o.input]), classes: nil, layers: layers)
    }

    static func linear(_ name: String, _ weight: Matrix<Double>, _ bias: [Double]?) -> Layer<Double> {
        Layer(name: name, operation: .linear(Linear(weight: weight, bias: bias)), inputShape: [weight.cols], outputShape: [weight.rows])
    }

    static func bilinear(_ name: String = "bilinear", left: Matrix<Double>, right: Matrix<Double>) -> Layer<Double> {
        Layer(name: name, operation: .bilinear(Bilinear(left: left, right: right)), inputShape: [left.cols], outputShape: [left.rows])
    }

    static func activation(_ name: String, _ a: Activation, size: Int) -> Layer<Double> {
        Layer(name: name, operation: .activation(a), inputShape: [size], outputShape: [size])
    }

    /// Inputs that Float32 holds exactly (samples reach the forms through a Float32 matrix).
    static func inputs(_ rows: Int, _ cols: Int, seed: UInt64) -> Matrix<Float> {
        var rng = SeededRandom(seed: seed)
        return rng.uniformMatrix(rows: rows, cols: cols, low: -1, high: 1)
    }
}
