import Interpret
import LinAlg
import TestSupport
import XCTest

/// On synthetic data with known features (d = 64, 256 features, about 5 active, nonnegative
/// magnitudes) the SAEs learn the features: mean max cosine similarity (MMCS) ≥ 0.9. Seeded.
final class SAERecoveryTests: XCTestCase {
    static let data = try! SyntheticFeatures.generate(samples: 16384, dimension: 64, features: 256, meanActive: 5, seed: 7)

    func recovery(_ options: SAETrainingOptions, file: StaticString = #filePath, line: UInt = #line) throws -> FeatureRecovery {
        let source = ActivationMatrix(Self.data.activations, name: "synthetic")
        let run = try SAETrainer.train(on: source, options: options)
        let recovery = try FeatureRecovery(truth: Self.data.features, learned: run.sae.decoder)
        print(
            "\(options.architecture): MMCS \(recovery.meanMaxCosine), recovered \(recovery.recoveredFraction), final \(run.summary.final)")
        return recovery
    }

    func testSyntheticDataHasTheAdvertisedStatistics() {
        let codes = Self.data.coefficients
        XCTAssertEqual(Double(codes.nonzeroCount) / Double(codes.count), 5, accuracy: 0.1)
        XCTAssertTrue(codes.values.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertTrue(Self.data.features.rowNorms().allSatisfy { abs($0 - 1) < 1e-5 })
        // x is the sum of its active features.
        let x = Self.data.activations.row(3)
        var expected = [Float](repeating: 0, count: 64)
        for e in codes.range(3) {
            for (i, v) in Self.data.features.row(codes.indices[e]).enumerated() { expected[i] += codes.values[e] * v }
        }
        for (a, b) in zip(x, expected) { XCTAssertEqual(a, b, accuracy: 1e-5) }
    }

    func testTopKRecoversTheFeatures() throws {
        let r = try recovery(
            SAETrainingOptions(
                architecture: .topk, latents: 512, k: 5, learningRate: 3e-3,
                steps: 600, batchSize: 256, seed: 1))
        XCTAssertGreaterThanOrEqual(r.meanMaxCosine, 0.9)
    }

    func testStandardRecoversTheFeatures() throws {
        let r = try recovery(
            SAETrainingOptions(
                architecture: .standard, latents: 512, sparsityCoefficient: 3,
                learningRate: 3e-3, steps: 800, batchSize: 256, seed: 2))
        XCTAssertGreaterThanOrEqual(r.meanMaxCosine, 0.9)
    }

    /// With the default λ: the gate's L1 keeps the code sparse (about 11 latents for 5 true ones)
    /// while the features are found.
    func testGatedRecoversTheFeatures() throws {
        let r = try recovery(
            SAETrainingOptions(
                architecture: .gated, latents: 512, learningRate: 3e-3, steps: 800, batchSize: 256, seed: 4))
        XCTAssertGreaterThanOrEqual(r.meanMaxCosine, 0.9)
        XCTAssertGreaterThanOrEqual(r.recoveredFraction, 0.9)
    }

    func testMatchingPursuitRecoversTheFeatures() throws {
        let r = try recovery(
            SAETrainingOptions(
                architecture: .matchingPursuit, latents: 512, k: 5, learningRate: 3e-3,
                steps: 600, batchSize: 256, seed: 3))
        XCTAssertGreaterThanOrEqual(r.meanMaxCosine, 0.9)
    }

    func testMeanMaxCosineByHand() throws {
        // Truth e1, e2; learned (1, 1)/√2 and −e2: the best cosines are 1/√2 and 1/√2.
        let truth = Matrix<Float>([[1, 0], [0, 1]])
        let learned = Matrix<Float>([[1, 1], [0, -3]])
        let r = try FeatureRecovery(truth: truth, learned: learned)
        XCTAssertEqual(r.maxCosine[0], 0.5.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(r.maxCosine[1], 0.5.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(r.meanMaxCosine, 0.5.squareRoot(), accuracy: 1e-6)
        XCTAssertEqual(r.recoveredFraction, 0)
        assertThrowsMessage(try FeatureRecovery(truth: truth, learned: Matrix<Float>([[1, 0, 0]])), contains: ["2 dimensions", "3"])
    }
}
