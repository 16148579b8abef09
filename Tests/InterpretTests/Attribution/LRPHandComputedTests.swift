import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// Each rule on cases small enough to work out on paper (the working is in the comments).
final class LRPHandComputedTests: XCTestCase {
    func linear(_ name: String, _ weight: [[Double]], bias: [Double]? = nil) -> Layer<Double> {
        Layer(
            name: name, operation: .linear(Linear(weight: Matrix(weight), bias: bias)),
            inputShape: [weight[0].count], outputShape: [weight.count])
    }

    func relevance(
        _ network: Network<Double>, _ x: [Double], _ configuration: LRPConfiguration,
        target: AttributionTarget = .classIndex(0)
    ) throws -> [Double] {
        try LRP(network: network, configuration: configuration).explain(Matrix(row: x), target: target).relevance.storage
    }

    func assertEqual(_ a: [Double], _ b: [Double], accuracy: Double = 1e-9, _ what: String = "", line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, line: line)
        for (u, v) in zip(a, b) { XCTAssertEqual(u, v, accuracy: accuracy, "\(what): \(a) vs \(b)", line: line) }
    }

    /// Linear 3→3 (all weights 2), ReLU, Linear 3→1 (all weights 3), x = [1, 2, 3]: the hidden
    /// units are 12 each, the output 108. The ε-rule gives each hidden unit 108·36/108 = 36,
    /// and input i gets Σ_j x_i·2·36/12 = 18·x_i.
    func testEpsilonRuleOnTheTwoLayerExample() throws {
        let network = Network<Double>(
            name: "hand", input: InputSpec(shape: [3]), classes: nil,
            layers: [
                linear("fc1", Array(repeating: [2, 2, 2], count: 3)),
                Layer(name: "relu", operation: .activation(.relu), inputShape: [3], outputShape: [3]),
                linear("fc2", [[3, 3, 3]])
            ])
        let x = [1.0, 2, 3]
        assertEqual(try relevance(network, x, LRPConfiguration(composite: .uniform(.epsilon(nil)))), [18, 36, 54], accuracy: 1e-5)
        assertEqual(try relevance(network, x, LRPConfiguration(composite: .uniform(.zero))), [18, 36, 54])
        // Float32 too, through the same code.
        let f = try LRP(network: network.converted(to: Float.self), configuration: LRPConfiguration(composite: .uniform(.epsilon(nil))))
            .explain(Matrix(row: [1, 2, 3]), target: .predicted)
        assertEqual(f.relevance.storage.map(Double.init), [18, 36, 54], accuracy: 1e-4)
        XCTAssertEqual(f.explained, [108])
    }

    /// One layer z = [1, −2]·x + 0.5 at x = [3, 1]: z = 1.5, so the explanation starts at 1.5.
    func testEveryRuleOnOneNeuron() throws {
        let network = Network<Double>(
            name: "neuron", input: InputSpec(shape: [2], range: [0, 4]), classes: nil,
            layers: [linear("fc", [[1, -2]], bias: [0.5])])
        let x = [3.0, 1]
        func rule(_ r: LRPRule, bias: Bool = true) throws -> [Double] {
            try relevance(network, x, LRPConfiguration(composite: .uniform(r), stabilizer: 0, biasAbsorbsRelevance: bias))
        }
        // ε = 0: x ⊙ w · 1.5/1.5; the bias absorbs 0.5.
        assertEqual(try rule(.zero), [3, -2])
        // Without the bias z = 1: [3, −2]·1.5.
        assertEqual(try rule(.zero, bias: false), [4.5, -3])
        // ε = 0.5: [3, −2]·1.5/2.
        assertEqual(try rule(.epsilon(0.5)), [2.25, -1.5])
        // z+: z = 3·1 + 0.5 = 3.5 (x has no negative part): [3·1.5/3.5, 0].
        assertEqual(try rule(.zPlus), [4.5 / 3.5, 0])
        // α2β1: positive z = 3.5, negative z = −2·1 + min(0.5, 0) = −2;
        // 2·[4.5/3.5, 0] − 1·[0, 1·(−2)·1.5/(−2)] = [9/3.5, −1.5].
        assertEqual(try rule(.alphaBeta(alpha: 2, beta: 1)), [9 / 3.5, -1.5])
        // zB on [0, 4]: z = 1 − 0 − (−2·4) = 9 (the bias cancels); [3·1 − 0, 1·(−2) − 4·(−2)]·1.5/9.
        assertEqual(try rule(.zBox(nil)), [0.5, 1])
        assertEqual(try rule(.zBox(0...4), bias: false), [0.5, 1])
        // w²: z = 1 + 4 + 0.25 = 5.25: [1, 4]·1.5/5.25.
        assertEqual(try rule(.wSquare), [1.5 / 5.25, 6 / 5.25])
        // flat: z = 2 (flat never uses the bias): [0.75, 0.75].
        assertEqual(try rule(.flat), [0.75, 0.75])
        // γ = 0.5: z > 0, so the upward weights [1.5, −2] with bias 0.5 + 0.25 = 0.75:
        // z↑ = 4.5 − 2 + 0.75 = 3.25; [4.5, −2]·1.5/3.25.
        assertEqual(try rule(.gamma(0.5)), [4.5 * 1.5 / 3.25, -3 / 3.25])
    }

    /// The stabiliser is Zennit's z + s·sign(z) with sign(0) = +1.
    func testStabiliserFollowsTheSign() throws {
        let network = Network<Double>(
            name: "neg", input: InputSpec(shape: [2]), classes: nil,
            layers: [linear("fc", [[1, -2]])])
        // z = 1 − 4 = −3 at x = [1, 2]; ε = 1: relevance [1, −4]·(−3)/(−4).
        assertEqual(try relevance(network, [1, 2], LRPConfiguration(composite: .uniform(.epsilon(1)))), [0.75, -3])
        // z = 0 at x = [2, 1]: the explanation starts from 0 and stays 0, even with ε = 0.
        assertEqual(try relevance(network, [2, 1], LRPConfiguration(composite: .uniform(.zero), stabilizer: 0)), [0, 0])
    }

    /// g = (L x + b_l)(R x + b_r) with L = [1, 2], b_l = 1, R = [3, −1], b_r = 0 at x = [1, 1]:
    /// l = 4, r = 2, g = 8. Input shares ½x_i(L_i r + R_i l) = [½(2 + 12), ½(4 − 4)] = [7, 0];
    /// the bias input's share ½(b_l r + b_r l) = 1. Without bias absorption all 8 reach x_1.
    func testBilinearShareRule() throws {
        let bilinear = Bilinear<Double>(left: Matrix([[1, 2]]), right: Matrix([[3, -1]]), leftBias: [1], rightBias: [0])
        let network = Network<Double>(
            name: "bilinear", input: InputSpec(shape: [2]), classes: nil,
            layers: [
                Layer(name: "bilinear", operation: .bilinear(bilinear), inputShape: [2], outputShape: [1])
            ])
        assertEqual(try relevance(network, [1, 1], LRPConfiguration(stabilizer: 0)), [7, 0])
        assertEqual(try relevance(network, [1, 1], LRPConfiguration(stabilizer: 0, biasAbsorbsRelevance: false)), [8, 0])
    }

    /// A direction u explains u·f(x): relevance starts at u ⊙ f(x) and is linear in it.
    func testDirectionTargetIsTheSumOfClassTargets() throws {
        let network = Network<Double>(
            name: "two", input: InputSpec(shape: [2]), classes: nil,
            layers: [linear("fc", [[1, 2], [3, -1]])])
        let config = LRPConfiguration(composite: .uniform(.zero), stabilizer: 0)
        let x = [0.5, 2.0]
        let both = try relevance(network, x, config, target: .direction([2, -1]))
        let first = try relevance(network, x, config, target: .classIndex(0))
        let second = try relevance(network, x, config, target: .classIndex(1))
        assertEqual(both, zip(first, second).map { 2 * $0 - $1 })
    }

    /// A final softmax is not explained: relevance starts from the scores before it, and the
    /// linear interpreter describes those scores.
    func testSoftmaxIsExplainedBeforeIt() throws {
        let fc = linear("fc", [[1, 2], [3, -1]], bias: [0.5, -0.25])
        let plain = Network<Double>(name: "plain", input: InputSpec(shape: [2]), classes: nil, layers: [fc])
        var withSoftmax = plain
        withSoftmax.layers.append(Layer(name: "softmax", operation: .softmax, inputShape: [2], outputShape: [2]))
        let x = [0.5, 2.0]
        for rule in [LRPRule.zero, .zPlus, .wSquare] {
            let config = LRPConfiguration(composite: .uniform(rule))
            assertEqual(try relevance(withSoftmax, x, config), try relevance(plain, x, config), "\(rule)")
        }
        let maps = try LinearInterpreter(network: withSoftmax).interpret(Matrix(row: x))
        // f = [0.5 + 4 + 0.5, 1.5 − 2 − 0.25] = [5, −0.75]; A = W, b = the bias.
        XCTAssertEqual(maps.scores.storage, [5, -0.75])
        XCTAssertEqual(maps.jacobian.storage, [1, 2, 3, -1])
        XCTAssertEqual(maps.bias.storage, [0.5, -0.25])
    }
}
