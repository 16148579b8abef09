import LinAlg
import Networks
import TestSupport
import Workbench
import XCTest

final class ModelSummaryTests: XCTestCase {
    /// A hand-built network: fc (2→3) then ReLU, on three samples, so every figure can be
    /// computed by hand.
    func testFiguresByHand() throws {
        var fc = LayerSpec(name: "fc", kind: "linear", weight: "fc.w", bias: "fc.b")
        fc.out = 3
        let spec = ArchitectureSpec(name: "tiny", input: InputSpec(shape: [2]), layers: [fc, LayerSpec(name: "relu", kind: "relu")])
        var net = try NetworkFile.untrained(spec, seed: 0)
        // W = [[1, 0], [0, 1], [-1, -1]], b = [0, 0, -1].
        net.setFlatParameters([1, 0, 0, 1, -1, -1, 0, 0, -1])
        let x = Matrix<Float>([[1, 2], [3, -1], [0, 0]])
        let data = Dataset(name: "hand", x: x, labels: [1, 0, 2], sampleShape: [2])
        let s = try ModelSummary.compute(net, reference: "tiny.safetensors", data: data)
        XCTAssertEqual(s.parameters, 9)
        XCTAssertEqual(s.layers[0].weightNorm!, 2, accuracy: 1e-6)  // √(1+1+1+1)
        XCTAssertEqual(s.layers[0].biasNorm!, 1, accuracy: 1e-6)
        // fc outputs: [1, 2, -4], [3, -1, -3], [0, 0, -1]; relu: [1, 2, 0], [3, 0, 0], [0, 0, 0].
        let fcStats = try XCTUnwrap(s.layers[0].activations)
        XCTAssertEqual(fcStats.mean, -3.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(fcStats.min, -4)
        XCTAssertEqual(fcStats.max, 3)
        XCTAssertEqual(fcStats.zeroFraction, 2.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(fcStats.deadUnits, 0)
        let relu = try XCTUnwrap(s.layers[1].activations)
        XCTAssertEqual(relu.mean, 6.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(relu.std, (14.0 / 9 - 36.0 / 81).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(relu.zeroFraction, 6.0 / 9, accuracy: 1e-12)
        XCTAssertEqual(relu.deadUnits, 1)  // the third unit never fires
        XCTAssertEqual(relu.deadFraction, 1.0 / 3, accuracy: 1e-12)
        // Predictions: argmax of relu rows: [1, 2, 0] → 1, [3, 0, 0] → 0, [0, 0, 0] → 0 (first).
        XCTAssertEqual(s.evaluation!.accuracy, 2.0 / 3, accuracy: 1e-12)
    }

    func testWithoutDataThereAreNoActivationFigures() throws {
        let net = try DemoModels.load("mlp-1")
        let s = try ModelSummary.compute(net, reference: "demo:mlp-1")
        XCTAssertNil(s.evaluation)
        XCTAssertTrue(s.layers.allSatisfy { $0.activations == nil })
        XCTAssertEqual(s.layers.map(\.parameters).reduce(0, +), 85002)
    }
}
