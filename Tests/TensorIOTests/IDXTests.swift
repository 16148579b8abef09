import Foundation
import TensorIO
import XCTest

final class IDXTests: XCTestCase {
    func testReadsMNISTStyleFixtures() throws {
        let images = try IDX.read(fixture("images.idx3-ubyte"))
        XCTAssertEqual(images.dtype, .u8)
        XCTAssertEqual(images.shape, [3, 4, 4])
        XCTAssertEqual(try images.int64s(), (0..<48).map { Int64($0 * 5 % 256) })
        let labels = try IDX.read(fixture("labels.idx1-ubyte"))
        XCTAssertEqual(labels.shape, [3])
        XCTAssertEqual(try labels.int64s(), [7, 2, 1])
        let floats = try IDX.read(fixture("floats.idx"))
        XCTAssertEqual(floats.dtype, .f32)
        XCTAssertEqual(floats.shape, [2, 3])
        XCTAssertEqual(floats.floats(), [-1.5, -1, -0.5, 0, 0.5, 1])
        let shorts = try IDX.read(fixture("shorts.idx"))
        XCTAssertEqual(shorts.dtype, .i16)
        XCTAssertEqual(try shorts.int64s(), [-3000, -2000, -1000, 0, 1000, 2000])
        // Writing gives back the same bytes.
        for name in ["images.idx3-ubyte", "labels.idx1-ubyte", "floats.idx", "shorts.idx"] {
            XCTAssertEqual(try IDX.encode(IDX.read(fixture(name))), try Data(contentsOf: fixture(name)), name)
        }
    }

    func testRoundTripEverySupportedDType() throws {
        let dir = try temporaryDirectory(self)
        for (name, t) in try sampleTensors() {
            let url = dir.appendingPathComponent("\(name).idx")
            if [.i64, .f16, .bf16, .bool].contains(t.dtype) {
                assertTensorIOError([url.path, "IDX has no type for \(t.dtype.rawValue)"]) { try IDX.write(t, to: url) }
                XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
                continue
            }
            try IDX.write(t, to: url)
            XCTAssertEqual(try IDX.read(url), t, name)
        }
        let big = Tensor((0..<10_000).map { Double($0) / 7 }, shape: [100, 100])
        let url = dir.appendingPathComponent("big.idx")
        try IDX.write(big, to: url)
        XCTAssertEqual(try IDX.read(url), big)
    }

    func testRefusesCorruptFiles() throws {
        let good = try Data(contentsOf: fixture("floats.idx"))
        assertTensorIOError(["f.idx:", "truncated data: F32 [2, 3] needs 24 bytes after the header, found 20"]) {
            try IDX.decode(good.prefix(good.count - 4), source: "f.idx")
        }
        assertTensorIOError(["file ends inside the dimensions"]) { try IDX.decode(good.prefix(10), source: "f") }
        assertTensorIOError(["too short"]) { try IDX.decode(good.prefix(2), source: "f") }
        var badMagic = good; badMagic[0] = 1
        assertTensorIOError(["not an IDX file", "0x01 0x00"]) { try IDX.decode(badMagic, source: "f") }
        var badType = good; badType[2] = 0x0A
        assertTensorIOError(["unknown IDX type code 0x0a"]) { try IDX.decode(badType, source: "f") }
        assertTensorIOError(["gzip file", "gunzip"]) { try IDX.decode(Data([0x1F, 0x8B, 8, 0, 0, 0]), source: "f") }
        var extra = good; extra.append(0)
        assertTensorIOError(["1 unexpected bytes after the data"]) { try IDX.decode(extra, source: "f") }
        // Dimensions whose product overflows.
        var huge = Data([0, 0, 0x0E, 3])
        for _ in 0..<3 { huge.append(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF]) }
        assertTensorIOError(["shape [4294967295, 4294967295, 4294967295]", "overflows"]) { try IDX.decode(huge, source: "f") }
    }
}
