import Foundation
import XCTest

/// The shared fixture folder, Tests/Fixtures.
public let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures")

/// Asserts that `body` throws an error whose one-line message contains every one of `parts`.
public func assertThrowsMessage(
    _ body: @autoclosure () throws -> Any, contains parts: [String],
    file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertThrowsError(try body(), file: file, line: line) { error in
        let text = "\(error)"
        XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
        for p in parts { XCTAssertTrue(text.contains(p), "'\(p)' not in: \(text)", file: file, line: line) }
    }
}

/// A fresh temporary directory, removed when the test ends.
public func temporaryDirectory(_ test: XCTestCase) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    test.addTeardownBlock { try? FileManager.default.removeItem(at: url) }
    return url
}

/// −ln softmax(logits)[target], in Float64 with the largest logit subtracted: a language model's
/// loss on one token, computed by the tests on their own.
public func tokenLoss(_ logits: some Collection<Float>, target: Int) -> Double {
    let z = logits.map(Double.init)
    let top = z.max() ?? 0
    return top + log(z.reduce(0) { $0 + exp($1 - top) }) - z[target]
}
