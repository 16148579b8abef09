import LinAlg
import XCTest

/// Float32 products over many rows, summed in Float64 block by block, against the same
/// products in Float64: each entry within the error of a Float32 sum of one block's terms.
final class TallProductsTests: XCTestCase {
    func matrix(_ rows: Int, _ cols: Int, seed: UInt64, mean: Double = 0) -> Matrix<Float> {
        var rng = SeededRandom(seed: seed)
        return Matrix(rows: rows, cols: cols) { _, _ in Float(rng.normal(mean: mean, std: 1)) }
    }

    /// |error| of every entry against the Float64 product, relative to Σ|aᵢbᵢ| (the scale a
    /// floating-point sum's rounding error is proportional to).
    func worstRelativeError(_ product: Matrix<Double>, _ a: Matrix<Float>, _ b: Matrix<Float>) -> Double {
        let (a64, b64) = (a.converted(to: Double.self), b.converted(to: Double.self))
        let exact = matmul(a64, b64, transposeA: true)
        let scale = matmul(
            Matrix(rows: a.rows, cols: a.cols, storage: a64.storage.map(abs)),
            Matrix(rows: b.rows, cols: b.cols, storage: b64.storage.map(abs)), transposeA: true)
        var worst = 0.0
        for i in 0..<exact.rows { for j in 0..<exact.cols { worst = max(worst, abs(product[i, j] - exact[i, j]) / scale[i, j]) } }
        return worst
    }

    func testFloat32BlocksStayWithinOneBlocksRoundingError() {
        let rows = 5 * TallProducts.float32Block + 17  // several blocks and a ragged last one
        let a = matrix(rows, 24, seed: 1), b = matrix(rows, 16, seed: 2, mean: 3)
        let bound = Double(TallProducts.float32Block) * 0x1p-24  // the worst case of a block's sum
        XCTAssertLessThan(worstRelativeError(TallProducts.cross(a, b), a, b), bound)
        XCTAssertLessThan(worstRelativeError(TallProducts.gram(a), a, a), bound)
    }

    func testGramIsSymmetricAndDoubleInputIsOneProduct() {
        let a = matrix(3000, 12, seed: 3)
        let g = TallProducts.gram(a)
        for i in 0..<12 { for j in 0..<12 { XCTAssertEqual(g[i, j], g[j, i]) } }
        let a64 = a.converted(to: Double.self), b64 = matrix(3000, 7, seed: 4).converted(to: Double.self)
        XCTAssertEqual(TallProducts.cross(a64, b64), matmul(a64, b64, transposeA: true))
    }

    /// With column means given, each block is centred before its product: the result is the
    /// product of the centred matrices (formed here whole, in Float64), on data far from the
    /// origin, to the rounding of a block's sum of the centred values.
    func testCentringBlockByBlockIsTheProductOfTheCentredMatrices() {
        let rows = 3 * TallProducts.float32Block + 9
        let a = matrix(rows, 10, seed: 5, mean: 1000), b = matrix(rows, 6, seed: 6, mean: -40)
        func means(_ m: Matrix<Float>) -> [Double] {
            (0..<m.cols).map { c in (0..<m.rows).reduce(0.0) { $0 + Double(m[$1, c]) } / Double(m.rows) }
        }
        func centred(_ m: Matrix<Float>, _ mu: [Double]) -> Matrix<Float> {
            Matrix(rows: m.rows, cols: m.cols) { r, c in Float(Double(m[r, c]) - mu[c]) }
        }
        let (ma, mb) = (means(a), means(b))
        let (ca, cb) = (centred(a, ma), centred(b, mb))
        let bound = Double(TallProducts.float32Block) * 0x1p-24
        XCTAssertLessThan(worstRelativeError(TallProducts.cross(a, b, subtracting: (ma, mb)), ca, cb), bound)
        XCTAssertLessThan(worstRelativeError(TallProducts.gram(a, subtracting: ma), ca, ca), bound)
        // Float64 data centred block by block equals the centred product to Float64 rounding.
        let (a64, b64) = (a.converted(to: Double.self), b.converted(to: Double.self))
        func centred64(_ m: Matrix<Double>, _ mu: [Double]) -> Matrix<Double> {
            Matrix(rows: m.rows, cols: m.cols) { r, c in m[r, c] - mu[c] }
        }
        let exact = matmul(centred64(a64, ma), centred64(b64, mb), transposeA: true)
        let blocked = TallProducts.cross(a64, b64, subtracting: (ma, mb))
        for (x, y) in zip(blocked.storage, exact.storage) { XCTAssertEqual(x, y, accuracy: 1e-9 * max(1, abs(y))) }
    }
}
