import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// Every rule and composite gives Zennit's relevance (docs/methods.md). The fixtures, the three
/// small models (MLP with batchnorm and tanh, CNN with batchnorm, max- and average pooling, a
/// bilinear model) and the script that made them with Zennit 0.5.1 are in
/// Tests/Fixtures/attribution (make_fixtures.py); cases.json lists each case in Loupe's own
/// words, so the configurations here are built by the same parsers as the command line's.
final class ZennitParityTests: XCTestCase {
    static let folder = fixtures.appendingPathComponent("attribution")

    struct Case: Decodable {
        let key: String
        let model: String
        let composite: String
        let rules: [String: String]
        let bias: Bool
        let epsilon: Double
        let gamma: Double
        let target: String
    }

    func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: Self.folder.appendingPathComponent("cases.json")))
    }

    func configuration(_ c: Case) throws -> LRPConfiguration {
        LRPConfiguration(
            composite: try LRPComposite.parse(c.composite), layerRules: try c.rules.mapValues(LRPRule.parse),
            epsilon: c.epsilon, gamma: c.gamma, biasAbsorbsRelevance: c.bias)
    }

    /// Runs every case of every model in the precision `T`, comparing with Zennit's float64
    /// relevance: |a − b| ≤ tolerance · max(1, |b|). The CNN's 6×6 convolutions run unrolled
    /// unless `convolutions` asks for im2col patches.
    func checkAllCases<T: BLASScalar>(_: T.Type, tolerance: Double, convolutions: LRPConvolutionProducts = .fastest) throws {
        let expected = try SafeTensors.read(Self.folder.appendingPathComponent("expected.safetensors")).tensors
        let all = try cases()
        XCTAssertEqual(all.count, 111)
        for model in ["mlp", "cnn", "bilinear"] {
            let network = try NetworkFile.load(Self.folder.appendingPathComponent("\(model).safetensors")).converted(to: T.self)
            let x: Matrix<T> = try XCTUnwrap(expected["\(model).x"]).matrix()
            let targets = try XCTUnwrap(expected["\(model).targets"]).int64s().map { Int($0) }
            let direction = try XCTUnwrap(expected["\(model).direction"]).doubles()
            for c in all where c.model == model {
                let lrp = try LRP(network: network, configuration: try configuration(c), convolutions: convolutions)
                let batch: LRPBatch<T>
                if c.target == "direction" {
                    batch = try lrp.explain(x, target: .direction(direction))
                } else {
                    batch = try lrp.explain(x, target: .label, labels: targets)
                }
                let reference: Matrix<Double> = try XCTUnwrap(expected[c.key], c.key).matrix()
                assertClose(batch.relevance, reference, tolerance: tolerance, c.key)
            }
        }
    }

    func testEveryCaseMatchesZennitInFloat64() throws {
        try checkAllCases(Double.self, tolerance: 1e-5)
    }

    /// The Float32 path, which the command line uses, agrees to Float32 rounding.
    func testEveryCaseMatchesZennitInFloat32() throws {
        try checkAllCases(Float.self, tolerance: 1e-3)
    }

    /// Convolutions through im2col patches, the form larger images take, agree as well.
    func testEveryCaseMatchesZennitThroughPatches() throws {
        try checkAllCases(Double.self, tolerance: 1e-5, convolutions: .patches)
        try checkAllCases(Float.self, tolerance: 1e-3, convolutions: .patches)
    }

    /// The composites put Zennit's rules on the layers Zennit puts them on.
    func testCompositeLayerMaps() throws {
        let cnn = try NetworkFile.load(Self.folder.appendingPathComponent("cnn.safetensors"))
        func rules(_ name: String, _ network: Network<Float>) throws -> [String] {
            let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: try LRPComposite.parse(name)))
            return lrp.layerRules.filter { $0.kind == "linear" || $0.kind == "conv2d" }.map(\.rule)
        }
        // conv1, conv2, fc1, fc2
        XCTAssertEqual(try rules("epsilon-plus", cnn), ["zplus", "zplus", "epsilon:1e-06", "epsilon:1e-06"])
        XCTAssertEqual(try rules("epsilon-plus-flat", cnn), ["flat", "zplus", "epsilon:1e-06", "epsilon:1e-06"])
        XCTAssertEqual(try rules("epsilon-gamma-box", cnn), ["zb:-1:1", "gamma:0.25", "epsilon:1e-06", "epsilon:1e-06"])
        XCTAssertEqual(try rules("alpha2-beta1", cnn), ["alphabeta:2:1", "alphabeta:2:1", "epsilon:1e-06", "epsilon:1e-06"])
        XCTAssertEqual(try rules("deep-taylor", cnn), ["zb:-1:1", "zplus", "zplus", "w2"])
        // An MLP has no convolution: epsilon-gamma-box is ε throughout, as in Zennit.
        let mlp = try NetworkFile.load(Self.folder.appendingPathComponent("mlp.safetensors"))
        XCTAssertEqual(try rules("epsilon-gamma-box", mlp), Array(repeating: "epsilon:1e-06", count: 4))
        XCTAssertEqual(try rules("epsilon-plus-flat", mlp), ["flat"] + Array(repeating: "epsilon:1e-06", count: 3))
        // fc2 is followed by tanh: neither z+ nor w2.
        XCTAssertEqual(try rules("deep-taylor", mlp), ["zb:-1:1", "epsilon:1e-06", "zplus", "w2"])
        let layers = try LRP(network: cnn, configuration: LRPConfiguration()).layerRules
        XCTAssertEqual(
            layers.map(\.rule),
            [
                "zplus", "pass", "to the winner", "zplus", "pass", "z-rule (bias-free linear)",
                "pass", "epsilon:1e-06", "pass", "epsilon:1e-06"
            ])
    }
}

/// |a − b| ≤ tolerance · max(1, |b|) for every element, reporting the worst.
func assertClose<A: BLASScalar, B: BLASScalar>(
    _ actual: Matrix<A>, _ expected: Matrix<B>, tolerance: Double, _ what: String,
    file: StaticString = #filePath, line: UInt = #line
) {
    guard actual.rows == expected.rows, actual.cols == expected.cols else {
        XCTFail("\(what): shape \(actual.shapeDescription), expected \(expected.shapeDescription)", file: file, line: line)
        return
    }
    var worst = (error: 0.0, index: 0)
    for i in 0..<actual.count {
        let a = Double(actual.storage[i]), b = Double(expected.storage[i])
        let error = abs(a - b) / max(1, abs(b))
        if !(error <= worst.error) { worst = (error, i) }
    }
    XCTAssert(
        worst.error <= tolerance,
        "\(what): element \(worst.index) is \(actual.storage[worst.index]), expected \(expected.storage[worst.index]) (error \(worst.error) > \(tolerance))",
        file: file, line: line)
}
