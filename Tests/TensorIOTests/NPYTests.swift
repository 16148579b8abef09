import Foundation
import LinAlg
import TensorIO
import XCTest

/// `.npy` bytes with a hand-written header dictionary (padded as numpy pads it).
func npyBytes(_ dict: String, version: UInt8 = 1, data: [UInt8] = [], pad: Bool = true) -> Data {
    var header = Array(dict.utf8)
    let prefix = version == 1 ? 10 : 12
    if pad {
        while (prefix + header.count + 1) % 64 != 0 { header.append(0x20) }
        header.append(0x0A)
    }
    var d = Data([0x93] + Array("NUMPY".utf8) + [version, 0])
    if version == 1 { d.append(Data.le(UInt16(header.count))) } else { d.append(Data.le(UInt32(header.count))) }
    d.append(contentsOf: header)
    d.append(contentsOf: data)
    return d
}

final class NPYTests: XCTestCase {
    func ramp(_ n: Int, _ scale: Double) -> [Double] { (0..<n).map { Double($0 - n / 2) * scale } }

    // MARK: Fixtures written by numpy

    func testReadsEveryDTypeWrittenByNumpy() throws {
        let cases: [(String, DType, [Int], [Double])] = [
            ("npy_f64.npy", .f64, [2, 3], ramp(6, 0.25)),
            ("npy_f32.npy", .f32, [3, 4], ramp(12, 0.5)),
            ("npy_f16.npy", .f16, [2, 3], ramp(6, 0.125)),
            ("npy_i64.npy", .i64, [2, 3], ramp(6, 1e12)),
            ("npy_i32.npy", .i32, [2, 3], ramp(6, 1e5)),
            ("npy_i16.npy", .i16, [2, 3], ramp(6, 1000)),
            ("npy_i8.npy", .i8, [2, 3], ramp(6, 20)),
            ("npy_u8.npy", .u8, [2, 3], (0..<6).map { Double($0 * 50) }),
            ("npy_bool.npy", .bool, [2, 3], [1, 0, 1, 0, 0, 1]),
            ("npy_scalar.npy", .f64, [], [3.25]),
            ("npy_vector.npy", .f32, [3], [1.5, -2.5, 4])
        ]
        for (name, dtype, shape, values) in cases {
            let t = try NPY.read(fixture(name))
            XCTAssertEqual(t.dtype, dtype, name)
            XCTAssertEqual(t.shape, shape, name)
            XCTAssertEqual(t.doubles(), values, name)
            XCTAssertEqual(t.bytes.startIndex, 0)
            // What we write is byte for byte what np.save wrote.
            XCTAssertEqual(NPY.encode(t), try Data(contentsOf: fixture(name)), "\(name): encode differs from np.save")
        }
        XCTAssertEqual(try NPY.read(fixture("npy_i64.npy")).int64s(), [-3, -2, -1, 0, 1, 2].map { $0 * 1_000_000_000_000 })
    }

    func testReadsVersion2And3Headers() throws {
        let v2 = try NPY.read(fixture("npy_v2.npy"))
        XCTAssertEqual(v2.dtype, .f64)
        XCTAssertEqual(v2.shape, [2, 3])
        XCTAssertEqual(v2.doubles(), ramp(6, 0.25))
        let v3 = try NPY.read(fixture("npy_v3.npy"))
        XCTAssertEqual(v3.dtype, .i32)
        XCTAssertEqual(v3.shape, [2, 3])
        XCTAssertEqual(try v3.int64s(), [-300_000, -200_000, -100_000, 0, 100_000, 200_000])
        // The versions hold the same array as the version-1 files.
        XCTAssertEqual(v2, try NPY.read(fixture("npy_f64.npy")))
        XCTAssertEqual(v3, try NPY.read(fixture("npy_i32.npy")))
    }

