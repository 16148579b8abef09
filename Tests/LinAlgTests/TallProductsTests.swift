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
}
