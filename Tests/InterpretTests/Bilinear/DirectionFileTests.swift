import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// Directions from numpy, safetensors and CSV files: vectors, matrices, named tensors.
final class DirectionFileTests: XCTestCase {
    func testReadsEachFormat() throws {
        let dir = try temporaryDirectory(self)
        let fromNumpy = try DirectionFile.read(fixtures.appendingPathComponent("bilinear/directions.npy").path)
        XCTAssertEqual(fromNumpy.rows.shapeDescription, "2×7")
        XCTAssertEqual(fromNumpy.labels, ["directions.npy[0]", "directions.npy[1]"])

        let vector = dir.appendingPathComponent("u.npy")
        try NPY.write(Tensor([Float(1), 2, 3], shape: [3]), to: vector)
        let one = try DirectionFile.read(vector.path)
        XCTAssertEqual(one.rows, Matrix(row: [1, 2, 3]))
        XCTAssertEqual(one.labels, ["u.npy"])

        let sae = dir.appendingPathComponent("sae.safetensors")
        try SafeTensors.write(
            SafeTensorsFile(tensors: [
                "W_dec": Tensor([1.0, 0, 0, 1], shape: [2, 2]), "b_dec": Tensor([5.0, 6], shape: [2])
            ]), to: sae)
        let decoder = try DirectionFile.read(sae.path + ":W_dec")
        XCTAssertEqual(decoder.rows, Matrix([[1, 0], [0, 1]]))
        XCTAssertEqual(decoder.labels, ["W_dec[0]", "W_dec[1]"])

        let npz = dir.appendingPathComponent("d.npz")
        try NPZ.write(["contrast": Tensor([0.5, -0.5], shape: [2])], to: npz)
        XCTAssertEqual(try DirectionFile.read(npz.path).rows, Matrix(row: [0.5, -0.5]))

        let column = dir.appendingPathComponent("u.csv")
        try Data("0.25\n-1\n2\n".utf8).write(to: column)
        XCTAssertEqual(try DirectionFile.read(column.path).rows, Matrix(row: [0.25, -1, 2]))
        let table = dir.appendingPathComponent("rows.csv")
        try Data("a,b\n1,2\n3,4\n".utf8).write(to: table)
        XCTAssertEqual(try DirectionFile.read(table.path).rows, Matrix([[1, 2], [3, 4]]))
    }

    func testRefusals() throws {
        let dir = try temporaryDirectory(self)
        assertThrowsMessage(
            try DirectionFile.read(dir.appendingPathComponent("none.npy").path), contains: ["none.npy", "no such direction file"])
        let text = dir.appendingPathComponent("u.txt")
        try Data("1 2".utf8).write(to: text)
        assertThrowsMessage(try DirectionFile.read(text.path), contains: ["u.txt", "unknown direction format '.txt'"])

        let several = dir.appendingPathComponent("several.safetensors")
        try SafeTensors.write(SafeTensorsFile(tensors: ["a": Tensor([1.0], shape: [1]), "b": Tensor([2.0], shape: [1])]), to: several)
        assertThrowsMessage(try DirectionFile.read(several.path), contains: ["several tensors (a, b)", "several.safetensors:NAME"])
        assertThrowsMessage(try DirectionFile.read(several.path + ":c"), contains: ["no tensor 'c'", "found: a, b"])

        let cube = dir.appendingPathComponent("cube.npy")
        try NPY.write(Tensor([Float](repeating: 1, count: 8), shape: [2, 2, 2]), to: cube)
        assertThrowsMessage(try DirectionFile.read(cube.path), contains: ["cube.npy", "not [2, 2, 2]"])
        assertThrowsMessage(try DirectionFile.read(cube.path + ":x"), contains: ["only .npz and .safetensors files hold named tensors"])

        let ints = dir.appendingPathComponent("ints.npy")
        try NPY.write(Tensor([Int64(1), 2], shape: [2]), to: ints)
        assertThrowsMessage(try DirectionFile.read(ints.path), contains: ["ints.npy", "floating point, not I64"])
    }
}
