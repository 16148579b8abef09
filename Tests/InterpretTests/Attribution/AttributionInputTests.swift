import Foundation
import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// Parsing of rules, composites, targets and baselines, and the one-line refusals of bad input.
final class AttributionInputTests: XCTestCase {
    func testRuleNamesRoundTrip() throws {
        let texts = [
            "lrp0", "epsilon", "epsilon:0.25", "zplus", "alphabeta:2:1", "alphabeta:1:0", "zb", "zb:-1:1", "w2", "flat",
            "gamma", "gamma:0.5"
        ]
        for text in texts { XCTAssertEqual(try LRPRule.parse(text).description, text) }
        XCTAssertEqual(try LRPRule.parse("z+"), .zPlus)
        XCTAssertEqual(try LRPRule.parse("alpha2beta1"), .alphaBeta(alpha: 2, beta: 1))
        XCTAssertEqual(try LRPRule.parse("EPS:1e-3"), .epsilon(0.001))
        XCTAssertEqual(try LRPComposite.parse("gamma:0.5"), .uniform(.gamma(0.5)))
        XCTAssertEqual(try LRPComposite.parse("deep-taylor"), .deepTaylor)
        let config = LRPConfiguration(composite: .epsilonPlus, layerRules: ["fc2": .gamma(0.5), "conv1": .flat])
        XCTAssertEqual(config.name, "epsilon-plus [conv1=flat, fc2=gamma:0.5]")
    }

    func testBadRulesAndComposites() {
        assertThrowsMessage(try LRPRule.parse("epsilonn"), contains: ["unknown LRP rule 'epsilonn'", "zplus"])
        assertThrowsMessage(try LRPRule.parse("epsilon:x"), contains: ["'x' is not a number"])
        assertThrowsMessage(try LRPRule.parse("alphabeta:3:1"), contains: ["α − β = 1"])
        assertThrowsMessage(try LRPRule.parse("alphabeta:2"), contains: ["takes 0 or 2 parameters"])
        assertThrowsMessage(try LRPRule.parse("zb:1:0"), contains: ["LOW ≤ HIGH"])
        assertThrowsMessage(try LRPRule.parse("gamma:-1"), contains: ["γ must be ≥ 0"])
        assertThrowsMessage(try LRPComposite.parse("epsilon-minus"), contains: ["unknown composite 'epsilon-minus'", "epsilon-plus-flat"])
    }

    func testRulesForLayersThatCannotTakeThem() throws {
        let cnn = try DemoModels.load("cnn")
        assertThrowsMessage(
            try LRP(network: cnn, configuration: LRPConfiguration(layerRules: ["fc9": .flat])),
            contains: ["no layer 'fc9'", "conv1, conv2, fc1"])
        assertThrowsMessage(
            try LRP(network: cnn, configuration: LRPConfiguration(layerRules: ["pool1": .flat])),
            contains: ["'pool1' is maxpool2d"])
        assertThrowsMessage(
            try LRP(network: DemoModels.load("bilinear"), configuration: LRPConfiguration(layerRules: ["bilinear": .zPlus])),
            contains: ["quadratic-share"])
        assertThrowsMessage(try LRP(network: cnn, configuration: LRPConfiguration(epsilon: -1)), contains: ["ε must be"])
        // zB needs a box: the demo models have input.range [0, 1]; a model without one is refused.
        var noRange = cnn
        noRange.input.range = nil
        assertThrowsMessage(
            try LRP(network: noRange, configuration: LRPConfiguration(composite: .epsilonGammaBox)),
            contains: ["zB on layer 'conv1'", "no input.range"])
        XCTAssertNoThrow(try LRP(network: noRange, configuration: LRPConfiguration(composite: .epsilonGammaBox, inputBox: 0...1)))
        // No LRP rule covers layer normalisation yet: refused by name, not explained wrongly.
        var fc = LayerSpec(name: "fc", kind: "linear", weight: "fc.w", bias: "fc.b")
        fc.out = 10
        let normed = try NetworkFile.untrained(
            ArchitectureSpec(name: "normed", input: InputSpec(shape: [64]), layers: [LayerSpec(name: "ln", kind: "layernorm"), fc]), seed: 1
        )
        assertThrowsMessage(try LRP(network: normed), contains: ["layernorm 'ln'", "no rule"])
    }

