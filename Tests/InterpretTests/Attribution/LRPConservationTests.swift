import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// The identities LRP must keep on the demo models (docs/methods.md): conservation without bias
/// absorption and with ε = 0, a batch equal to its samples one at a time, and LRP-0 equal to
/// gradient × input on a ReLU / max-pool network.
final class LRPConservationTests: XCTestCase {
    static let composites = LRPComposite.names + ["lrp0", "epsilon", "zplus", "alphabeta:2:1", "w2", "flat", "gamma", "zb"]

    func testData() throws -> Matrix<Float> { try DataSource.load("builtin:digits:test").x.rows(in: 0..<64) }

    /// Σ_i R_i = f_c(x) for every composite and rule with ε = 0 (and the stabiliser 0), in
    /// Float64 so that the check is about the rules, not rounding: on the demo models with
    /// their biases removed, and on the demo MLP and bilinear model with biases kept but
    /// switched off. (Switched off in the CNN, a unit whose input window is blank and whose
    /// activation is all bias has a zero bias-free denominator: the relevance it receives has
    /// nowhere to go, in Zennit as here. For the same reason αβ, which conserves only where an
    /// output has both positive and negative contributions, and zB on every layer, which sends
    /// relevance to inactive units whose blank windows have z = 0, are left out on the CNN. On the
    /// ResNet, flat and w² also send relevance to positions where an add sums to 0, which its
    /// proportional rule cannot pass on: left out there, as in Zennit.)
    func testConservation() throws {
        let x = try testData().converted(to: Double.self)
        for model in ["mlp-1", "cnn", "bilinear", "resnet"] {
            let network = try DemoModels.load(model).converted(to: Double.self)
            let convolutional = ["cnn", "resnet"].contains(model)
            var variants = [("\(model) bias-free", withoutBiases(network))]
            if !convolutional { variants.append(("\(model) biases off", network)) }
            // On a graph all of the relevance passes the cuts; a branch carries a share.
            let cuts = (0...network.scoreIndex).filter(network.isCut)
            for (what, network) in variants {
                for name in Self.composites
                where (!convolutional || !["alpha2-beta1", "alphabeta:2:1", "zb"].contains(name))
                    && (model != "resnet" || !["flat", "w2", "deep-taylor"].contains(name))
                {
                    let config = LRPConfiguration(
                        composite: try LRPComposite.parse(name), epsilon: 0, stabilizer: 0,
                        biasAbsorbsRelevance: false)
                    let batch = try LRP(network: network, configuration: config).explain(x, target: .predicted)
                    for n in 0..<x.rows {
                        // Every layer boundary (cut) holds the explained value, the input included.
                        for total in cuts.map({ batch.layerTotals[n, $0] }) {
                            XCTAssertEqual(
                                total, batch.explained[n], accuracy: 1e-5 * max(1, abs(batch.explained[n])), "\(what) \(name) sample \(n)")
                        }
                    }
                    XCTAssertEqual(batch.conservationErrors.map(abs).max()!, 0, accuracy: 1e-5 * max(1, batch.explained.map(abs).max()!))
                }
            }
        }
    }

    func withoutBiases(_ network: Network<Double>) -> Network<Double> {
        var network = network
        for i in network.layers.indices {
            switch network.layers[i].operation {
            case .linear(let l): network.layers[i].operation = .linear(Linear(weight: l.weight, bias: nil))
            case .conv2d(let c): network.layers[i].operation = .conv2d(c.replacing(weight: c.weight, bias: nil))
            case .bilinear(let b): network.layers[i].operation = .bilinear(Bilinear(left: b.left, right: b.right))
            default: break
            }
        }
        return network
    }

    /// With biases absorbing, the relevance lost is what the biases took: it is not conserved,
    /// and the layer totals say where it went.
    func testBiasesAbsorbRelevanceByDefault() throws {
        let network = try DemoModels.load("mlp-1")
        let batch = try LRP(network: network, configuration: LRPConfiguration(composite: .uniform(.zero)))
            .explain(try testData(), target: .predicted)
        XCTAssertGreaterThan(batch.conservationErrors.map(abs).max()!, 1e-2)
        XCTAssertEqual(batch.layerTotals.cols, network.layers.count + 1)
    }

