import LinAlg
import Networks
import XCTest

/// The convolution as its dense matrix, and which input wins a max-pooling window.
final class WindowLayerTests: XCTestCase {
    /// unrolled(W)·x is the convolution without bias, for strides, padding and kernels that are
    /// not square; each entry a weight or zero, so the two agree to rounding in Float64.
    func testUnrolledConvolutionIsTheConvolution() {
        var rng = SeededRandom(seed: 3)
        let geometries = [
            WindowGeometry(channels: 2, height: 6, width: 5, kernel: IntPair(3), stride: IntPair(1), padding: IntPair(1)),
            WindowGeometry(channels: 3, height: 7, width: 7, kernel: IntPair(3, 2), stride: IntPair(2, 1), padding: IntPair(1, 0)),
            WindowGeometry(channels: 1, height: 8, width: 8, kernel: IntPair(5), stride: IntPair(3), padding: IntPair(2))
        ]
        for g in geometries {
            let outChannels = 4
            let conv = Conv2d<Double>(
                weight: rng.normalMatrix(rows: outChannels, cols: g.patchSize), bias: (0..<outChannels).map { Double($0) },
                geometry: g)
            let x: Matrix<Double> = rng.normalMatrix(rows: 3, cols: g.inputSize)
            let dense = conv.unrolled(conv.weight)
            XCTAssertEqual(dense.rows, conv.outputSize)
            XCTAssertEqual(dense.cols, g.inputSize)
            var expected = conv.forward(x)
            expected.add(
                Matrix(
                    rows: 3, cols: conv.outputSize, storage: Array(repeating: conv.perOutputElement(conv.bias!), count: 3).flatMap { $0 }),
                scaledBy: -1)
            let product = matmul(x, dense, transposeB: true)
            for (a, b) in zip(product.storage, expected.storage) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            // Every nonzero entry is a kernel weight: as many as the windows reach inputs.
            let reached = conv.unrolled(Matrix(rows: outChannels, cols: g.patchSize, repeating: 1)).storage.reduce(0, +)
            XCTAssertEqual(Double(dense.storage.filter { $0 != 0 }.count), reached)
        }
    }

    /// The first maximum wins a tie, as torch picks it; a NaN wins over numbers, the last NaN
    /// over an earlier one (torch propagates NaN through max-pooling).
    func testMaxPoolingWinners() {
        let pool = Pool2d(
            mode: .max,
            geometry: WindowGeometry(channels: 1, height: 2, width: 4, kernel: IntPair(2), stride: IntPair(2), padding: IntPair(0)))
        let plain = Matrix<Float>([[1, 3, 5, 5], [3, 2, 5, 0]])
        XCTAssertEqual(pool.winners(Matrix(rows: 1, cols: 8, storage: plain.storage)), [1, 2])
        let withNaN = Matrix<Float>([[1, .nan, 5, .nan], [.nan, 2, 5, .nan]])
        XCTAssertEqual(pool.winners(Matrix(rows: 1, cols: 8, storage: withNaN.storage)), [4, 7])
        XCTAssertEqual(pool.forward(Matrix(rows: 1, cols: 8, storage: plain.storage)).storage, [3, 5])
    }
}
