import Foundation
import TensorIO
import XCTest

final class SafeTensorsTests: XCTestCase {
    /// A safetensors buffer from a header string and a data buffer.
    func file(_ header: String, buffer: [UInt8] = []) -> Data {
        var d = Data.le(UInt64(header.utf8.count))
        d.append(Data(header.utf8))
        d.append(contentsOf: buffer)
        return d
    }

    func decode(_ header: String, buffer: [UInt8] = []) throws -> SafeTensorsFile {
        try SafeTensors.decode(file(header, buffer: buffer), source: "test.safetensors")
    }

    // MARK: Round trips

    func testRoundTripEveryDType() throws {
        let tensors = try sampleTensors()
        let original = SafeTensorsFile(tensors: tensors, metadata: ["loupe.arch": "{\"format\": \"loupe.arch/1\"}", "quote\"\n": "é ✓"])
        let encoded = SafeTensors.encode(original)
        let decoded = try SafeTensors.decode(encoded, source: "mem")
        XCTAssertEqual(decoded.tensors, tensors)
        XCTAssertEqual(decoded.metadata, original.metadata)
        XCTAssertEqual(decoded.order, tensors.keys.sorted(), "an empty order writes sorted names")
        for dtype in DType.allCases {
            XCTAssertTrue(decoded.tensors.values.contains { $0.dtype == dtype }, "\(dtype) not covered")
        }
        // Through a file, memory-mapped.
        let url = try temporaryDirectory(self).appendingPathComponent("all.safetensors")
        try SafeTensors.write(original, to: url)
        let read = try SafeTensors.read(url)
        XCTAssertEqual(read.tensors, tensors)
        XCTAssertEqual(read.metadata, original.metadata)
        XCTAssertEqual(read["f32"], tensors["f32"])
        XCTAssertNil(read["missing"])
        // Re-encoding what was read gives the same bytes.
        XCTAssertEqual(SafeTensors.encode(read), encoded)
    }

    func testHeaderIsPaddedToEightBytesAndCompact() throws {
        for name in ["a", "ab", "abc", "abcd", "abcde", "abcdef", "abcdefg", "abcdefgh"] {
            let data = SafeTensors.encode(SafeTensorsFile(tensors: [name: Tensor([Float](arrayLiteral: 1), shape: [1])]))
            let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            XCTAssertEqual(n % 8, 0)
            XCTAssertEqual(data.count, 8 + n + 4)
            let header = String(decoding: data[8..<8 + n], as: UTF8.self)
            XCTAssertTrue(header.hasPrefix("{\"\(name)\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}"), header)
            XCTAssertEqual(header.trimmingCharacters(in: .whitespaces).count + header.reversed().prefix { $0 == " " }.count, n)
        }
    }

    func testWriteOrderFollowsOrder() throws {
        var f = SafeTensorsFile(tensors: [
            "a": Tensor([Float](arrayLiteral: 1), shape: [1]),
            "b": Tensor([Float](arrayLiteral: 2), shape: [1]),
            "c": Tensor([Float](arrayLiteral: 3), shape: [1])
        ])
        f.order = ["c", "a", "gone"]
        let back = try SafeTensors.decode(SafeTensors.encode(f), source: "mem")
        XCTAssertEqual(back.order, ["c", "a", "b"], "listed names first, then the rest sorted; unknown names dropped")
        XCTAssertEqual(back["b"]?.floats(), [2])
    }

    // MARK: Fixtures from the safetensors package

