import Interpret
import LinAlg
import Networks
import XCTest

/// For random bilinear layers (with and without biases, embeddings, readout biases) and random
/// inputs: u·g(x) = x̃ᵀQx̃ = Σ_i λ_i (v_i·x̃)² in Float64 (docs/methods.md), with u·g(x) taken from
/// the network's own forward pass.
final class QuadraticFormIdentityTests: XCTestCase {
    typealias Options = BilinearTestModels.Options

    func testIdentityForRandomLayersWithBiases() throws {
        let cases: [(String, Options)] = [
            ("all biases", Options()),
            ("no embedding", Options(embed: nil)),
            ("embedding bias only", Options(leftBias: false, rightBias: false)),
            ("left bias only, no embedding", Options(embed: nil, rightBias: false)),
            ("no biases at all", Options(embedBias: false, leftBias: false, rightBias: false, headBias: false)),
            ("embedding narrower than the input", Options(input: 12, embed: 5, hidden: 9))
        ]
        for (seed, (name, options)) in cases.enumerated() {
            let network = BilinearTestModels.network(options, seed: UInt64(100 + seed))
            try checkIdentity(network, name: name, seed: UInt64(seed))
        }
    }

    /// The embedding may be any run of affine layers: a conv with bias, average pooling, flatten.
    func testIdentityThroughConvolutionalEmbedding() throws {
        var rng = SeededRandom(seed: 9)
        let convGeometry = WindowGeometry(channels: 1, height: 4, width: 4, kernel: IntPair(3), stride: IntPair(1), padding: IntPair(1))
        let poolGeometry = WindowGeometry(channels: 2, height: 4, width: 4, kernel: IntPair(2), stride: IntPair(2), padding: IntPair(0))
        let conv = Conv2d<Double>(weight: rng.normalMatrix(rows: 2, cols: 9, std: 0.5), bias: [0.3, -0.2], geometry: convGeometry)
        let layers: [Layer<Double>] = [
            Layer(name: "conv", operation: .conv2d(conv), inputShape: [1, 4, 4], outputShape: [2, 4, 4]),
            Layer(
                name: "pool", operation: .pool(Pool2d(mode: .average, geometry: poolGeometry)), inputShape: [2, 4, 4],
                outputShape: [2, 2, 2]),
            Layer(name: "flatten", operation: .flatten, inputShape: [2, 2, 2], outputShape: [8]),
            BilinearTestModels.bilinear(left: rng.normalMatrix(rows: 6, cols: 8), right: rng.normalMatrix(rows: 6, cols: 8)),
            BilinearTestModels.linear("head", rng.normalMatrix(rows: 3, cols: 6), [0.1, 0.2, 0.3])
        ]
        let network = Network(name: "conv-bilinear", input: InputSpec(shape: [1, 4, 4]), classes: nil, layers: layers)
        let site = try BilinearSite(network: network, layer: "bilinear")
        XCTAssertEqual(site.spaceName, "input")
        XCTAssertEqual(site.imageShape, [1, 4, 4])
        XCTAssertTrue(site.hasConstant, "the conv bias reaches the layer through the constant")
        try checkIdentity(network, name: "conv embedding", seed: 3)
    }

    /// A nonlinearity before the embedding: the forms live in the ReLU's output, and samples
    /// reach them through the layers before it.
    func testIdentityAfterANonlinearity() throws {
        var rng = SeededRandom(seed: 11)
        let layers: [Layer<Double>] = [
            BilinearTestModels.linear("fc", rng.normalMatrix(rows: 7, cols: 5), (0..<7).map { _ in rng.normal() }),
            BilinearTestModels.activation("relu", .relu, size: 7),
            BilinearTestModels.linear("embed", rng.normalMatrix(rows: 6, cols: 7), nil),
            BilinearTestModels.bilinear(left: rng.normalMatrix(rows: 4, cols: 6), right: rng.normalMatrix(rows: 4, cols: 6)),
            BilinearTestModels.linear("head", rng.normalMatrix(rows: 3, cols: 4), nil)
        ]
        let network = Network(name: "relu-first", input: InputSpec(shape: [5]), classes: nil, layers: layers)
        let site = try BilinearSite(network: network, layer: "bilinear")
        XCTAssertEqual(site.spaceName, "relu")
        XCTAssertEqual(site.spaceIndex, 2)
        XCTAssertEqual(site.formSize, 7)
        XCTAssertNil(site.imageShape)
        try checkIdentity(network, name: "after relu", seed: 4)
    }