    func testReadsFortranOrder() throws {
        let t3 = try NPY.read(fixture("npy_fortran_3d.npy"))
        XCTAssertEqual(t3.shape, [2, 3, 4])
        XCTAssertEqual(t3.floats(), (0..<24).map(Float.init), "Fortran order is rearranged into C order")
        let t2 = try NPY.read(fixture("npy_fortran_2d.npy"))
        XCTAssertEqual(t2.shape, [2, 3])
        XCTAssertEqual(t2.doubles(), [0, 0.25, 0.5, 0.75, 1, 1.25])
    }

    func testReadsBigEndian() throws {
        let f = try NPY.read(fixture("npy_big_f4.npy"))
        XCTAssertEqual(f.dtype, .f32)
        XCTAssertEqual(f.floats(), ramp(6, 0.5).map(Float.init))
        let i = try NPY.read(fixture("npy_big_i8.npy"))
        XCTAssertEqual(i.dtype, .i64)
        XCTAssertEqual(try i.int64s(), [-3, -2, -1, 0, 1, 2].map { $0 * 1_000_000_000_000 })
        let bf = try NPY.read(fixture("npy_big_fortran_f8.npy"))
        XCTAssertEqual(bf.doubles(), [0, 0.25, 0.5, 0.75, 1, 1.25])
        // Written back little-endian, C order.
        XCTAssertEqual(try NPY.decode(NPY.encode(bf), source: "m"), bf)
    }

    // MARK: Round trips

    func testRoundTripEveryDType() throws {
        let dir = try temporaryDirectory(self)
        for (name, t) in try sampleTensors() {
            let url = dir.appendingPathComponent("\(name).npy")
            try NPY.write(t, to: url)
            let back = try NPY.read(url)
            if t.dtype == .bf16 {
                // BF16 has no numpy dtype: it is widened (exactly) to F32.
                XCTAssertEqual(back.dtype, .f32)
                XCTAssertEqual(back.shape, t.shape)
                XCTAssertEqual(back.floats().map(\.bitPattern), t.floats().map(\.bitPattern))
            } else {
                XCTAssertEqual(back, t, name)
            }
            XCTAssertEqual(try NPY.decode(NPY.encode(t), source: name).shape, t.shape)
        }
    }

    func testLongHeaderUsesVersion2() throws {
        let t = Tensor([Float](repeating: 1, count: 1), shape: [Int](repeating: 1, count: 25_000))
        let data = NPY.encode(t)
        XCTAssertEqual(data[6], 2)
        XCTAssertEqual(try NPY.decode(data, source: "m"), t)
    }

