import Interpret
import TestSupport
import XCTest

final class InterpretErrorTests: XCTestCase {
    func testMessageIsTheDescription() {
        assertThrowsMessage(try { throw InterpretError("layer 'fc9' does not exist") }(), contains: ["fc9"])
    }
}
