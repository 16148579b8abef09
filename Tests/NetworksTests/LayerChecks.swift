import Foundation
import Networks
import XCTest

/// Checks the layer tests share: values against a reference, and one layer's refusal.
extension XCTestCase {
    /// |a − b| ≤ tolerance · max(1, |b|) for every pair.
    func assertClose(_ actual: [Double], _ expected: [Double], _ tolerance: Double, _ what: String, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, what, line: line)
        let worst = zip(actual, expected).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, what, line: line)
    }

    /// A network of the one layer `layer` (its JSON) on samples of shape `input`, built
    /// untrained, is refused with a message that contains each of `messages`.
    func assertLayerRefused(_ layer: String, input: [Int], _ messages: String..., line: UInt = #line) throws {
        let json = #"{"format": "loupe.arch/1", "name": "m", "input": {"shape": \#(input)}, "layers": [\#(layer)]}"#
        let spec = try ArchitectureSpec.decode(Data(json.utf8), source: "m.json")
        XCTAssertThrowsError(try NetworkFile.untrained(spec, seed: 1), line: line) {
            for message in messages { XCTAssertTrue("\($0)".contains(message), "\($0)", line: line) }
        }
    }
}