    /// In Float64: in Float32, deep-taylor on the bilinear model sends relevance (by w² at the
    /// head) to bilinear units with g ≈ 0, where dividing by g magnifies the last-bit
    /// differences between BLAS's one-row and many-row kernels.
    func testBatchEqualsOneByOne() throws {
        let x = try testData().rows(in: 0..<20).converted(to: Double.self)
        for model in ["mlp-1", "cnn", "bilinear"] {
            let network = try DemoModels.load(model).converted(to: Double.self)
            for name in ["epsilon-plus", "epsilon-gamma-box", "deep-taylor", "alpha2-beta1"] {
                let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: try LRPComposite.parse(name)))
                let batch = try lrp.explain(x, target: .predicted)
                for n in 0..<x.rows {
                    let single = try lrp.explain(x.rows([n]), target: .predicted)
                    XCTAssertEqual(single.classes, [batch.classes[n]])
                    let scale = batch.relevance.row(n).map(abs).max()!
                    for (a, b) in zip(single.relevance.row(0), batch.relevance.row(n)) {
                        XCTAssertEqual(a, b, accuracy: 1e-9 * max(1, scale), "\(model) \(name) sample \(n)")
                    }
                }
            }
        }
    }

    /// LRP-0 with biases is gradient × input on ReLU / max-pool networks (its backward pass is
    /// the gradient's; through an add, R_k = x_k·R/z with R = z·∂f/∂z is x_k·∂f/∂x_k), and
    /// gradient × input is the linear interpreter's pixel votes.
    func testLRP0EqualsGradientTimesInputAndTheVotes() throws {
        let x = try testData().rows(in: 0..<16).converted(to: Double.self)
        for model in ["mlp-1", "cnn", "resnet"] {
            let network = try DemoModels.load(model).converted(to: Double.self)
            let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: .uniform(.zero), stabilizer: 0))
            let batch = try lrp.explain(x, target: .classIndex(3))
            let gradient = GradientTimesInput.explain(network: network, x: x, directions: batch.directions)
            assertClose(batch.relevance, gradient, tolerance: 1e-9, "\(model) LRP-0 vs gradient × input")
            let maps = try LinearInterpreter(network: network).interpret(x)
            var votes = Matrix<Double>(rows: x.rows, cols: x.cols)
            for n in 0..<x.rows { votes.setRow(n, zip(maps.templates(sample: n).row(3), x.row(n)).map(*)) }
            assertClose(batch.relevance, votes, tolerance: 1e-9, "\(model) LRP-0 vs votes")
        }
    }

    func testExplanationOfADataSet() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        var calls = 0
        let result = try LRPExplanation.compute(
            network: network, data: data, samples: [5, 0, 7], configuration: LRPConfiguration(),
            target: .label, batchSize: 2
        ) { _, _ in
            calls += 1; return true
        }
        XCTAssertEqual(calls, 2)
        XCTAssertEqual(result.samples, [5, 0, 7])
        XCTAssertEqual(result.classes, [5, 0, 7].map { data.labels![$0] })
        XCTAssertEqual(result.relevance.count, 3)
        XCTAssertEqual(result.relevance[0].count, 64)
        XCTAssertEqual(result.inputShape, [1, 8, 8])
        // The same as the engine on the same rows.
        let direct = try LRP(network: network, configuration: LRPConfiguration()).explain(
            data.x.rows([0]), target: .label, labels: [data.labels![0]])
        for (a, b) in zip(result.relevance[1], direct.relevance.row(0)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let byClass = result.meanAbsoluteRelevanceByClass()
        XCTAssertEqual(byClass.counts.reduce(0, +), 3)
        let c = result.classes[0]!
        let same = result.classes.indices.filter { result.classes[$0] == c }
        XCTAssertEqual(byClass.counts[c], same.count)
        for i in 0..<64 {
            let mean = same.reduce(0.0) { $0 + Double(abs(result.relevance[$1][i])) } / Double(same.count)
            XCTAssertEqual(byClass.means[c][i], mean, accuracy: 1e-12)
        }
        XCTAssertThrowsError(
            try LRPExplanation.compute(
                network: network, data: data, samples: [0], configuration: LRPConfiguration(),
                progress: { _, _ in false })
        ) { XCTAssert($0 is CancellationError) }
    }
}
