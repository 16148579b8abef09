import Foundation
import TOML
import TestSupport
import XCTest

/// The TOML reader against Python's tomllib (Tests/Fixtures/toml/make_fixtures.py): the same
/// values, with integers and floats told apart, on every valid document, and an error on every
/// invalid one; then line numbers, and the inputs that once aborted the C++ TOML library.
final class TOMLTests: XCTestCase {
    struct Case: Decodable {
        let toml: String
        let value: Tagged?
        let error: Bool?
    }

    /// A value as the fixture writes it: {"integer": 3}, {"table": {...}}, …
    indirect enum Tagged: Decodable, Equatable {
        case string(String), integer(Int), float(Double), boolean(Bool), array([Tagged]), table([String: Tagged])

        init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            if let s = try c.decodeIfPresent(String.self, forKey: .string) {
                self = .string(s)
            } else if let i = try c.decodeIfPresent(Int.self, forKey: .integer) {
                self = .integer(i)
            } else if let b = try c.decodeIfPresent(Bool.self, forKey: .boolean) {
                self = .boolean(b)
            } else if let a = try c.decodeIfPresent([Tagged].self, forKey: .array) {
                self = .array(a)
            } else if let t = try c.decodeIfPresent([String: Tagged].self, forKey: .table) {
                self = .table(t)
            } else if let d = try? c.decode(Double.self, forKey: .float) {
                self = .float(d)
            } else {
                let s = try c.decode(String.self, forKey: .float)
                self = .float(s == "nan" ? .nan : s == "inf" ? .infinity : -.infinity)
            }
        }

        enum Key: String, CodingKey { case string, integer, float, boolean, array, table }

        init(_ v: TOMLValue) {
            switch v {
            case .string(let s): self = .string(s)
            case .integer(let i): self = .integer(i)
            case .float(let d): self = .float(d)
            case .boolean(let b): self = .boolean(b)
            case .array(let a): self = .array(a.map(Tagged.init))
            case .table(let t): self = .table(Dictionary(uniqueKeysWithValues: t.keys.map { ($0, Tagged(t[$0]!)) }))
            }
        }

        static func == (a: Tagged, b: Tagged) -> Bool {
            switch (a, b) {
            case (.string(let x), .string(let y)): return x == y
            case (.integer(let x), .integer(let y)): return x == y
            case (.float(let x), .float(let y)): return x == y || (x.isNaN && y.isNaN)
            case (.boolean(let x), .boolean(let y)): return x == y
            case (.array(let x), .array(let y)): return x == y
            case (.table(let x), .table(let y)): return x == y
            default: return false
            }
        }
    }

    func testAgreesWithPythonsTomllib() throws {
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: fixtures.appendingPathComponent("toml/cases.json")))
        XCTAssertEqual(cases.count, 100)
        for c in cases {
            if c.error == true {
                XCTAssertThrowsError(try TOML.parse(c.toml), "should be refused: \(c.toml.debugDescription)") { error in
                    XCTAssertTrue(error is TOMLError)
                    XCTAssertFalse("\(error)".contains("\n"), "one line: \(error)")
                }
            } else {
                do {
                    let parsed = try TOML.parse(c.toml)
                    XCTAssertEqual(Tagged(.table(parsed)), c.value, c.toml.debugDescription)
                } catch {
                    XCTFail("\(c.toml.debugDescription): \(error)")
                }
            }
        }
    }

    func testLinesOfKeysAndTables() throws {
        let t = try TOML.parse(
            """
            title = "x"

            [models]
            a = "demo:mlp-1"   # a comment
            b = { path = "m.safetensors" }

            [[run]]
            method = "summary"
            [[run]]
            model = \"\"\"
            multi
            line\"\"\"
            method = "cka"
            """)
        XCTAssertEqual(t.line(of: "title"), 1)
        XCTAssertEqual(t["models"]?.table?.line, 3)
        XCTAssertEqual(t["models"]?.table?.line(of: "b"), 5)
        XCTAssertEqual(t["models"]?.table?["b"]?.table?.line, 5)
        let runs = try XCTUnwrap(t["run"]?.array)
        XCTAssertEqual(runs.map { $0.table!.line }, [7, 9])
        XCTAssertEqual(runs[1].table?.line(of: "method"), 13, "lines are counted inside multi-line strings too")
        XCTAssertEqual(t.keys, ["title", "models", "run"], "keys keep the file's order")
    }

    func testMistakesSayWhere() {
        func error(_ text: String) -> TOMLError? {
            do { _ = try TOML.parse(text); return nil } catch { return error as? TOMLError }
        }
        XCTAssertEqual(error("a = 1\n\nb = [1, }")?.line, 3)
        XCTAssertEqual(error("a = 1\n\nb = [1, }")?.message, "expected a value, found '}'")
        XCTAssertEqual(error("a = 1\na = 2"), TOMLError(line: 2, column: 1, message: "key 'a' is defined twice"))
        XCTAssertEqual(error("x = 1\n[t]\n[t]")?.message, "table [t] is defined twice")
        XCTAssertEqual(error("x = 1\n[t]\n[t]")?.line, 3)
        XCTAssertEqual(error("a = 1979-05-27")?.message, "dates and times are not read here (found 1979-05-27)")
        XCTAssertEqual(error("a = 01")?.message.hasPrefix("'01' is not a value"), true)
        XCTAssertEqual(error("a = 99999999999999999999")?.message, "the integer 99999999999999999999 does not fit in 64 bits")
        XCTAssertEqual(error("[\\")?.message, "expected a key (letters, digits, _ or -, or a quoted key), found '\\'")
        XCTAssertEqual(error("a = \"x\u{7}\"")?.message, "a string may not hold the byte 0x07 (write it as an escape)")
    }

    /// Nesting and key depth are bounded, so that no input recurses without bound.
    func testDepthIsBounded() {
        let deep = "a = " + String(repeating: "[", count: 100_000)
        XCTAssertThrowsError(try TOML.parse(deep)) { XCTAssertTrue("\($0)".contains("nest more than 64 deep"), "\($0)") }
        let deepInline = "a = " + String(repeating: "{ b = ", count: 10_000)
        XCTAssertThrowsError(try TOML.parse(deepInline)) { XCTAssertTrue("\($0)".contains("nest more than 64 deep"), "\($0)") }
        let longKey = (0..<10_000).map { _ in "k" }.joined(separator: ".") + " = 1"
        XCTAssertThrowsError(try TOML.parse(longKey)) { XCTAssertTrue("\($0)".contains("dotted parts"), "\($0)") }
        XCTAssertNoThrow(try TOML.parse("a = " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64)))
    }
}
