import Foundation
import TensorIO
import XCTest

/// Tests/Fixtures/tensorio, found from this file's path.
let fixturesDirectory: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()  // TensorIOTests
    .deletingLastPathComponent()  // Tests
    .appendingPathComponent("Fixtures/tensorio")

func fixture(_ name: String) -> URL { fixturesDirectory.appendingPathComponent(name) }

/// A fresh temporary directory, removed when the test ends.
func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let dir = FileManager.default.temporaryDirectory
        .appendingPathComponent("TensorIOTests-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
    return dir
}

/// Asserts that `body` throws a `TensorIOError` whose description contains every one of `parts`,
/// and returns it.
@discardableResult
func assertTensorIOError<T>(
    _ parts: [String], file: StaticString = #filePath, line: UInt = #line,
    _ body: () throws -> T
) -> TensorIOError? {
    do {
        let value = try body()
        XCTFail("expected an error containing \(parts), got \(value)", file: file, line: line)
        return nil
    } catch let error as TensorIOError {
        for part in parts where !error.description.contains(part) {
            XCTFail("error \"\(error.description)\" does not contain \"\(part)\"", file: file, line: line)
        }
        XCTAssertFalse(error.description.contains("\n"), "error is not one line: \(error.description)", file: file, line: line)
        return error
    } catch {
        XCTFail("expected a TensorIOError, got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}

/// One tensor of each dtype with awkward values (negatives, extremes, non-representable decimals).
func sampleTensors() throws -> [String: Tensor] {
    func raw(_ dtype: DType, _ shape: [Int], _ bytes: [UInt8]) throws -> Tensor {
        try Tensor(shape: shape, dtype: dtype, bytes: Data(bytes))
    }
    let f16 = [Float16(1.5), -0.0999755859375, 65504, .leastNonzeroMagnitude, -.infinity, 3]
    let bf16: [UInt16] = [0x3F80, 0xC020, 0x7F7F, 0x0001, 0xFF80, 0x3E20]
    return [
        "f64": Tensor([0.1, -2.5e-300, .greatestFiniteMagnitude, -0.0, 1e10, 3], shape: [2, 3]),
        "f32": Tensor([Float](arrayLiteral: 0.1, -1, .infinity, Float(bitPattern: 0x0001_0000), 7, 8), shape: [3, 2]),
        "f16": try raw(.f16, [6], f16.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }),
        "bf16": try raw(.bf16, [2, 3], bf16.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }),
        "i64": Tensor([Int64.min, -1, 0, Int64.max], shape: [4]),
        "i32": Tensor([Int32.min, -7, 0, Int32.max], shape: [2, 2]),
        "i16": try raw(.i16, [3], [0x00, 0x80, 0xFF, 0xFF, 0xFF, 0x7F]),  // -32768, -1, 32767
        "i8": try raw(.i8, [4], [0x80, 0xFF, 0x00, 0x7F]),
        "u8": try raw(.u8, [2, 2], [0, 1, 128, 255]),
        "bool": try raw(.bool, [3], [1, 0, 1]),
        "scalar": Tensor([Float](arrayLiteral: 2.5), shape: []),
        "empty": Tensor([Float](), shape: [0, 4])
    ]
}

extension Data {
    /// Little-endian bytes of an integer.
    static func le<T: FixedWidthInteger>(_ v: T) -> Data { Swift.withUnsafeBytes(of: v.littleEndian) { Data($0) } }
}
