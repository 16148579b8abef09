import Foundation
import TestSupport
import Workbench
import XCTest

/// SHA-256 through libcrypto: the FIPS 180-2 test vectors, and a file read in several chunks.
final class FileDigestTests: XCTestCase {
    func testKnownVectors() {
        XCTAssertEqual(FileDigest.sha256(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(FileDigest.sha256(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(
            FileDigest.sha256(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// A million 'a' (FIPS 180-2), and the same bytes as a file larger than one read (1 MiB).
    func testAFileInChunks() throws {
        let million = Data(repeating: UInt8(ascii: "a"), count: 1_000_000)
        let expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        XCTAssertEqual(FileDigest.sha256(million), expected)
        let url = try temporaryDirectory(self).appendingPathComponent("a.bin")
        var twice = million
        twice.append(million)
        try twice.write(to: url)
        XCTAssertEqual(try FileDigest.sha256(url), FileDigest.sha256(twice))
        XCTAssertNotEqual(try FileDigest.sha256(url), expected)
        try million.write(to: url)
        XCTAssertEqual(try FileDigest.sha256(url), expected)
    }
}
