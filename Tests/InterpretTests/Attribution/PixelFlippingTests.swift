import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

final class PixelFlippingTests: XCTestCase {
    /// On the demo CNN and the first 100 test digits, removing pixels most-relevant-first by
    /// deep-taylor and epsilon-plus maps lowers the explained score faster than random orders.
    func testLRPBeatsRandomOrderOnTheDemoCNN() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        let methods = [LRPConfiguration(composite: .deepTaylor), LRPConfiguration(composite: .epsilonPlus)]
        let result = try PixelFlippingResult.compute(network: network, data: data, samples: Array(0..<100), methods: methods)
        let random = try XCTUnwrap(result.curve(PixelFlippingResult.randomMethod))
        for name in ["deep-taylor", "epsilon-plus"] {
            let curve = try XCTUnwrap(result.curve(name))
            XCTAssertLessThan(curve.auc, random.auc, name)
        }
        XCTAssertEqual(result.curves.map(\.method), ["deep-taylor", "epsilon-plus", "gradient×input", "random"])
        // The curves start at the mean predicted score and end at the blank image's.
        let scores = network.scores(data.x.rows(in: 0..<100))
        let start = (0..<100).map { Double(scores[$0, scores.rowArgmax()[$0]]) }.reduce(0, +) / 100
        let blank = network.scores(Matrix(rows: 1, cols: 64))
        let end = (0..<100).map { Double(blank[0, result.classes[$0]!]) }.reduce(0, +) / 100
        for curve in result.curves {
            XCTAssertEqual(curve.meanScore.first!, start, accuracy: 1e-4)
            XCTAssertEqual(curve.meanScore.last!, end, accuracy: 1e-4)
            XCTAssertEqual(curve.sampleAUC.count, 100)
        }
        XCTAssertEqual(result.fractions.count, 17)
        XCTAssertEqual(result.fractions.first, 0)
        XCTAssertEqual(result.fractions.last, 1)
    }

    /// In batches of 30 the partial results arrive after each batch, over the samples done so
    /// far: the first is the result of flipping those 30 alone (its random orders come first from
    /// the same seed), the second holds the first's per-sample areas and 30 more, and the last
    /// is the result returned.
    func testPartialResultsAfterEachBatch() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        let methods = [LRPConfiguration(composite: .epsilonPlus)]
        let options = PixelFlippingOptions(steps: 8, randomOrders: 3, batchSize: 30)
        var partials: [PixelFlippingResult] = []
        let result = try PixelFlippingResult.compute(
            network: network, data: data, samples: Array(0..<70), methods: methods,
            options: options, partial: { partials.append($0) })
        XCTAssertEqual(partials.map(\.samples), [Array(0..<30), Array(0..<60), Array(0..<70)])
        XCTAssertEqual(partials.map(\.classes.count), [30, 60, 70])
        XCTAssertEqual(partials.last?.curves, result.curves)
        let alone = try PixelFlippingResult.compute(
            network: network, data: data, samples: Array(0..<30), methods: methods, options: options)
        XCTAssertEqual(partials[0].curves, alone.curves)
        let lrp = try XCTUnwrap(partials[1].curve("epsilon-plus"))
        XCTAssertEqual(lrp.sampleAUC.count, 60)
        XCTAssertEqual(Array(lrp.sampleAUC.prefix(30)), alone.curve("epsilon-plus")!.sampleAUC)
        // The mean of the per-sample areas is the area of the mean curve (trapezoids are linear).
        XCTAssertEqual(lrp.sampleAUC.reduce(0, +) / 60, lrp.auc, accuracy: 1e-9)
    }

    /// f(x) = 3x₀ + x₁ + 2x₂ + 0.5x₃ at x = 1: the relevance order is 0, 2, 1, 3, so the curve is
    /// 6.5, 3.5, 1.5, 0.5, 0 and its area over [0, 1] is ¼(5 + 2.5 + 1 + 0.25) = 2.1875.
    func testCurveOfALinearModel() throws {
        let network = Network<Float>(
            name: "linear", input: InputSpec(shape: [4]), classes: nil,
            layers: [
                Layer(
                    name: "fc", operation: .linear(Linear(weight: Matrix([[3, 1, 2, 0.5]]), bias: nil)), inputShape: [4], outputShape: [1])
            ])
        let data = Dataset(name: "ones", x: Matrix(rows: 1, cols: 4, repeating: 1), labels: nil, sampleShape: [4])
        let options = PixelFlippingOptions(steps: 4, randomOrders: 50, seed: 3)
        let result = try PixelFlippingResult.compute(
            network: network, data: data, samples: [0],
            methods: [LRPConfiguration(composite: .uniform(.epsilon(nil)))], options: options)
        let lrp = try XCTUnwrap(result.curves.first)
        for (a, b) in zip(lrp.meanScore, [6.5, 3.5, 1.5, 0.5, 0]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertEqual(lrp.auc, 2.1875, accuracy: 1e-5)
        XCTAssertEqual(result.curve(PixelFlippingResult.gradientMethod)!.auc, 2.1875, accuracy: 1e-5)
        // Random orders remove the mean weight per step: 6.5·(1 − k/4); area 6.5/2 on average.
        let random = result.curve(PixelFlippingResult.randomMethod)!
        XCTAssertGreaterThan(random.auc, 2.1875)
        // The same seed gives the same curve.
        let again = try PixelFlippingResult.compute(network: network, data: data, samples: [0], methods: [], options: options)
        XCTAssertEqual(again.curve(PixelFlippingResult.randomMethod), random)
        // The data mean as the baseline removes nothing from a data set of one sample.
        var meanOptions = options
        meanOptions.baseline = .dataMean
        let flat = try PixelFlippingResult.compute(network: network, data: data, samples: [0], methods: [], options: meanOptions)
        XCTAssertEqual(flat.curves[0].meanScore, Array(repeating: 6.5, count: 5))
        // Five steps cannot each remove one of four inputs.
        XCTAssertThrowsError(
            try PixelFlippingResult.compute(
                network: network, data: data, samples: [0], methods: [],
                options: PixelFlippingOptions(steps: 5))
        ) {
            XCTAssertEqual("\($0)", "pixel flipping in 5 steps: the model has 4 inputs, so at most 4 steps")
        }
    }
}