    func testTargets() throws {
        let names = (0..<10).map(String.init)
        XCTAssertEqual(try AttributionTarget.parse("predicted", classNames: names), .predicted)
        XCTAssertEqual(try AttributionTarget.parse("label", classNames: names), .label)
        XCTAssertEqual(try AttributionTarget.parse("7", classNames: names), .classIndex(7))
        XCTAssertEqual(try AttributionTarget.parse("cat", classNames: ["dog", "cat"]), .classIndex(1))
        XCTAssertEqual(try AttributionTarget.parse("1,-1", classNames: ["a", "b"]), .direction([1, -1]))
        assertThrowsMessage(try AttributionTarget.parse("10", classNames: names), contains: ["classes 0…9"])
        assertThrowsMessage(try AttributionTarget.parse("1,2", classNames: names), contains: ["needs 10 numbers", "got 2"])
        assertThrowsMessage(try AttributionTarget.parse("maybe", classNames: names), contains: ["expected predicted, label"])
        let lrp = try LRP(network: DemoModels.load("mlp-1"), configuration: LRPConfiguration())
        let x = Matrix<Float>(rows: 2, cols: 64)
        assertThrowsMessage(try lrp.explain(x, target: .label), contains: ["no labels"])
        assertThrowsMessage(try lrp.explain(x, target: .classIndex(12)), contains: ["10 outputs"])
        assertThrowsMessage(try lrp.explain(Matrix<Float>(rows: 2, cols: 3), target: .predicted), contains: ["expects input [64]"])
        XCTAssertEqual(try FlippingBaseline.parse("mean"), .dataMean)
        XCTAssertEqual(try FlippingBaseline.parse("-0.5"), .value(-0.5))
        assertThrowsMessage(try FlippingBaseline.parse("black"), contains: ["a number or 'mean'"])
    }

    func testSampleIndicesAreChecked() throws {
        let network = try DemoModels.load("mlp-1")
        let data = try DataSource.load("builtin:digits:test")
        assertThrowsMessage(
            try LRPExplanation.compute(network: network, data: data, samples: [449], configuration: LRPConfiguration()),
            contains: ["sample 449", "0…448"])
        assertThrowsMessage(try LinearInterpretation.compute(network: network, data: data, samples: [-1]), contains: ["sample -1"])
        assertThrowsMessage(
            try PixelFlippingResult.compute(network: network, data: data, samples: [], methods: []),
            contains: ["no samples"])
    }

    /// Settings are saved as the words the command line takes, and read back the same.
    func testSettingsEncodeAsText() throws {
        let config = LRPConfiguration(
            composite: .uniform(.alphaBeta(alpha: 2, beta: 1)), layerRules: ["fc1": .zBox(-1...1)],
            epsilon: 0.25, inputBox: 0...1)
        let json = String(decoding: try JSONEncoder().encode(config), as: UTF8.self)
        XCTAssertTrue(json.contains("\"composite\":\"alphabeta:2:1\""), json)
        XCTAssertTrue(json.contains("\"fc1\":\"zb:-1:1\""), json)
        XCTAssertEqual(try JSONDecoder().decode(LRPConfiguration.self, from: Data(json.utf8)), config)
        for target in [AttributionTarget.predicted, .label, .classIndex(4), .direction([1, -0.5])] {
            XCTAssertEqual(try JSONDecoder().decode([AttributionTarget].self, from: JSONEncoder().encode([target])), [target])
        }
        let options = PixelFlippingOptions(baseline: .dataMean)
        XCTAssertEqual(try JSONDecoder().decode(PixelFlippingOptions.self, from: JSONEncoder().encode(options)), options)
        XCTAssertThrowsError(try JSONDecoder().decode([LRPRule].self, from: Data("[\"zzz\"]".utf8)))
    }
}
