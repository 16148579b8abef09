import LinAlg
import XCTest

/// Every product is compared with a naive triple loop in Float64 on random shapes.
final class ProductsTests: XCTestCase {
    func naiveProduct(_ a: Matrix<Double>, _ b: Matrix<Double>, _ ta: Bool, _ tb: Bool) -> Matrix<Double> {
        let opA = ta ? a.transposed() : a
        let opB = tb ? b.transposed() : b
        return Matrix(rows: opA.rows, cols: opB.cols) { i, j in
            (0..<opA.cols).reduce(0.0) { $0 + opA[i, $1] * opB[$1, j] }
        }
    }

    func assertClose<T: BLASScalar>(
        _ x: Matrix<T>, _ y: Matrix<Double>, tol: Double,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertEqual(x.rows, y.rows, file: file, line: line)
        XCTAssertEqual(x.cols, y.cols, file: file, line: line)
        for (p, q) in zip(x.storage, y.storage) {
            XCTAssertEqual(Double(p), q, accuracy: tol * max(1, abs(q)), file: file, line: line)
        }
    }

    func testGemmMatchesNaiveLoopForAllTransposes() {
        var rng = SeededRandom(seed: 1)
        for trial in 0..<24 {
            let (m, n, k) = (1 + rng.int(below: 17), 1 + rng.int(below: 13), 1 + rng.int(below: 11))
            let ta = trial % 2 == 1, tb = (trial / 2) % 2 == 1
            let a: Matrix<Double> = rng.normalMatrix(rows: ta ? k : m, cols: ta ? m : k)
            let b: Matrix<Double> = rng.normalMatrix(rows: tb ? n : k, cols: tb ? k : n)
            let expected = naiveProduct(a, b, ta, tb)
            assertClose(matmul(a, b, transposeA: ta, transposeB: tb), expected, tol: 1e-12)
            assertClose(
                matmul(a.converted(to: Float.self), b.converted(to: Float.self), transposeA: ta, transposeB: tb),
                expected, tol: 1e-5)
        }
    }

    func testGemmAccumulatesWithBeta() {
        var rng = SeededRandom(seed: 2)
        let a: Matrix<Double> = rng.normalMatrix(rows: 4, cols: 3)
        let b: Matrix<Double> = rng.normalMatrix(rows: 3, cols: 5)
        var c: Matrix<Double> = rng.normalMatrix(rows: 4, cols: 5)
        let c0 = c
        gemm(into: &c, a, b, alpha: 2, beta: 0.5)
        let expected = naiveProduct(a, b, false, false).map { 2 * $0 } + c0.map { 0.5 * $0 }
        assertClose(c, expected, tol: 1e-12)
    }

    func testMatvecAndGramMatchNaive() {
        var rng = SeededRandom(seed: 3)
        let a: Matrix<Double> = rng.normalMatrix(rows: 7, cols: 4)
        let x = (0..<4).map { _ in rng.normal() }
        let y = (0..<7).map { _ in rng.normal() }
        let ax = matvec(a, x)
        let aty = matvec(a, y, transpose: true)
        for i in 0..<7 { XCTAssertEqual(ax[i], (0..<4).reduce(0.0) { $0 + a[i, $1] * x[$1] }, accuracy: 1e-12) }
        for j in 0..<4 { XCTAssertEqual(aty[j], (0..<7).reduce(0.0) { $0 + a[$1, j] * y[$1] }, accuracy: 1e-12) }
        assertClose(gram(a, transpose: true), naiveProduct(a, a, true, false), tol: 1e-12)
        assertClose(gram(a, transpose: false), naiveProduct(a, a, false, true), tol: 1e-12)
        XCTAssertEqual(dot(x, x), norm(x) * norm(x), accuracy: 1e-12)
    }

    func testElementwiseAndReductions() {
        let m = Matrix<Double>([[1, -2, 3], [4, 5, -6]])
        XCTAssertEqual(m.transposed(), Matrix([[1, 4], [-2, 5], [3, -6]]))
        XCTAssertEqual(m.columnSums(), [5, 3, -3])
        XCTAssertEqual(m.columnMeans(), [2.5, 1.5, -1.5])
        XCTAssertEqual(m.rowSums(), [2, 3])
        XCTAssertEqual(m.rowArgmax(), [2, 1])
        XCTAssertEqual(m.maxAbs(), 6)
        XCTAssertEqual(m.frobeniusNorm(), (1 + 4 + 9 + 16 + 25 + 36.0).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(m.hadamard(m).sum(), 91)
        var n = m
        n.addToEachRow([1, 1, 1])
        XCTAssertEqual(n, Matrix([[2, -1, 4], [5, 6, -5]]))
        n.add(m, scaledBy: -1)
        XCTAssertEqual(n, Matrix(rows: 2, cols: 3, repeating: 1))
        XCTAssertEqual(m.rows([1, 0]), Matrix([[4, 5, -6], [1, -2, 3]]))
        XCTAssertEqual(m.columns([2]), Matrix(column: [3, -6]))
        XCTAssertEqual(Matrix.hstack([m, m.columns([0])]), Matrix([[1, -2, 3, 1], [4, 5, -6, 4]]))
        XCTAssertEqual(Matrix.vstack([m, m]).rows, 4)
        XCTAssertEqual(m.converted(to: Float.self).converted(to: Double.self), m)
    }

    func testTransposeOfLargeNonSquareIsExact() {
        var rng = SeededRandom(seed: 4)
        let a: Matrix<Float> = rng.normalMatrix(rows: 70, cols: 45)
        let t = a.transposed()
        for i in 0..<70 { for j in 0..<45 { XCTAssertEqual(a[i, j], t[j, i]) } }
        XCTAssertEqual(t.transposed(), a)
    }
}
