import Foundation
import LinAlg
import TensorIO
import XCTest

final class NPYFileTests: XCTestCase {
    func testRowsOfCOrderFile() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("acts.npy")
        let values = (0..<600).map { Float($0) * 0.5 }
        try NPY.write(Tensor(values, shape: [20, 5, 6]), to: url)
        let f = try NPYFile(url)
        XCTAssertEqual(f.shape, [20, 5, 6])
        XCTAssertEqual(f.dtype, .f32)
        XCTAssertEqual(f.rowCount, 20)
        XCTAssertEqual(f.rowLength, 30)
        XCTAssertFalse(f.isFortranOrder)
        let block = f.rows(3..<6)
        XCTAssertEqual(block.rows, 3)
        XCTAssertEqual(block.cols, 30)
        XCTAssertEqual(block.storage, Array(values[90..<180]))
        let picked = f.rows([19, 0, 7, 7])
        XCTAssertEqual(picked.rows, 4)
        XCTAssertEqual(Array(picked.row(0)), Array(values[570..<600]))
        XCTAssertEqual(Array(picked.row(1)), Array(values[0..<30]))
        XCTAssertEqual(Array(picked.row(2)), Array(picked.row(3)))
        XCTAssertEqual(f.rows(0..<0).rows, 0)
        XCTAssertEqual(f.rows(0..<20), try NPY.read(url).matrix(Float.self))
    }

    func testConvertsOtherDTypes() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("i.npy")
        try NPY.write(Tensor([Int64](arrayLiteral: 1, -2, 3, -4, 5, -6), shape: [3, 2]), to: url)
        let f = try NPYFile(url)
        XCTAssertEqual(f.dtype, .i64)
        XCTAssertEqual(f.rows(1..<3).storage, [3, -4, 5, -6])
        XCTAssertEqual(f.rows([2]).storage, [5, -6])
    }

    func testFortranAndBigEndianFixtures() throws {
        let f3 = try NPYFile(fixture("npy_fortran_3d.npy"))
        XCTAssertTrue(f3.isFortranOrder)
        XCTAssertEqual(f3.rowCount, 2)
        XCTAssertEqual(f3.rowLength, 12)
        XCTAssertEqual(f3.rows(0..<2).storage, (0..<24).map(Float.init))
        XCTAssertEqual(f3.rows([1]).storage, (12..<24).map(Float.init))

        let be = try NPYFile(fixture("npy_big_f4.npy"))
        XCTAssertEqual(be.rows(0..<2).storage, [-1.5, -1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(be.rows([1, 0]).storage, [0, 0.5, 1, -1.5, -1, -0.5])

        let bf = try NPYFile(fixture("npy_big_fortran_f8.npy"))
        XCTAssertEqual(bf.rows([1, 0]).storage, [0.75, 1, 1.25, 0, 0.25, 0.5])

        let v = try NPYFile(fixture("npy_vector.npy"))
        XCTAssertEqual(v.rowCount, 3)
        XCTAssertEqual(v.rowLength, 1)
        XCTAssertEqual(v.rows(1..<3).storage, [-2.5, 4])
        let s = try NPYFile(fixture("npy_scalar.npy"))
        XCTAssertEqual(s.rowCount, 1)
        XCTAssertEqual(s.rows(0..<1).storage, [3.25])
    }

    func testRefusesCorruptFiles() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("cut.npy")
        let good = NPY.encode(Tensor([Float](repeating: 1, count: 6), shape: [2, 3]))
        try good.prefix(good.count - 1).write(to: url)
        assertTensorIOError([url.path, "truncated data: <f4 [2, 3] needs 24 bytes after the header, found 23"]) { try NPYFile(url) }
        let text = dir.appendingPathComponent("text.npy")
        try Data("hello, world".utf8).write(to: text)
        assertTensorIOError([text.path, "not a .npy file"]) { try NPYFile(text) }
        assertTensorIOError(["cannot open"]) { try NPYFile(dir.appendingPathComponent("missing.npy")) }
        assertTensorIOError(["not a regular file"]) { try NPYFile(dir) }
    }
}
