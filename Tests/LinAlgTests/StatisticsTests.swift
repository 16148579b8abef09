import LinAlg
import XCTest

final class StatisticsTests: XCTestCase {
    // Hand-computed: columns (1,2,3,4) and (2,4,6,9).
    let x = Matrix<Double>([[1, 2], [2, 4], [3, 6], [4, 9]])

    func testCovarianceByHand() {
        // means 2.5 and 5.25; Σdx² = 5, Σdx·dy = 11.5, Σdy² = 26.75; divisor 3.
        let c = x.covariance()
        XCTAssertEqual(c[0, 0], 5.0 / 3, accuracy: 1e-14)
        XCTAssertEqual(c[0, 1], 11.5 / 3, accuracy: 1e-14)
        XCTAssertEqual(c[1, 0], 11.5 / 3, accuracy: 1e-14)
        XCTAssertEqual(c[1, 1], 26.75 / 3, accuracy: 1e-14)
        XCTAssertEqual(x.columnStandardDeviations()[0], (5.0 / 3).squareRoot(), accuracy: 1e-14)
    }

    func testCorrelationByHandAndConstantColumns() {
        let r = x.correlation()
        XCTAssertEqual(r[0, 0], 1, accuracy: 1e-14)
        XCTAssertEqual(r[0, 1], 11.5 / (5 * 26.75).squareRoot(), accuracy: 1e-14)
        let withConstant = Matrix<Double>([[1, 7], [2, 7], [3, 7]])
        let rc = withConstant.correlation()
        XCTAssertEqual(rc[0, 1], 0)
        XCTAssertEqual(rc[1, 1], 0)
        XCTAssertFalse(rc.hasNonFinite)
    }

    func testCrossCorrelationMatchesCorrelationBlock() {
        var rng = SeededRandom(seed: 5)
        let a: Matrix<Double> = rng.normalMatrix(rows: 50, cols: 3)
        let b: Matrix<Double> = rng.normalMatrix(rows: 50, cols: 2)
        let joint = Matrix.hstack([a, b]).correlation()
        let cross = crossCorrelation(a, b)
        for i in 0..<3 { for j in 0..<2 { XCTAssertEqual(cross[i, j], joint[i, 3 + j], accuracy: 1e-12) } }
    }

    func testRunningMoments() {
        var m = RunningMoments()
        for v in [2.0, 4, 4, 4, 5, 5, 7, 9] { m.add(v) }
        XCTAssertEqual(m.mean, 5)
        XCTAssertEqual(m.standardDeviation, 2, accuracy: 1e-14)
    }
}
