import LinAlg
import XCTest

/// Decompositions are checked by the identities that define them, not against themselves.
final class DecompositionsTests: XCTestCase {
    func randomSymmetric(_ n: Int, seed: UInt64) -> Matrix<Double> {
        var rng = SeededRandom(seed: seed)
        let a: Matrix<Double> = rng.normalMatrix(rows: n, cols: n)
        return (a + a.transposed()).map { $0 / 2 }
    }

    func assertOrthonormalColumns(_ q: Matrix<Double>, file: StaticString = #filePath, line: UInt = #line) {
        let g = matmul(q, q, transposeA: true)
        for i in 0..<g.rows {
            for j in 0..<g.cols {
                XCTAssertEqual(g[i, j], i == j ? 1 : 0, accuracy: 1e-10, file: file, line: line)
            }
        }
    }

    func testSymmetricEigenSatisfiesAvEqualsLambdaV() throws {
        for n in [1, 2, 5, 17, 40] {
            let a = randomSymmetric(n, seed: UInt64(n))
            let e = try SymmetricEigen(a)
            XCTAssertEqual(e.values, e.values.sorted(), "ascending")
            assertOrthonormalColumns(e.vectors)
            for j in 0..<n {
                let v = e.vector(j)
                let av = matvec(a, v)
                for i in 0..<n { XCTAssertEqual(av[i], e.values[j] * v[i], accuracy: 1e-10) }
            }
            XCTAssertEqual(e.magnitudeOrder.count, n)
            if n > 1 { XCTAssertGreaterThanOrEqual(abs(e.values[e.magnitudeOrder[0]]), abs(e.values[e.magnitudeOrder[1]])) }
        }
    }

    func testEigenOfKnownMatrix() throws {
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,−1)/√2 and (1,1)/√2.
        let e = try SymmetricEigen(Matrix([[2, 1], [1, 2]]))
        XCTAssertEqual(e.values[0], 1, accuracy: 1e-14)
        XCTAssertEqual(e.values[1], 3, accuracy: 1e-14)
        XCTAssertEqual(abs(e.vectors[0, 1]), 0.5.squareRoot(), accuracy: 1e-14)
        XCTAssertEqual(e.vectors[0, 1], e.vectors[1, 1], accuracy: 1e-14)
    }

    func testSVDReconstructs() throws {
        var rng = SeededRandom(seed: 9)
        for (m, n) in [(6, 4), (4, 6), (5, 5), (30, 3)] {
            let a: Matrix<Double> = rng.normalMatrix(rows: m, cols: n)
            let s = try SVD(a)
            XCTAssertEqual(s.singularValues, s.singularValues.sorted(by: >))
            var us = s.u
            us.scaleColumns(s.singularValues)
            let back = matmul(us, s.vt)
            for (x, y) in zip(back.storage, a.storage) { XCTAssertEqual(x, y, accuracy: 1e-10) }
            assertOrthonormalColumns(s.u)
            assertOrthonormalColumns(s.vt.transposed())
        }
    }

    func testQRReconstructs() throws {
        var rng = SeededRandom(seed: 10)
        let a: Matrix<Double> = rng.normalMatrix(rows: 9, cols: 4)
        let qr = try QR(a)
        assertOrthonormalColumns(qr.q)
        for i in 0..<4 { for j in 0..<i { XCTAssertEqual(qr.r[i, j], 0) } }
        let back = matmul(qr.q, qr.r)
        for (x, y) in zip(back.storage, a.storage) { XCTAssertEqual(x, y, accuracy: 1e-10) }
        XCTAssertThrowsError(try QR(Matrix<Double>(rows: 2, cols: 3)))
    }

    func testLeastSquaresSatisfiesNormalEquations() throws {
        var rng = SeededRandom(seed: 11)
        let a: Matrix<Double> = rng.normalMatrix(rows: 40, cols: 6)
        let b: Matrix<Double> = rng.normalMatrix(rows: 40, cols: 3)
        let x = try leastSquares(a, b)
        XCTAssertEqual(x.rows, 6)
        // Aᵀ(AX − B) = 0 is the normal equation of the least-squares problem.
        let residual = matmul(a, x) - b
        let g = matmul(a, residual, transposeA: true)
        XCTAssertLessThan(g.maxAbs(), 1e-10)
        // An exactly solvable system is solved exactly.
        let exact = try leastSquares(a, matmul(a, x))
        for (p, q) in zip(exact.storage, x.storage) { XCTAssertEqual(p, q, accuracy: 1e-10) }
    }

    func testRidgeAndCholesky() throws {
        var rng = SeededRandom(seed: 12)
        let x: Matrix<Double> = rng.normalMatrix(rows: 30, cols: 5)
        let y: Matrix<Double> = rng.normalMatrix(rows: 30, cols: 2)
        let lambda = 0.7
        let w = try ridgeRegression(x, y, lambda: lambda)
        // Gradient of ‖XW − Y‖² + λ‖W‖² vanishes: Xᵀ(XW − Y) + λW = 0.
        var grad = matmul(x, matmul(x, w) - y, transposeA: true)
        grad.add(w, scaledBy: lambda)
        XCTAssertLessThan(grad.maxAbs(), 1e-10)
        XCTAssertThrowsError(try choleskySolve(Matrix([[1, 2], [2, 1]]), Matrix(column: [1, 1]))) { error in
            XCTAssertEqual(error as? LinAlgError, .notPositiveDefinite(order: 2))
            XCTAssertTrue("\(error)".contains("not positive definite"))
        }
    }

    func testNonFiniteInputIsRefusedWithAMessage() {
        let bad = Matrix<Double>([[1, .nan], [.nan, 1]])
        XCTAssertThrowsError(try SymmetricEigen(bad)) { XCTAssertTrue("\($0)".contains("NaN")) }
        XCTAssertThrowsError(try SVD(bad)) { XCTAssertTrue("\($0)".contains("NaN")) }
        XCTAssertThrowsError(try leastSquares(Matrix(column: [1, 2]), Matrix(column: [.infinity, 1])))
    }

    func testRankDeficientLeastSquaresIsAnError() {
        let a = Matrix<Double>([[1, 2], [2, 4], [3, 6]])
        XCTAssertThrowsError(try leastSquares(a, Matrix(column: [1, 2, 3]))) {
            XCTAssertTrue("\($0)".contains("rank-deficient"), "\($0)")
        }
    }
}
