import Foundation
import LinAlg
import TensorIO
import XCTest

final class TensorTests: XCTestCase {
    func testByteSizes() {
        let sizes: [DType: Int] = [.f64: 8, .f32: 4, .f16: 2, .bf16: 2, .i64: 8, .i32: 4, .i16: 2, .i8: 1, .u8: 1, .bool: 1]
        for d in DType.allCases { XCTAssertEqual(d.byteSize, sizes[d], "\(d)") }
        XCTAssertEqual(DType(rawValue: "BF16"), .bf16)
        XCTAssertEqual(DType.allCases.count, 10)
    }

    func testInitValidatesByteCount() throws {
        let t = try Tensor(shape: [2, 3], dtype: .f32, bytes: Data(count: 24))
        XCTAssertEqual(t.elementCount, 6)
        assertTensorIOError(["F32 [2, 3] needs 24 bytes, found 20"]) {
            try Tensor(shape: [2, 3], dtype: .f32, bytes: Data(count: 20))
        }
        assertTensorIOError(["negative dimension -2"]) { try Tensor(shape: [-2, 3], dtype: .u8, bytes: Data()) }
        assertTensorIOError(["overflows"]) {
            try Tensor(shape: [1 << 32, 1 << 32], dtype: .u8, bytes: Data())
        }
        assertTensorIOError(["overflows"]) {
            try Tensor(shape: [1 << 31, 1 << 31], dtype: .f64, bytes: Data())  // elements fit, bytes do not
        }
        // A zero dimension makes the product 0 even next to huge ones.
        XCTAssertEqual(try Tensor(shape: [Int.max, 0], dtype: .f32, bytes: Data()).elementCount, 0)
    }

    func testTypedInitialisersAndEquality() throws {
        let a = Tensor([Float](arrayLiteral: 1, 2, 3, 4), shape: [2, 2])
        XCTAssertEqual(a.dtype, .f32)
        XCTAssertEqual(a.shape, [2, 2])
        XCTAssertEqual(a.floats(), [1, 2, 3, 4])
        XCTAssertEqual(a, Tensor([Float](arrayLiteral: 1, 2, 3, 4), shape: [2, 2]))
        XCTAssertNotEqual(a, Tensor([Float](arrayLiteral: 1, 2, 3, 4), shape: [4]))
        XCTAssertNotEqual(a, a.converted(to: .f64))
        XCTAssertEqual(Tensor([Double](arrayLiteral: 1.5, -2), shape: [2]).dtype, .f64)
        XCTAssertEqual(try Tensor([Int64](arrayLiteral: -5, 6), shape: [2]).int64s(), [-5, 6])
        XCTAssertEqual(try Tensor([Int32](arrayLiteral: -5, 6), shape: [1, 2]).int64s(), [-5, 6])
        XCTAssertEqual(Tensor([Float](arrayLiteral: 2.5), shape: []).elementCount, 1)
        XCTAssertEqual(a.description, "Tensor(F32 [2, 2])")
    }

    func testMatrixConversions() throws {
        let m = Matrix<Float>(rows: 2, cols: 3, storage: [1, 2, 3, 4, 5, 6])
        let t = Tensor(m)
        XCTAssertEqual(t.shape, [2, 3])
        XCTAssertEqual(t.dtype, .f32)
        XCTAssertEqual(t.matrix(Float.self), m)
        XCTAssertEqual(t.matrix(Double.self), m.converted(to: Double.self))
        let d = Tensor(Matrix<Double>(rows: 1, cols: 2, storage: [0.1, 0.2]))
        XCTAssertEqual(d.dtype, .f64)
        XCTAssertEqual(d.doubles(), [0.1, 0.2])

        // The first dimension gives the rows, the rest is flattened.
        let t3 = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let m3: Matrix<Float> = t3.matrix()
        XCTAssertEqual(m3.rows, 2)
        XCTAssertEqual(m3.cols, 12)
        XCTAssertEqual(m3[1, 0], 12)
        // 1-d [n] is n×1; 0-d is 1×1; empty keeps its shape.
        let v: Matrix<Double> = Tensor([Float](arrayLiteral: 1, 2, 3), shape: [3]).matrix()
        XCTAssertEqual(v.rows, 3); XCTAssertEqual(v.cols, 1)
        let s: Matrix<Float> = Tensor([Double](arrayLiteral: 7), shape: []).matrix()
        XCTAssertEqual(s.rows, 1); XCTAssertEqual(s.cols, 1); XCTAssertEqual(s[0, 0], 7)
        let e: Matrix<Float> = Tensor([Float](), shape: [0, 5]).matrix()
        XCTAssertEqual(e.rows, 0); XCTAssertEqual(e.cols, 5)
        // Integers convert too.
        let im: Matrix<Double> = Tensor([Int64](arrayLiteral: 1, -2, 3, 4), shape: [2, 2]).matrix()
        XCTAssertEqual(im.storage, [1, -2, 3, 4])
    }

