import Foundation
import TensorIO
import XCTest

final class NPZTests: XCTestCase {
    func checkFixture(_ tensors: [String: Tensor]) throws {
        XCTAssertEqual(Set(tensors.keys), ["x", "y"])
        XCTAssertEqual(tensors["x"]?.dtype, .f32)
        XCTAssertEqual(tensors["x"]?.shape, [4, 3])
        XCTAssertEqual(tensors["x"]?.floats(), (0..<12).map { Float($0) / 4 })
        XCTAssertEqual(tensors["y"]?.dtype, .i64)
        XCTAssertEqual(try tensors["y"]?.int64s(), [3, 1, 4, 1])
    }

    func testReadsSavez() throws { try checkFixture(NPZ.read(fixture("savez.npz"))) }

    func testReadsSavezCompressed() throws { try checkFixture(NPZ.read(fixture("savez_compressed.npz"))) }

    func testRoundTripEveryDTypeStoredAndCompressed() throws {
        let dir = try temporaryDirectory(self)
        var tensors = try sampleTensors()
        tensors["big"] = Tensor((0..<5000).map { Float($0).squareRoot() }, shape: [50, 100])
        for compressed in [false, true] {
            let url = dir.appendingPathComponent("all-\(compressed).npz")
            try NPZ.write(tensors, to: url, compressed: compressed)
            let back = try NPZ.read(url)
            XCTAssertEqual(Set(back.keys), Set(tensors.keys))
            for (name, t) in tensors {
                if t.dtype == .bf16 {
                    XCTAssertEqual(back[name], t.converted(to: .f32), "BF16 is widened to F32 in .npz")
                } else {
                    XCTAssertEqual(back[name], t, name)
                }
            }
        }
        let stored = try Data(contentsOf: dir.appendingPathComponent("all-false.npz"))
        let deflated = try Data(contentsOf: dir.appendingPathComponent("all-true.npz"))
        XCTAssertLessThan(deflated.count, stored.count)
        // Reproducible: the same tensors give the same bytes.
        try NPZ.write(tensors, to: dir.appendingPathComponent("again.npz"))
        XCTAssertEqual(try Data(contentsOf: dir.appendingPathComponent("again.npz")), stored)
    }

    func testRefusesZipThatIsNotAZip() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("fake.npz")
        try Data("this is not a zip archive at all".utf8).write(to: url)
        assertTensorIOError([url.path, "not a valid .npz (zip) archive"]) { try NPZ.read(url) }
        // A real .npy is not a zip either.
        let npy = dir.appendingPathComponent("array.npz")
        try NPY.encode(Tensor([Float](arrayLiteral: 1), shape: [1])).write(to: npy)
        assertTensorIOError([npy.path, "not a valid .npz (zip) archive"]) { try NPZ.read(npy) }
        assertTensorIOError(["missing.npz", "no such file"]) { try NPZ.read(dir.appendingPathComponent("missing.npz")) }
    }

    func testRefusesTruncatedZip() throws {
        let data = try Data(contentsOf: fixture("savez.npz"))
        let url = try temporaryDirectory(self).appendingPathComponent("cut.npz")
        try data.prefix(data.count / 2).write(to: url)
        assertTensorIOError([url.path, "not a valid .npz (zip) archive"]) { try NPZ.read(url) }
    }

    func testRefusesCorruptMember() throws {
        // Flip one byte of x's data inside the stored archive: the CRC no longer matches.
        var data = try Data(contentsOf: fixture("savez.npz"))
        let magic = Data([0x93] + Array("NUMPY".utf8))
        let start = try XCTUnwrap(data.range(of: magic)).lowerBound
        data[start + 130] ^= 0xFF
        let url = try temporaryDirectory(self).appendingPathComponent("flipped.npz")
        try data.write(to: url)
        assertTensorIOError([url.path + "[", ".npy]", "CRC-32 mismatch"]) { try NPZ.read(url) }

        // A member whose .npy is damaged but whose CRC is consistent: the .npy reader refuses it,
        // and the error names the archive and the member.
        var bad = try Data(contentsOf: fixture("savez.npz"))
        bad[start + 1] = UInt8(ascii: "X")
        let length = 10 + Int(bad[start + 8]) + Int(bad[start + 9]) << 8 + 48
        let crc = crc32(bad[start..<start + length])
        let local = try XCTUnwrap(bad.range(of: Data("PK\u{3}\u{4}".utf8), options: .backwards, in: 0..<start)).lowerBound
        let central = try XCTUnwrap(bad.range(of: Data("PK\u{1}\u{2}".utf8))).lowerBound
        bad.replaceSubrange(local + 14..<local + 18, with: Data.le(crc))
        bad.replaceSubrange(central + 16..<central + 20, with: Data.le(crc))
        try bad.write(to: url)
        assertTensorIOError([url.path + "[x.npy]", "not a .npy file"]) { try NPZ.read(url) }
    }
}

/// CRC-32 (IEEE), as zip uses.
func crc32(_ bytes: Data) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for b in bytes {
        crc ^= UInt32(b)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
    }
    return ~crc
}
