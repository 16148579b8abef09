import Interpret
import LinAlg
import TestSupport
import XCTest

final class DarkMatterTests: XCTestCase {
    func inputs(_ n: Int, _ d: Int, seed: UInt64) -> Matrix<Float> {
        var rng = SeededRandom(seed: seed)
        return rng.normalMatrix(rows: n, cols: d)
    }

    /// An error that is exactly x A + c is predicted perfectly out of sample: R² = 1, the
    /// corrected FVU is 0 and nothing nonlinear is left.
    func testLinearErrorIsFullyPredicted() throws {
        let (n, d) = (400, 6)
        let x = inputs(n, d, seed: 1)
        var rng = SeededRandom(seed: 2)
        let a: Matrix<Float> = rng.normalMatrix(rows: d, cols: d, std: 0.3)
        var error = matmul(x, a)
        error.addToEachRow((0..<d).map { _ in Float(rng.normal()) })
        let analysis = try DarkMatter.analyse(x: x, reconstruction: x - error, seed: 3)
        let r = analysis.report
        XCTAssertEqual(r.errorR2, 1, accuracy: 1e-6)
        XCTAssertEqual(r.correctedFVU, 0, accuracy: 1e-8)
        XCTAssertEqual(r.nonlinearFraction, 0, accuracy: 1e-8)
        XCTAssertEqual(r.trainSamples + r.testSamples, n)
        XCTAssertEqual(analysis.testIndices.count, r.testSamples)
        XCTAssertEqual(Set(analysis.testIndices).count, r.testSamples)
        for i in 0..<d { for j in 0..<d { XCTAssertEqual(analysis.weights[i, j], Double(a[i, j]), accuracy: 1e-4) } }
        // ‖e‖² is quadratic in x, so it is not exactly linear, but FVU is what it says.
        let xTest = x.rows(analysis.testIndices).converted(to: Double.self)
        let eTest = error.rows(analysis.testIndices).converted(to: Double.self)
        let variance = xTest.centered().storage.reduce(0) { $0 + $1 * $1 }
        XCTAssertEqual(r.fvu, eTest.storage.reduce(0) { $0 + $1 * $1 } / variance, accuracy: 1e-6 * r.fvu)
    }

    /// An error independent of x has nothing linear to find: R² ≈ 0 (slightly below, as an
    /// out-of-sample fit of pure noise is), and the correction does not help.
    func testIndependentNoiseIsNotPredicted() throws {
        let (n, d) = (4000, 8)
        let x = inputs(n, d, seed: 4)
        let noise = inputs(n, d, seed: 5)
        let r = try DarkMatter.analyse(x: x, reconstruction: x - noise, seed: 6).report
        XCTAssertEqual(r.errorR2, 0, accuracy: 0.02)
        XCTAssertEqual(r.errorNormR2, 0, accuracy: 0.02)
        XCTAssertEqual(r.nonlinearFraction, 1, accuracy: 0.02)
        XCTAssertEqual(r.correctedFVU, r.fvu, accuracy: 0.02 * r.fvu)
    }

    /// Part linear, part noise: R² is the linear share of the error's variance.
    func testMixedErrorGivesTheLinearShare() throws {
        let (n, d) = (6000, 4)
        let x = inputs(n, d, seed: 7)
        let noise = inputs(n, d, seed: 8)
        // e = x (variance 1 per feature) + noise (variance 1): half is linear.
        let r = try DarkMatter.analyse(x: x, reconstruction: x - (x + noise), seed: 9).report
        XCTAssertEqual(r.errorR2, 0.5, accuracy: 0.03)
    }

    /// Dead (constant) features make least squares singular; the tiny ridge keeps the fit exact.
    func testConstantFeaturesDoNotBreakTheFit() throws {
        var x = inputs(300, 5, seed: 10)
        for r in 0..<300 { x[r, 2] = 0 }
        var error = x
        error.scale(by: 0.5)
        let r = try DarkMatter.analyse(x: x, reconstruction: x - error, seed: 11).report
        XCTAssertEqual(r.errorR2, 1, accuracy: 1e-6)
    }

    func testBadInputIsRefused() {
        assertThrowsMessage(
            try DarkMatter.analyse(x: Matrix<Float>(rows: 7, cols: 2), reconstruction: Matrix(rows: 7, cols: 2)),
            contains: ["at least 8 samples for d_in = 2", "got 7"])
        assertThrowsMessage(
            try DarkMatter.analyse(x: Matrix<Float>(rows: 8, cols: 2), reconstruction: Matrix(rows: 8, cols: 3)),
            contains: ["8×2", "8×3"])
    }
}
