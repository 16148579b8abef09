import Foundation
import TensorIO
import XCTest

final class AtomicFileTests: XCTestCase {
    func testWritesAndReplacesWithoutLeavingTemporaryFiles() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("out.bin")
        try AtomicFile.write(Data([1, 2, 3]), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data([1, 2, 3]))
        try AtomicFile.write(Data(), to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data())
        try AtomicFile.write(Data(repeating: 7, count: 1 << 20), to: url)
        XCTAssertEqual(try Data(contentsOf: url).count, 1 << 20)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["out.bin"])
    }

    func testReportsUnwritableDestination() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("no/such/dir/out.bin")
        assertTensorIOError([url.path, "cannot create a temporary file", "No such file or directory"]) {
            try AtomicFile.write(Data([1]), to: url)
        }
        // Renaming over a directory fails, and the temporary file is removed.
        let sub = dir.appendingPathComponent("sub")
        try FileManager.default.createDirectory(at: sub, withIntermediateDirectories: false)
        try Data([0]).write(to: sub.appendingPathComponent("keep"))
        assertTensorIOError([sub.path, "cannot rename"]) { try AtomicFile.write(Data([1]), to: sub) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["sub"])
    }
}