    /// Checks the identity for every readout row and a random direction, on 16 random inputs,
    /// and that each eigendecomposition is orthonormal and reconstructs Q.
    private func checkIdentity(_ network: Network<Double>, name: String, seed: UInt64, line: UInt = #line) throws {
        let site = try BilinearSite(network: network, layer: "bilinear")
        var rng = SeededRandom(seed: seed)
        let random = try site.directions(rng.normalMatrix(rows: 1, cols: site.outputSize), source: "random")
        let analysis = try BilinearAnalysis(site: site, directions: site.readoutDirections() + random)
        let x = BilinearTestModels.inputs(16, network.inputSize, seed: seed + 50)
        let trace = network.trace(x.converted(to: Double.self))
        let g = trace[try network.traceIndex(of: "bilinear")]
        let logits = network.scores(x.converted(to: Double.self))
        let points = site.formInputs(x)
        XCTAssertEqual(points.cols, site.formSize, line: line)

        for (f, form) in analysis.forms.enumerated() {
            let u = form.direction.vector
            let reference = matvec(g, u)  // u·g(x), from the network
            let quadratic = (0..<x.rows).map { s in dot(matvec(form.matrix, Array(points.row(s))), Array(points.row(s))) }
            let spectral = form.contributions(points).rowSums()  // Σ λ_i (v_i·x̃)²
            for s in 0..<x.rows {
                XCTAssertEqual(
                    quadratic[s], reference[s], accuracy: 1e-6 * abs(reference[s]), "\(name), \(form.direction.label): xᵀQx", line: line)
                XCTAssertEqual(
                    spectral[s], reference[s], accuracy: 1e-6 * abs(reference[s]), "\(name), \(form.direction.label): Σλ(v·x)²", line: line)
                if let c = form.direction.logitClass {
                    XCTAssertEqual(
                        form.values(points)[s], logits[s, c], accuracy: 1e-6 * abs(logits[s, c]), "\(name): logit \(c)", line: line)
                }
            }
            XCTAssertEqual(f < site.readout!.names.count, form.direction.logitClass != nil, line: line)
            checkDecomposition(form, name: "\(name), \(form.direction.label)", line: line)
        }
    }

    /// V Vᵀ = I, Vᵀ diag(λ) V = Q, λ descending, each eigenvector's largest component positive.
    private func checkDecomposition(_ form: InteractionForm, name: String, line: UInt) {
        let v = form.eigenvectors
        let identity = matmul(v, v, transposeB: true)
        XCTAssertLessThan((identity - .identity(form.size)).maxAbs(), 1e-12, "\(name): orthonormal", line: line)
        var scaled = v.transposed()
        scaled.scaleColumns(form.eigenvalues)
        let rebuilt = matmul(scaled, v)
        XCTAssertLessThan((rebuilt - form.matrix).maxAbs(), 1e-12 * max(1, form.matrix.maxAbs()), "\(name): reconstruction", line: line)
        XCTAssertEqual(form.eigenvalues, form.eigenvalues.sorted(by: >), "\(name): descending", line: line)
        for i in 0..<form.size {
            let row = Array(v.row(i))
            XCTAssertEqual(row.max(), row.map(abs).max(), "\(name): sign of eigenvector \(i)", line: line)
        }
    }
}