    func testReadsFixtureFromSafetensorsNumpy() throws {
        let f = try SafeTensors.read(fixture("numpy.safetensors"))
        XCTAssertEqual(
            f.metadata,
            [
                "loupe.arch": "{\"format\": \"loupe.arch/1\", \"name\": \"fixture\"}",
                "note": "made by make_fixtures.py"
            ])
        XCTAssertEqual(Set(f.order), ["w", "b", "h", "i64", "i32", "i16", "i8", "u8", "mask", "scalar", "empty"])
        XCTAssertEqual(f.order.count, 11)
        XCTAssertEqual(f["w"]?.shape, [2, 3])
        XCTAssertEqual(f["w"]?.dtype, .f32)
        XCTAssertEqual(f["w"]?.floats(), [-1.5, -1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(f["b"]?.dtype, .f64)
        XCTAssertEqual(f["b"]?.doubles(), [0.1, -0.2, 0.3])
        XCTAssertEqual(f["h"]?.dtype, .f16)
        XCTAssertEqual(f["h"]?.floats(), [-0.25, -0.125, 0, 0.125])
        XCTAssertEqual(try f["i64"]?.int64s(), [-(1 << 40), 0, 1 << 40])
        XCTAssertEqual(f["i32"]?.dtype, .i32)
        XCTAssertEqual(try f["i32"]?.int64s(), [-7, 8])
        XCTAssertEqual(try f["i16"]?.int64s(), [-300, 300])
        XCTAssertEqual(try f["i8"]?.int64s(), [-128, 127])
        XCTAssertEqual(try f["u8"]?.int64s(), [0, 255])
        XCTAssertEqual(f["mask"]?.dtype, .bool)
        XCTAssertEqual(f["mask"]?.floats(), [1, 0, 1])
        XCTAssertEqual(f["scalar"]?.shape, [])
        XCTAssertEqual(f["scalar"]?.floats(), [2.5])
        XCTAssertEqual(f["empty"]?.shape, [0, 3])
        XCTAssertEqual(f["empty"]?.elementCount, 0)
        // Offsets order: the file's order is increasing data offset.
        XCTAssertEqual(f.order.first, "i64")
    }

    func testReadsBF16FixtureFromSafetensorsSerializer() throws {
        let f = try SafeTensors.read(fixture("bf16.safetensors"))
        XCTAssertEqual(f["bf"]?.dtype, .bf16)
        XCTAssertEqual(f["bf"]?.shape, [2, 2])
        XCTAssertEqual(f["bf"]?.floats(), [1.0, -2.5, 0.15625, Float(bitPattern: Float(3.0e38).bitPattern & 0xFFFF_0000)])
        XCTAssertEqual(f["f"]?.floats(), [1, 2])
        XCTAssertEqual(f.metadata, [:])
        XCTAssertEqual(f.order, ["f", "bf"])
    }

    func testMappedTensorsAreZeroBasedAndSafeToMutate() throws {
        let url = try temporaryDirectory(self).appendingPathComponent("big.safetensors")
        let values = (0..<10_000).map(Float.init)
        try SafeTensors.write(
            SafeTensorsFile(tensors: [
                "x": Tensor(values, shape: [100, 100]),
                "y": Tensor([Float](arrayLiteral: 1), shape: [1])
            ]), to: url)
        let original = try Data(contentsOf: url)
        var bytes: Data
        do {
            let f = try SafeTensors.read(url)
            XCTAssertEqual(f["x"]?.floats(), values)
            bytes = f["x"]!.bytes
        }
        XCTAssertEqual(bytes.startIndex, 0)
        XCTAssertEqual(bytes.count, 40_000)
        bytes[0] = 0xFF  // possibly the only reference now: must not fault, must not reach the file
        XCTAssertEqual(bytes[0], 0xFF)
        XCTAssertEqual(try Data(contentsOf: url), original)
    }

    // MARK: Hostile and corrupt files

    func testRefusesHeaderLengthTwoToTheSixtyThree() {
        var d = Data.le(UInt64(1) << 63)
        d.append(Data("{}".utf8))
        assertTensorIOError(["test.safetensors:", "header length 9223372036854775808", "100000000-byte limit"]) {
            try SafeTensors.decode(d, source: "test.safetensors")
        }
        var d2 = Data.le(UInt64(100_000_001))
        d2.append(Data("{}".utf8))
        assertTensorIOError(["header length 100000001", "limit"]) { try SafeTensors.decode(d2, source: "x") }
    }

    func testRefusesHeaderLengthBeyondFile() {
        var d = Data.le(UInt64(1000))
        d.append(Data("{\"a\":1}".utf8))
        assertTensorIOError(["header length 1000 extends beyond the end of the file (15 bytes"]) {
            try SafeTensors.decode(d, source: "t")
        }
    }

    func testRefusesTooShortFile() {
        assertTensorIOError(["too short (3 bytes)"]) { try SafeTensors.decode(Data([1, 2, 3]), source: "t") }
        let url = fixturesDirectory.appendingPathComponent("does-not-exist.safetensors")
        assertTensorIOError(["does-not-exist.safetensors", "cannot open", "No such file"]) { try SafeTensors.read(url) }
    }

    func testRefusesBadJSON() {
        assertTensorIOError(["test.safetensors:", "header is not valid JSON"]) { try self.decode("{\"a\": [1,}") }
        assertTensorIOError(["does not start with '{'"]) { try self.decode("[1, 2]  ") }
        assertTensorIOError(["not valid UTF-8"]) {
            var d = Data.le(UInt64(4)); d.append(contentsOf: [0x7B, 0xFF, 0xFE, 0x7D])
            return try SafeTensors.decode(d, source: "t")
        }
        assertTensorIOError(["tensor 'a'", "must be an object"]) { try self.decode("{\"a\": 3}") }
        assertTensorIOError(["tensor 'a'", "missing or non-string \"dtype\""]) {
            try self.decode(#"{"a": {"shape": [1], "data_offsets": [0, 4]}}"#, buffer: [0, 0, 0, 0])
        }
        assertTensorIOError(["tensor 'a'", "\"data_offsets\" must be an array [begin, end]"]) {
            try self.decode(#"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0]}}"#, buffer: [0, 0, 0, 0])
        }
        assertTensorIOError(["tensor 'a'", "shape entry true is not an integer"]) {
            try self.decode(#"{"a": {"dtype": "F32", "shape": [true], "data_offsets": [0, 4]}}"#, buffer: [0, 0, 0, 0])
        }
        assertTensorIOError(["tensor 'a'", "shape entry 1.5 is not an integer"]) {
            try self.decode(#"{"a": {"dtype": "F32", "shape": [1.5], "data_offsets": [0, 4]}}"#, buffer: [0, 0, 0, 0])
        }
    }

    func testRefusesUnknownDType() {
        assertTensorIOError(["tensor 'a'", "unsupported dtype 'C64'", "supported: F64, F32"]) {
            try self.decode(#"{"a": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}"#, buffer: [UInt8](repeating: 0, count: 8))
        }
    }

    func testRefusesNonStringMetadata() {
        assertTensorIOError(["__metadata__ value for 'n' must be a string, found the number 1"]) {
            try self.decode(#"{"__metadata__": {"n": 1}}"#)
        }
        assertTensorIOError(["__metadata__ must be an object of strings, found an array"]) {
            try self.decode(#"{"__metadata__": ["a"]}"#)
        }
        // null metadata is allowed (the python library reads it as None).
        XCTAssertEqual(try decode(#"{"__metadata__": null}"#).metadata, [:])
    }

    func testRefusesDeclaredSizesBeyondTheFile() {
        assertTensorIOError(["tensor 'a'", "data_offsets [0, 400] extend beyond the data buffer (16 bytes)"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [100], "data_offsets": [0, 400]}}"#,
                buffer: [UInt8](repeating: 0, count: 16))
        }
    }

    func testRefusesTruncatedFile() throws {
        let good = SafeTensors.encode(SafeTensorsFile(tensors: ["a": Tensor([Float](arrayLiteral: 1, 2, 3), shape: [3])]))
        assertTensorIOError(["tensor 'a'", "data_offsets [0, 12] extend beyond the data buffer (8 bytes)"]) {
            try SafeTensors.decode(good.prefix(good.count - 4), source: "t")
        }
        let url = try temporaryDirectory(self).appendingPathComponent("cut.safetensors")
        try good.prefix(20).write(to: url)
        assertTensorIOError([url.path, "header length"]) { try SafeTensors.read(url) }
    }

    func testRefusesOffsetsThatDoNotMatchShape() {
        assertTensorIOError(["tensor 'a'", "data_offsets [0, 12] hold 12 bytes but F32 [2] needs 8"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}"#,
                buffer: [UInt8](repeating: 0, count: 12))
        }
        assertTensorIOError(["tensor 'a'", "data_offsets [8, 4]: begin is after end"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [8, 4]}}"#,
                buffer: [UInt8](repeating: 0, count: 8))
        }
        assertTensorIOError(["tensor 'a'", "must be non-negative integers"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [-4, 0]}}"#,
                buffer: [UInt8](repeating: 0, count: 8))
        }
    }

    func testRefusesOverlappingOffsets() {
        let header =
            #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}"#
        assertTensorIOError(["tensor 'b' (data_offsets [4, 12]) overlaps tensor 'a', which ends at 8"]) {
            try self.decode(header, buffer: [UInt8](repeating: 0, count: 12))
        }
        let same =
            #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "I64", "shape": [1], "data_offsets": [0, 8]}}"#
        assertTensorIOError(["overlaps tensor 'a'"]) { try self.decode(same, buffer: [UInt8](repeating: 0, count: 8)) }
    }

    func testRefusesGapsAndUncoveredBytes() {
        let gap =
            #"{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, "b": {"dtype": "F32", "shape": [2], "data_offsets": [12, 20]}}"#
        assertTensorIOError(["gap of 4 bytes after tensor 'a': tensor 'b' starts at 12, expected 8"]) {
            try self.decode(gap, buffer: [UInt8](repeating: 0, count: 20))
        }
        let leading = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}"#
        assertTensorIOError(["gap of 4 bytes at the start of the data buffer"]) {
            try self.decode(leading, buffer: [UInt8](repeating: 0, count: 8))
        }
        let trailing = #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}"#
        assertTensorIOError(["data buffer has 12 bytes but the tensors cover only 4 (8 bytes unaccounted for)"]) {
            try self.decode(trailing, buffer: [UInt8](repeating: 0, count: 12))
        }
    }

    func testRefusesNegativeAndOverflowingShapes() {
        assertTensorIOError(["tensor 'a'", "negative dimension -1"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [-1, 2], "data_offsets": [0, 8]}}"#,
                buffer: [UInt8](repeating: 0, count: 8))
        }
        assertTensorIOError(["tensor 'a'", "shape [4294967296, 4294967296, 4]", "overflows"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [4294967296, 4294967296, 4], "data_offsets": [0, 8]}}"#,
                buffer: [UInt8](repeating: 0, count: 8))
        }
        assertTensorIOError(["tensor 'a'", "overflows"]) {  // elements fit in Int, bytes do not
            try self.decode(
                #"{"a": {"dtype": "F64", "shape": [2305843009213693952], "data_offsets": [0, 8]}}"#,
                buffer: [UInt8](repeating: 0, count: 8))
        }
        assertTensorIOError(["tensor 'a'", "shape entry 18446744073709551616 is not an integer in range"]) {
            try self.decode(
                #"{"a": {"dtype": "F32", "shape": [18446744073709551616], "data_offsets": [0, 8]}}"#,
                buffer: [UInt8](repeating: 0, count: 8))
        }
    }

    func testAcceptsZeroSizedTensorsAnywhere() throws {
        let header =
            #"{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "z": {"dtype": "F32", "shape": [0, 3], "data_offsets": [4, 4]}, "b": {"dtype": "U8", "shape": [1], "data_offsets": [4, 5]}}"#
        let f = try decode(header, buffer: [0, 0, 0x80, 0x3F, 9])
        XCTAssertEqual(f.order, ["a", "z", "b"])
        XCTAssertEqual(f["a"]?.floats(), [1])
        XCTAssertEqual(f["z"]?.shape, [0, 3])
        XCTAssertEqual(try f["b"]?.int64s(), [9])
    }
}
