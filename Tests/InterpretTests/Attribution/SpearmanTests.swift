import LinAlg
import XCTest

/// Spearman's rank correlation (`averageRanks`, `rowSpearmanCorrelations`), which the
/// model-randomisation check compares relevance maps with.
final class SpearmanTests: XCTestCase {
    func testAverageRanksShareTies() {
        XCTAssertEqual(averageRanks([10, 20, 20, 5]), [2, 3.5, 3.5, 1])
        // scipy.stats.rankdata (Tests/Fixtures/linalg/make_spearman_values.py).
        XCTAssertEqual(averageRanks([10, 20, 20, 5, 20, 0]), [3, 5, 5, 2, 5, 1])
        XCTAssertEqual(averageRanks([7, 7, 7]), [2, 2, 2])
        XCTAssertEqual(averageRanks([]), [])
    }

    /// By hand: x = (1, 2, 2, 3, 5) ranks (1, 2.5, 2.5, 4, 5), y = (2, 1, 4, 4, 6) ranks
    /// (2, 1, 3.5, 3.5, 5); centred on 3 they give Σ dx·dy = 7.25 and Σ dx² = Σ dy² = 9.5.
    func testSpearmanByHandWithTies() {
        XCTAssertEqual(spearmanCorrelation([1, 2, 2, 3, 5], [2, 1, 4, 4, 6]), 7.25 / 9.5, accuracy: 1e-15)
        // Any increasing map of the values leaves the ranks, so ρ = 1; a decreasing one gives −1.
        let x = [0.3, -2, 5, 1e-3, 7]
        XCTAssertEqual(spearmanCorrelation(x, x.map { $0 * $0 * $0 + 4 }), 1, accuracy: 1e-15)
        XCTAssertEqual(spearmanCorrelation(x, x.map { -exp($0) }), -1, accuracy: 1e-15)
        // A constant side has no defined correlation: 0.
        XCTAssertEqual(spearmanCorrelation(x, [1, 1, 1, 1, 1]), 0)
    }

    /// scipy.stats.spearmanr's values (Tests/Fixtures/linalg/make_spearman_values.py).
    func testSpearmanAgainstScipy() {
        XCTAssertEqual(spearmanCorrelation([3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]), 0.19885368120992467, accuracy: 1e-14)
        let a: [Double] = [0, 0, 0.5, -1, 2, 0, 3], b: [Double] = [0, 0, -0.2, 1, 0.1, 0, 0.4]
        XCTAssertEqual(spearmanCorrelation(a, b), -0.038461538461538464, accuracy: 1e-14)
        XCTAssertEqual(spearmanCorrelation(a.map(abs), b.map(abs)), 0.8076923076923077, accuracy: 1e-14)
    }

    /// Row by row, the matrix form gives each row's own correlation.
    func testRowsAreIndependent() {
        let a = Matrix<Double>([[1, 2, 2, 3, 5], [3, 1, 4, 1, 5], [1, 1, 1, 1, 1]])
        let b = Matrix<Double>([[2, 1, 4, 4, 6], [5, 1, 4, 1, 3], [1, 2, 3, 4, 5]])
        let rows = rowSpearmanCorrelations(a, b)
        for r in 0..<3 {
            XCTAssertEqual(rows[r], spearmanCorrelation(Array(a.row(r)), Array(b.row(r))), accuracy: 1e-15)
        }
        XCTAssertEqual(rows[0], 7.25 / 9.5, accuracy: 1e-15)
        XCTAssertEqual(rows[2], 0)
    }
}
