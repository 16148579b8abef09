import Foundation
import TestSupport
import Workbench
import XCTest

/// Every kind of mistake in a probe is refused before anything runs, with file, line and a
/// plain message.
final class ProbeParserTests: XCTestCase {
    let good = """
        title = "t"
        data = "builtin:digits:test"
        seed = 3
        [models]
        a = "demo:mlp-1"
        [[run]]
        method = "summary"
        model = "a"
        """

    func parse(_ text: String) throws -> Probe { try Probe.parse(text, source: "p.toml") }

    func testAGoodProbe() throws {
        let p = try parse(good)
        XCTAssertEqual(p.title, "t")
        XCTAssertEqual(p.seed, 3)
        XCTAssertEqual(p.models["a"]?.reference, "demo:mlp-1")
        XCTAssertEqual(p.runs.count, 1)
        XCTAssertEqual(p.runs[0].parameters.string("model"), "a")
    }

    func testSyntaxErrorGivesItsLine() {
        assertThrowsMessage(try parse("title = \"t\"\nseed = = 3\n"), contains: ["p.toml:2:"])
    }

    func testUnknownTopLevelKey() {
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "seed = 3", with: "sead = 3")),
            contains: ["p.toml:3:", "unknown key 'sead'"])
    }

    func testWrongTypesAtTheTop() {
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "seed = 3", with: "seed = \"three\"")),
            contains: ["p.toml:3:", "seed must be a nonnegative integer"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "title = \"t\"", with: "title = 5")),
            contains: ["p.toml:1:", "title must be a string, got an integer"])
    }

    func testModels() {
        assertThrowsMessage(try parse("[[run]]\nmethod = \"summary\"\nmodel = \"a\"\n"), contains: ["missing [models]"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "demo:mlp-1", with: "demo:vit")),
            contains: ["p.toml:5:", "model 'a'", "unknown demo model 'demo:vit'"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "demo:mlp-1", with: "/no/such/model.safetensors")),
            contains: ["p.toml:5:", "no such model file"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "a = \"demo:mlp-1\"", with: "a = 7")),
            contains: ["p.toml:5:", "model 'a' must be"])
    }

    func testData() {
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "builtin:digits:test", with: "builtin:mnist")),
            contains: ["p.toml:2:", "unknown built-in data 'builtin:mnist'"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "builtin:digits:test", with: "missing.npy")),
            contains: ["p.toml:2:", "no such data file"])
    }

    func testRuns() {
        assertThrowsMessage(
            try parse(String(good.prefix(while: { $0 != "[" })) + "[models]\na = \"demo:mlp-1\"\n"),
            contains: ["no [[run]] sections"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "method = \"summary\"\n", with: "")),
            contains: ["p.toml:6:", "run 1: missing 'method'", "summary"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "method = \"summary\"", with: "method = \"sumary\"")),
            contains: ["p.toml:7:", "unknown method 'sumary'"])
    }

    func testMethodParameters() {
        assertThrowsMessage(
            try parse(good + "\nlayers = [\"fc1\"]\n"),
            contains: ["p.toml:9:", "run 1 (summary): unknown key 'layers'", "summary takes"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "model = \"a\"", with: "model = 1")),
            contains: ["p.toml:8:", "model must be a model name from [models], got an integer"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "model = \"a\"", with: "model = \"b\"")),
            contains: ["p.toml:8:", "no model named 'b' in [models]", "(there: a)"])
        assertThrowsMessage(
            try parse(good.replacingOccurrences(of: "model = \"a\"\n", with: "").replacingOccurrences(of: "model = \"a\"", with: "")),
            contains: ["run 1 (summary): missing 'model'"])
    }

    /// A list of 5 000 samples once ran for minutes; repeats were accepted.
    func testSampleListsAreBounded() {
        let lrp = good.replacingOccurrences(of: "method = \"summary\"", with: "method = \"lrp\"")
        let many = "[" + (0..<5000).map(String.init).joined(separator: ", ") + "]"
        assertThrowsMessage(try parse(lrp + "\nsamples = \(many)\n"), contains: ["samples names 5000 samples", "at most 64"])
        assertThrowsMessage(try parse(lrp + "\nsamples = [3, 1, 3]\n"), contains: ["samples names sample 3 twice"])
    }

    func testSecondRunErrorsNameTheirLine() {
        let text = good + "\n\n[[run]]\nmethod = \"summary\"\nmodel = \"a\"\ncolour = \"red\"\n"
        assertThrowsMessage(try parse(text), contains: ["p.toml:13:", "run 2 (summary): unknown key 'colour'"])
    }

    func testRelativePathsAreRelativeToTheProbe() throws {
        let dir = try temporaryDirectory(self)
        let probe = dir.appendingPathComponent("p.toml")
        try (good.replacingOccurrences(of: "builtin:digits:test", with: "d.csv")).write(to: probe, atomically: true, encoding: .utf8)
        try "1,2\n3,4\n".write(to: dir.appendingPathComponent("d.csv"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try Probe.load(probe).data, dir.appendingPathComponent("d.csv").path)
    }

    func testChoicesAreEnforced() {
        let cka = "[models]\na = \"demo:mlp-1\"\n[[run]]\nmethod = \"cka\"\nmodels = [\"a\"]\nkernel = \"polynomial\"\n"
        assertThrowsMessage(try parse(cka), contains: ["p.toml:6:", "run 1 (cka): kernel must be one of linear, rbf, got 'polynomial'"])
        let align = "[models]\na = \"demo:mlp-1\"\n[[run]]\nmethod = \"align\"\nmodels = [\"a\"]\nlayer_a = \"relu1\"\n"
        assertThrowsMessage(try parse(align), contains: ["run 1 (align): models must name two models"])
    }

    /// A method's own parameters never shadow the keys every run has.
    func testNoMethodParameterShadowsACommonKey() {
        for method in ProbeMethods.all {
            for p in method.parameters { XCTAssertFalse(["method", "title", "data"].contains(p.name), "\(method.name).\(p.name)") }
        }
    }
}