    func testLargeArrayIsAViewOfTheMapping() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("big.npy")
        let values = (0..<50_000).map { Float($0) }
        try NPY.write(Tensor(values, shape: [500, 100]), to: url)
        var t = try NPY.read(url)
        XCTAssertEqual(t.floats(), values)
        var bytes = t.bytes
        t = Tensor([Float](), shape: [0])
        bytes[3] = 0x7F
        XCTAssertEqual(try NPY.read(url).floats(), values, "mutating a copy never reaches the file")
    }

    // MARK: Hostile and corrupt files

    func testRefusesBadMagic() {
        var d = NPY.encode(Tensor([Float](arrayLiteral: 1), shape: [1]))
        d[1] = UInt8(ascii: "X")
        assertTensorIOError(["bad.npy:", "not a .npy file", "magic"]) { try NPY.decode(d, source: "bad.npy") }
        assertTensorIOError(["not a .npy file"]) { try NPY.decode(Data("PK\u{3}\u{4}".utf8), source: "x") }
    }

    func testRefusesUnsupportedVersion() {
        assertTensorIOError(["unsupported .npy format version 4.0"]) {
            var d = npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", data: [0, 0, 0, 0])
            d[6] = 4
            return try NPY.decode(d, source: "x")
        }
    }

    func testRefusesBadHeaderDictionary() {
        let cases: [(String, [String])] = [
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ",
                ["bad header dictionary", "header ends where a value was expected"]
            ),
            ("{'descr': '<f4', 'fortran_order': False 'shape': (2, 3)}", ["bad header dictionary", "expected ',' or '}' but found '''"]),
            ("{'descr': '<f4', 'fortran_order': Flase, 'shape': (2, 3)}", ["unexpected name 'Flase'"]),
            ("{'descr': '<f4', 'shape': (2, 3)}", ["keys are [\"descr\", \"shape\"], expected ['descr', 'fortran_order', 'shape']"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}", ["keys are"]),
            ("{'descr': '<f4', 'fortran_order': 'no', 'shape': (2, 3)}", ["'fortran_order' must be True or False, found the string 'no'"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3]}", ["'shape' must be a tuple of integers, found a list"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2.5,)}", ["expected an integer", "found a float"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': ('a',)}", ["'shape' entries must be integers, found the string 'a'"]),
            ("{'descr': 4, 'fortran_order': False, 'shape': (2,)}", ["'descr' must be a string"]),
            ("[1, 2]", ["expected a dictionary, found a list"]),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)} junk", ["unexpected 'j'"]),
            ("{'descr': '<f4", ["unterminated string"])
        ]
        for (dict, parts) in cases {
            assertTensorIOError(["h.npy:"] + parts) {
                try NPY.decode(npyBytes(dict, data: [UInt8](repeating: 0, count: 24)), source: "h.npy")
            }
        }
    }

    func testRefusesUnsupportedAndStructuredDTypes() {
        assertTensorIOError(["unsupported dtype '<c8'", "supported: f8 f4"]) {
            try NPY.decode(
                npyBytes("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 8)), source: "x")
        }
        assertTensorIOError(["unsupported dtype '<U3'"]) {
            try NPY.decode(
                npyBytes("{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", data: [UInt8](repeating: 0, count: 12)), source: "x")
        }
        assertTensorIOError(["structured dtypes", "not supported"]) {
            try NPY.decode(
                npyBytes(
                    "{'descr': [('a', '<f4'), ('b', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                    data: [UInt8](repeating: 0, count: 8)), source: "x")
        }
    }

    func testRefusesTruncatedData() {
        let good = NPY.encode(Tensor([Float](repeating: 1, count: 6), shape: [2, 3]))
        assertTensorIOError(["t.npy:", "truncated data: <f4 [2, 3] needs 24 bytes after the header, found 20"]) {
            try NPY.decode(good.prefix(good.count - 4), source: "t.npy")
        }
        var longer = good
        longer.append(contentsOf: [1, 2, 3])
        assertTensorIOError(["3 unexpected bytes after the data of <f4 [2, 3]"]) { try NPY.decode(longer, source: "t") }
        // Truncated inside the header.
        assertTensorIOError(["header length 118 extends beyond the end of the file (50 bytes)"]) {
            try NPY.decode(good.prefix(50), source: "t")
        }
        assertTensorIOError(["not a .npy file"]) { try NPY.decode(good.prefix(8), source: "t") }
    }

    func testRefusesNegativeAndOverflowingShapes() {
        assertTensorIOError(["negative dimension -1"]) {
            try NPY.decode(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 3), }"), source: "x")
        }
        assertTensorIOError(["shape [1099511627776, 1099511627776]", "overflows"]) {
            try NPY.decode(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }"), source: "x")
        }
        assertTensorIOError(["integer 99999999999999999999999 is out of range"]) {
            try NPY.decode(npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }"), source: "x")
        }
    }

    func testAcceptsPython2LongsAndDoubleQuotes() throws {
        let t = try NPY.decode(
            npyBytes("{\"descr\": \"<i2\", \"fortran_order\": False, \"shape\": (2L, 1L)}", data: [1, 0, 2, 0]), source: "x")
        XCTAssertEqual(t.shape, [2, 1])
        XCTAssertEqual(try t.int64s(), [1, 2])
    }
}
