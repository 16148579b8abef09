import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// f(x) = A(x)·x + b(x) exactly on piecewise-linear networks (docs/methods.md).
final class LinearInterpreterTests: XCTestCase {
    /// Σ_i A_ci x_i + b_c equals the logit for every class and every test sample of the demo
    /// MLP and CNN, and the Float64 logits are the Float32 network's.
    func testIdentityHoldsOnEveryTestSample() throws {
        let data = try DataSource.load("builtin:digits:test")
        for model in ["mlp-1", "cnn"] {
            let network = try DemoModels.load(model)
            let result = try LinearInterpretation.compute(network: network, data: data, samples: Array(0..<data.count))
            XCTAssertEqual(result.count, data.count)
            let floatScores = network.scores(data.x)
            for r in result {
                XCTAssertLessThanOrEqual(r.maxResidual, 1e-5, "\(model) sample \(r.sample)")
                for k in 0..<10 {
                    // The same identity from the parts a view shows: votes and the layers' bias shares.
                    let fromParts = r.votes[k].reduce(0, +) + r.biasShares.reduce(0) { $0 + $1.perClass[k] }
                    XCTAssertEqual(
                        fromParts, r.scores[k], accuracy: 1e-5 * max(1, abs(r.scores[k])), "\(model) sample \(r.sample) class \(k)")
                    XCTAssertEqual(r.scores[k], Double(floatScores[r.sample, k]), accuracy: 1e-4, "\(model) sample \(r.sample)")
                }
            }
            XCTAssertEqual(result[0].biasShares.map(\.layer), model == "cnn" ? ["conv1", "conv2", "fc1"] : ["fc1", "fc2", "fc3"])
        }
    }

    /// A(x) is the Jacobian at x: central differences in Float64 (exact for a piecewise-linear
    /// map when no gate flips within the step). The digits get a little noise first: on a blank
    /// background several units of a max-pool window tie, where the network has no Jacobian
    /// (A is then the one of the frozen first winner, as torch's gradient).
    func testTemplatesAreTheJacobian() throws {
        let data = try DataSource.load("builtin:digits:test")
        var rng = SeededRandom(seed: 5)
        let noise: Matrix<Double> = rng.uniformMatrix(rows: 3, cols: 64, low: 0, high: 0.05)
        for model in ["mlp-1", "cnn"] {
            let network = try DemoModels.load(model).converted(to: Double.self)
            let x = data.x.rows([0, 17, 123]).converted(to: Double.self) + noise
            let maps = try LinearInterpreter(network: network).interpret(x)
            let h = 1e-6
            for n in 0..<x.rows {
                let templates = maps.templates(sample: n)
                for i in 0..<x.cols {
                    var up = x.rows([n]), down = x.rows([n])
                    up[0, i] += h
                    down[0, i] -= h
                    let difference = (network.scores(up) - network.scores(down)).row(0).map { $0 / (2 * h) }
                    for k in 0..<10 {
                        XCTAssertEqual(templates[k, i], difference[k], accuracy: 1e-5, "\(model) sample \(n) input \(i) class \(k)")
                    }
                }
            }
        }
    }

    /// A bias-free ReLU network is positively homogeneous: b(x) = 0 and A(x)·x = f(x).
    func testBiasFreeNetworkHasNoBias() throws {
        var network = try DemoModels.load("mlp-1").converted(to: Double.self)
        for i in network.layers.indices {
            if case .linear(let l) = network.layers[i].operation {
                network.layers[i].operation = .linear(Linear(weight: l.weight, bias: nil))
            }
        }
        let x = try DataSource.load("builtin:digits:test").x.rows(in: 0..<8).converted(to: Double.self)
        let interpreter = try LinearInterpreter(network: network)
        XCTAssertEqual(interpreter.biasLayers, [])
        let maps = try interpreter.interpret(x)
        XCTAssertEqual(maps.bias.maxAbs(), 0)
        XCTAssertLessThanOrEqual(maps.residuals.maxAbs(), 1e-10)
    }

    func testColumnsAreTheTransposedTemplates() throws {
        let r = try LinearInterpretation.compute(
            network: try DemoModels.load("cnn"), data: try DataSource.load("builtin:digits:test"),
            samples: [4])[0]
        XCTAssertEqual(r.columns.count, 64)
        XCTAssertEqual(r.columns[10][3], r.templates[3][10])
        XCTAssertEqual(r.predicted, r.scores.indices.max { r.scores[$0] < r.scores[$1] })
    }

    /// Leaky ReLU and dropout are piecewise linear too: the identity holds on a network of them
    /// (random weights; a linear layer on the input, so the bias shares are real).
    func testLeakyReLUAndDropoutNetwork() throws {
        func layer(_ name: String, _ kind: String, out: Int? = nil) -> LayerSpec {
            var s = LayerSpec(name: name, kind: kind, weight: out == nil ? nil : "\(name).w", bias: out == nil ? nil : "\(name).b")
            s.out = out
            return s
        }
        var leaky = layer("leaky1", "leaky_relu")
        leaky.negativeSlope = 0.2
        let spec = ArchitectureSpec(
            name: "leaky", input: InputSpec(shape: [64]),
            layers: [layer("fc1", "linear", out: 24), leaky, layer("drop", "dropout"), layer("fc2", "linear", out: 10)])
        let network = try NetworkFile.untrained(spec, seed: 5)
        let data = try DataSource.load("builtin:digits:test")
        let result = try LinearInterpretation.compute(network: network, data: data, samples: Array(0..<20))
        // (With the slope taken as 0, a plain ReLU's mask, these residuals would be large.)
        for r in result { XCTAssertLessThanOrEqual(r.maxResidual, 1e-5, "sample \(r.sample)") }
        assertThrowsMessage(
            try LinearInterpreter(
                network: NetworkFile.untrained(
                    ArchitectureSpec(
                        name: "smooth", input: InputSpec(shape: [4]), layers: [layer("fc", "linear", out: 3), layer("s", "silu")]),
                    seed: 1)),
            contains: ["piecewise-linear", "is silu"])
    }

    func testRefusesNetworksThatAreNotPiecewiseLinear() throws {
        assertThrowsMessage(
            try LinearInterpreter(network: DemoModels.load("bilinear")),
            contains: ["piecewise-linear", "'bilinear'", "is bilinear"])
    }
}
