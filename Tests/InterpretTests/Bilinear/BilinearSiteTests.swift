import Interpret
import LinAlg
import Networks
import XCTest

/// Where the forms are written, what counts as the readout, and hand-computed spectra.
final class BilinearSiteTests: XCTestCase {
    /// g(x) = x ⊙ x (L = R = I): u·g(x) = Σ u_a x_a², so Q = diag(u) exactly.
    func siteOfSquares(_ n: Int) throws -> BilinearSite {
        let network = Network(
            name: "squares", input: InputSpec(shape: [n]), classes: nil,
            layers: [
                BilinearTestModels.bilinear(left: .identity(n), right: .identity(n))
            ])
        return try BilinearSite(network: network, layer: "bilinear")
    }

    func assertClose(_ a: [Double], _ b: [Double], line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-14, line: line) }
    }

    func testDiagonalFormHasTheHandComputedSpectrum() throws {
        let site = try siteOfSquares(4)
        let forms = try BilinearAnalysis(
            site: site, directions: site.directions(Matrix([[2, -2, 0, 0], [1, 1, 1, 1], [0, 0, 0, 0]]), source: "test")
        ).forms
        let contrast = forms[0]
        XCTAssertEqual(contrast.matrix, Matrix([[2, 0, 0, 0], [0, -2, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]))
        assertClose(contrast.eigenvalues, [2, 0, 0, -2])
        assertClose(Array(contrast.eigenvectors.row(0)), [1, 0, 0, 0])
        assertClose(Array(contrast.eigenvectors.row(3)), [0, 1, 0, 0])
        XCTAssertEqual(contrast.effectiveRank, 2, accuracy: 1e-12, "two equal |λ|: entropy ln 2")
        XCTAssertEqual(contrast.extremes(3).positive, [0])
        XCTAssertEqual(contrast.extremes(3).negative, [3])
        XCTAssertEqual(contrast.magnitudeOrder, [0, 3, 1, 2])
        XCTAssertEqual(forms[1].effectiveRank, 4, accuracy: 1e-12)
        XCTAssertEqual(forms[1].extremes(2).positive, [0, 1])
        XCTAssertEqual(forms[1].extremes(2).negative, [])
        XCTAssertEqual(forms[2].effectiveRank, 0)

        let spectrum = FormSpectrum(contrast, top: 2, spaceSize: 4)
        XCTAssertEqual(spectrum.positive.map(\.eigenvalue), [2])
        assertClose(spectrum.negative[0].vector, [0, 1, 0, 0])
        XCTAssertNil(spectrum.negative[0].constant)
        // The layer's output is the network's output: the identity readout, one logit per unit.
        XCTAssertEqual(site.readout?.matrix, .identity(4))
        XCTAssertEqual(site.readout?.isLogits, true)
        XCTAssertEqual(site.followedBy, "nothing (its outputs are the logits)")
    }

    /// Several affine layers after the layer compose into one readout: W₂ (W₁ g + b₁) + b₂.
    func testReadoutComposesAffineLayersUpToTheLogits() throws {
        var rng = SeededRandom(seed: 5)
        let w1: Matrix<Double> = rng.normalMatrix(rows: 5, cols: 4), w2: Matrix<Double> = rng.normalMatrix(rows: 3, cols: 5)
        let b1 = [0.5, -1, 2, 0, 1], b2 = [1.0, 2, 3]
        let network = Network(
            name: "two heads", input: InputSpec(shape: [3]), classes: ["x", "y", "z"],
            layers: [
                BilinearTestModels.bilinear(left: rng.normalMatrix(rows: 4, cols: 3), right: rng.normalMatrix(rows: 4, cols: 3)),
                BilinearTestModels.linear("fc1", w1, b1),
                BilinearTestModels.activation("id", .identity, size: 5),
                BilinearTestModels.linear("fc2", w2, b2),
                Layer(name: "softmax", operation: .softmax, inputShape: [3], outputShape: [3])
            ])
        let site = try BilinearSite(network: network, layer: "bilinear")
        let readout = try XCTUnwrap(site.readout)
        XCTAssertTrue(readout.isLogits, "a final softmax is not part of the scores")
        XCTAssertEqual(readout.names, ["x", "y", "z"])
        XCTAssertLessThan((readout.matrix - matmul(w2, w1)).maxAbs(), 1e-12)
        let offset = zip(matvec(w2, b1), b2).map { $0 + $1 }
        for k in 0..<3 { XCTAssertEqual(readout.offset[k], offset[k], accuracy: 1e-12) }
        XCTAssertEqual(try site.readoutIndex("y"), 1)
        XCTAssertEqual(try site.readoutIndex("2"), 2)
        XCTAssertEqual(site.followedBy, "linear 'fc1'")
    }

    /// A readout that ends in a nonlinearity is still a set of directions, but not the logits.
    func testReadoutBeforeANonlinearityIsNotTheLogits() throws {
        var rng = SeededRandom(seed: 6)
        let network = Network(
            name: "deeper", input: InputSpec(shape: [3]), classes: nil,
            layers: [
                BilinearTestModels.bilinear(left: rng.normalMatrix(rows: 4, cols: 3), right: rng.normalMatrix(rows: 4, cols: 3)),
                BilinearTestModels.linear("mid", rng.normalMatrix(rows: 2, cols: 4), nil),
                BilinearTestModels.activation("relu", .relu, size: 2),
                BilinearTestModels.linear("head", rng.normalMatrix(rows: 3, cols: 2), nil)
            ])
        let site = try BilinearSite(network: network, layer: "bilinear")
        let readout = try XCTUnwrap(site.readout)
        XCTAssertFalse(readout.isLogits)
        XCTAssertEqual(readout.names, ["mid[0]", "mid[1]"])
        let directions = try site.readoutDirections()
        XCTAssertEqual(directions.map(\.logitClass), [nil, nil])
        let analysis = try BilinearAnalysis(site: site, directions: directions)
        XCTAssertFalse(analysis.coversLogits)
    }

    /// --space: the forms written in the embedding's output are the layer's own weights.
    func testSpaceCanBeTheEmbeddingOutput() throws {
        let network = BilinearTestModels.network(.init(embedBias: false, leftBias: false, rightBias: false), seed: 8)
        let site = try BilinearSite(network: network, layer: "bilinear", space: "embed")
        XCTAssertEqual(site.spaceIndex, 1)
        XCTAssertEqual(site.spaceName, "embed")
        XCTAssertFalse(site.hasConstant)
        guard case .bilinear(let layer) = network.layers[1].operation else { return XCTFail("layer 1 is bilinear") }
        XCTAssertEqual(site.left, layer.left)
        XCTAssertEqual(site.right, layer.right)
        // Through the embedding E (no biases): Q_input = Eᵀ Q_embed E.
        guard case .linear(let embed) = network.layers[0].operation else { return XCTFail("layer 0 is linear") }
        let inner = try InteractionForm(site: site, direction: site.readoutDirections()[2])
        let outer = try InteractionForm(site: BilinearSite(network: network, layer: "bilinear"), direction: site.readoutDirections()[2])
        let pulledBack = matmul(matmul(embed.weight, inner.matrix, transposeA: true), embed.weight)
        XCTAssertLessThan((pulledBack - outer.matrix).maxAbs(), 1e-12)
    }

    func testContrastIsTheDifferenceOfTwoClasses() throws {
        let network = BilinearTestModels.network(.init(), seed: 12)
        let site = try BilinearSite(network: network, layer: "bilinear")
        let classes = try BilinearAnalysis(site: site)
        let contrast = try InteractionForm(site: site, direction: site.contrast(2, 0))
        XCTAssertEqual(contrast.direction.label, "2−0")
        XCTAssertNil(contrast.direction.logitClass)
        XCTAssertEqual(contrast.direction.offset, classes.forms[2].direction.offset - classes.forms[0].direction.offset, accuracy: 1e-15)
        XCTAssertLessThan((contrast.matrix - (classes.forms[2].matrix - classes.forms[0].matrix)).maxAbs(), 1e-12)
    }
}