    func testHalfPrecisionWidening() throws {
        // BF16 bit patterns widen exactly: 1.0, -2.5, max finite, smallest subnormal, -inf, 0.15625.
        let bits: [UInt16] = [0x3F80, 0xC020, 0x7F7F, 0x0001, 0xFF80, 0x3E20]
        let bf = try Tensor(shape: [6], dtype: .bf16, bytes: bits.withUnsafeBytes { Data($0) })
        let f = bf.floats()
        XCTAssertEqual(f[0], 1); XCTAssertEqual(f[1], -2.5); XCTAssertEqual(f[5], 0.15625)
        XCTAssertEqual(f[2].bitPattern, 0x7F7F_0000)
        XCTAssertEqual(f[3].bitPattern, 0x0001_0000)
        XCTAssertEqual(f[4], -.infinity)
        XCTAssertEqual(bf.doubles().map { Float($0) }, f)

        let halves: [Float16] = [1.5, -0.5, 65504, .leastNonzeroMagnitude]
        let h = try Tensor(shape: [4], dtype: .f16, bytes: halves.withUnsafeBytes { Data($0) })
        XCTAssertEqual(h.floats(), halves.map(Float.init))
        XCTAssertEqual(h.doubles(), halves.map(Double.init))
    }

    func testBF16RoundsToNearestEven() throws {
        func bf16Bits(_ x: Float) -> UInt16 {
            Tensor([x], shape: [1]).converted(to: .bf16).bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) }
        }
        XCTAssertEqual(bf16Bits(1), 0x3F80)
        XCTAssertEqual(bf16Bits(Float(bitPattern: 0x3F80_8000)), 0x3F80)  // tie, even stays
        XCTAssertEqual(bf16Bits(Float(bitPattern: 0x3F81_8000)), 0x3F82)  // tie, odd rounds up
        XCTAssertEqual(bf16Bits(Float(bitPattern: 0x3F80_8001)), 0x3F81)  // above the tie
        XCTAssertEqual(bf16Bits(Float(bitPattern: 0x3F80_7FFF)), 0x3F80)  // below the tie
        XCTAssertEqual(bf16Bits(.greatestFiniteMagnitude), 0x7F80)  // rounds to +inf, as torch
        XCTAssertEqual(bf16Bits(-.infinity), 0xFF80)
        XCTAssertEqual(bf16Bits(.nan), 0x7FC0)
    }

    func testConversionsBetweenEveryPairOfDTypes() throws {
        // Small integers survive every conversion exactly.
        let values: [Double] = [0, 1, -1, 2, 5, -3, 100, 0]
        let base = Tensor(values, shape: [2, 4])
        for from in DType.allCases {
            let a = base.converted(to: from)
            XCTAssertEqual(a.dtype, from)
            XCTAssertEqual(a.shape, [2, 4])
            XCTAssertEqual(a.bytes.count, 8 * from.byteSize)
            for to in DType.allCases {
                let b = a.converted(to: to)
                func cast(_ v: Double, _ d: DType) -> Double {
                    switch d {
                    case .bool: return v != 0 ? 1 : 0
                    case .u8: return max(v, 0)
                    default: return v
                    }
                }
                let expected = values.map { cast(cast($0, from), to) }
                XCTAssertEqual(b.doubles(), expected, "\(from) → \(to)")
            }
        }
    }

    func testIntegerConversionsSaturateAndTruncate() throws {
        let t = Tensor([Double](arrayLiteral: 1.9, -1.9, 300, -300, .nan, .infinity, -.infinity, 1e30), shape: [8])
        XCTAssertEqual(try t.converted(to: .i8).int64s(), [1, -1, 127, -128, 0, 127, -128, 127])
        XCTAssertEqual(try t.converted(to: .u8).int64s(), [1, 0, 255, 0, 0, 255, 0, 255])
        XCTAssertEqual(try t.converted(to: .i64).int64s(), [1, -1, 300, -300, 0, .max, .min, .max])
        XCTAssertEqual(try t.converted(to: .bool).int64s(), [1, 1, 1, 1, 1, 1, 1, 1])
        // Int64 → Int32 saturates; Int64 → Int64 is exact.
        let big = Tensor([Int64](arrayLiteral: .max, .min, 42), shape: [3])
        XCTAssertEqual(try big.converted(to: .i32).int64s(), [Int64(Int32.max), Int64(Int32.min), 42])
        XCTAssertEqual(try big.converted(to: .i64).int64s(), [.max, .min, 42])
    }

    func testInt64sRefusesNonIntegralFloats() throws {
        XCTAssertEqual(try Tensor([Float](arrayLiteral: 3, -4, 0), shape: [3]).int64s(), [3, -4, 0])
        assertTensorIOError(["element 1 is 2.5", "not an integer"]) {
            try Tensor([Double](arrayLiteral: 1, 2.5, 3), shape: [3]).int64s()
        }
        assertTensorIOError(["element 0 is nan"]) { try Tensor([Float](arrayLiteral: .nan), shape: [1]).int64s() }
        assertTensorIOError(["element 0 is 1e+19"]) { try Tensor([Double](arrayLiteral: 1e19), shape: [1]).int64s() }
    }

    func testAcceptsDataSlicesAndRebasesThem() throws {
        let whole = Data([9, 9, 0, 0, 0x80, 0x3F])
        let t = try Tensor(shape: [1], dtype: .f32, bytes: whole[2...])
        XCTAssertEqual(t.bytes.startIndex, 0)
        XCTAssertEqual(t.floats(), [1])
        // The decoders take slices too (their offsets are relative to the slice).
        let x = Tensor((0..<2000).map { Float($0) }, shape: [40, 50])
        func shifted(_ d: Data) -> Data { (Data([1, 2, 3]) + d)[3...] }
        XCTAssertEqual(try NPY.decode(shifted(NPY.encode(x)), source: "s"), x)
        XCTAssertEqual(try IDX.decode(shifted(IDX.encode(x)), source: "s"), x)
        let st = try SafeTensors.decode(shifted(SafeTensors.encode(SafeTensorsFile(tensors: ["x": x]))), source: "s")
        XCTAssertEqual(st["x"], x)
        XCTAssertEqual(st["x"]?.bytes.startIndex, 0)
    }

    func testReshape() throws {
        let t = Tensor((0..<6).map(Float.init), shape: [2, 3])
        XCTAssertEqual(try t.reshaped([3, 2]).shape, [3, 2])
        XCTAssertEqual(try t.reshaped([6]).floats(), t.floats())
        assertTensorIOError(["cannot reshape F32 [2, 3] (6 elements) to [4, 2]"]) { try t.reshaped([4, 2]) }
    }

    func testF32FastPathOnLargeTensor() {
        let n = 1 << 20
        let values = (0..<n).map { Float($0) * 0.5 }
        let t = Tensor(values, shape: [n / 64, 64])
        XCTAssertEqual(t.floats(), values)
        XCTAssertEqual(t.matrix(Float.self).storage, values)
    }
}
