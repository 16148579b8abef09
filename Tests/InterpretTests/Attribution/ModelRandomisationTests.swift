import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

final class ModelRandomisationTests: XCTestCase {
    /// On the demo CNN and the first 100 test digits, under the default composite (epsilon-plus):
    /// at stage 0 the maps are the trained model's own (ρ = 1); once the output layer is
    /// re-initialised the signed maps no longer rank like the trained ones (mean ρ near 0 at
    /// every stage, −0.11, −0.06, −0.18 when measured). Their absolute values keep ρ > 0.9 at
    /// every stage (0.94, 0.94, 0.93), falling a little, because epsilon-plus ends in the z⁺ rule
    /// on conv1: every input that is 0 (the digits' background) gets relevance 0 whatever the
    /// weights above, so |R| follows the input — the weakness the check exists to expose.
    func testCascadingRandomisationOnTheDemoCNN() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        let check = try ModelRandomisation(network: network)
        let result = try check.compute(data: data)
        XCTAssertEqual(result.samples, Array(0..<100))
        XCTAssertEqual(result.stages.map(\.layer), [nil, "fc1", "conv2", "conv1"])
        XCTAssertEqual(result.stages.map(\.randomisedLayers), [[], ["fc1"], ["fc1", "conv2"], ["fc1", "conv2", "conv1"]])
        let stage0 = result.stages[0]
        XCTAssertEqual(stage0.meanSpearman, 1, accuracy: 1e-12)
        XCTAssertEqual(stage0.meanAbsoluteSpearman, 1, accuracy: 1e-12)
        XCTAssertEqual(stage0.spearmanStd, 0, accuracy: 1e-12)
        for s in result.stages { XCTAssertEqual(s.spearman.count, 100) }
        for k in 1..<result.stages.count {
            let stage = result.stages[k]
            XCTAssertLessThan(abs(stage.meanSpearman), 0.3, "stage \(k)")
            XCTAssertGreaterThan(stage.meanAbsoluteSpearman, 0.9, "stage \(k)")
            XCTAssertLessThanOrEqual(stage.meanAbsoluteSpearman, result.stages[k - 1].meanAbsoluteSpearman + 0.005, "stage \(k)")
        }
        // Why |R| stays alike: with every layer randomised, the inputs that are 0 still get no relevance.
        let x = data.x.row(0)
        let randomised = try check.maps(of: 0, in: data)[3]
        XCTAssertGreaterThan(x.filter { $0 == 0 }.count, 10)
        for (i, v) in x.enumerated() where v == 0 { XCTAssertEqual(randomised[i], 0, "input \(i)") }
    }

    /// Under epsilon-gamma-box, whose zB rule on conv1 gives relevance to blank inputs too, the
    /// maps lose their likeness stage by stage, also in |R|: measured 0.47, 0.36, 0.29 (signed
    /// 0.07, 0.05, −0.05). With every layer randomised ρ of |R| is well below its value with only
    /// the output layer randomised.
    func testCascadeFallsUnderEpsilonGammaBox() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        let options = ModelRandomisationOptions(configuration: LRPConfiguration(composite: .epsilonGammaBox))
        let stages = try ModelRandomisation(network: network, options: options).compute(data: data).stages
        XCTAssertEqual(stages[0].meanAbsoluteSpearman, 1, accuracy: 1e-12)
        XCTAssertLessThan(stages[1].meanAbsoluteSpearman, 0.6)
        XCTAssertLessThan(stages[3].meanAbsoluteSpearman, stages[1].meanAbsoluteSpearman - 0.1)
        for k in 1..<stages.count {
            XCTAssertLessThan(stages[k].meanAbsoluteSpearman, stages[k - 1].meanAbsoluteSpearman, "stage \(k)")
            XCTAssertLessThan(stages[k].meanSpearman, stages[k - 1].meanSpearman + 0.02, "stage \(k)")
        }
    }

    /// The per-sample values are the rank correlations of the maps `maps(of:in:)` gives, and
    /// the same seed gives the same randomised models.
    func testStagesAreTheMapsCorrelations() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        let check = try ModelRandomisation(network: network, options: ModelRandomisationOptions(samples: 5, batchSize: 2))
        let result = try check.compute(data: data)
        let again = try ModelRandomisation(network: network, options: ModelRandomisationOptions(samples: 5)).compute(data: data)
        XCTAssertEqual(result.stages, again.stages)
        let maps = try check.maps(of: 3, in: data)
        XCTAssertEqual(maps.count, 4)
        XCTAssertEqual(
            maps[0], try LRPExplanation.compute(network: network, data: data, samples: [3], configuration: LRPConfiguration()).relevance[0])
        for k in maps.indices {
            let trained = maps[0].map(Double.init), randomised = maps[k].map(Double.init)
            XCTAssertEqual(result.stages[k].spearman[3], spearmanCorrelation(trained, randomised), accuracy: 1e-12)
            XCTAssertEqual(
                result.stages[k].absoluteSpearman[3], spearmanCorrelation(trained.map(abs), randomised.map(abs)), accuracy: 1e-12)
        }
        // Another seed draws other parameters, and other maps.
        let other = try ModelRandomisation(network: network, options: ModelRandomisationOptions(seed: 2, samples: 5)).maps(of: 3, in: data)
        XCTAssertEqual(other[0], maps[0])
        XCTAssertNotEqual(other[1], maps[1])
    }

    /// Independent randomisation re-initialises one layer per stage and leaves the others trained.
    func testIndependentStagesRandomiseOneLayer() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        let result = try ModelRandomisation(
            network: network, options: ModelRandomisationOptions(samples: 20, order: .independent)
        ).compute(data: data)
        XCTAssertEqual(result.stages.map(\.randomisedLayers), [[], ["fc1"], ["conv2"], ["conv1"]])
        XCTAssertEqual(result.stages[0].meanSpearman, 1, accuracy: 1e-12)
        for k in 1..<result.stages.count { XCTAssertLessThan(result.stages[k].meanSpearman, 0.95, "stage \(k)") }
    }

    func testRefusals() throws {
        let network = try DemoModels.load("cnn")
        let data = try DataSource.load("builtin:digits:test")
        assertThrowsMessage(
            try ModelRandomisation(network: network, options: ModelRandomisationOptions(samples: 0)).compute(data: data),
            contains: ["at least one sample"])
        assertThrowsMessage(try ModelRandomisation(network: network).maps(of: data.count, in: data), contains: ["sample \(data.count)"])
    }
}
