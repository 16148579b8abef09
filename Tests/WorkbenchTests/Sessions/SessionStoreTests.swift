import Foundation
import TestSupport
import Workbench
import XCTest

final class SessionStoreTests: XCTestCase {
    private func session(_ name: String, model: URL) throws -> Session {
        struct Settings: Codable { var sample = 7; var unitDetail = true }
        return Session(
            name: name, models: [try InputFile.recording("m.safetensors", file: model)],
            data: try InputFile.recording("builtin:digits:test", file: nil),
            tabs: [
                Session.Tab(kind: "overview", settings: .null),
                Session.Tab(kind: "activations", settings: try JSONValue(encoding: Settings()))
            ],
            activeTab: 1, settings: ["sidebar": .bool(false)])
    }

    func testSaveAndLoadRoundTrip() throws {
        let dir = try temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.safetensors")
        try Data("weights".utf8).write(to: model)
        let store = SessionStore(directory: dir.appendingPathComponent("Sessions"))
        let saved = try session("run-1", model: model)
        let url = try store.save(saved)
        XCTAssertEqual(url.path, dir.appendingPathComponent("Sessions/run-1/session.json").path)
        let loaded = try store.load("run-1")
        XCTAssertEqual(loaded, saved)
        // SHA-256 of the bytes "weights" (Python hashlib).
        XCTAssertEqual(loaded.models[0].sha256, "9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c")
        XCTAssertNil(loaded.data.sha256)
        XCTAssertEqual(store.names(), ["run-1"])
        struct Settings: Codable, Equatable { var sample: Int; var unitDetail: Bool }
        XCTAssertEqual(try loaded.tabs[1].settings.decode(Settings.self), Settings(sample: 7, unitDetail: true))
        // The write was atomic: nothing but the file is left behind.
        let entries = try FileManager.default.contentsOfDirectory(atPath: store.folder("run-1").path).sorted()
        XCTAssertEqual(entries, ["session.json"])
        XCTAssertEqual(loaded.changedInputs(), [])
    }

    func testChangedAndMissingFilesAreReported() throws {
        let dir = try temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.safetensors")
        try Data("weights".utf8).write(to: model)
        let s = try session("s", model: model)
        try Data("other weights".utf8).write(to: model)
        XCTAssertEqual(s.changedInputs(), ["m.safetensors: \(model.path) changed since the session was saved"])
        try FileManager.default.removeItem(at: model)
        XCTAssertEqual(s.changedInputs(), ["m.safetensors: \(model.path) no longer exists"])
    }

    func testBadNamesAndFilesAreRefusedInOneLine() throws {
        let dir = try temporaryDirectory(self)
        let store = SessionStore(directory: dir)
        assertThrowsMessage(try store.load("../etc"), contains: ["session name '../etc'"])
        assertThrowsMessage(try store.load("missing"), contains: ["no session 'missing'", dir.path])
        try FileManager.default.createDirectory(at: store.folder("broken"), withIntermediateDirectories: true)
        try Data("{\"format\": \"loupe.session/1\"}".utf8).write(to: store.file("broken"))
        assertThrowsMessage(try store.load("broken"), contains: ["session.json", "not a Loupe session", "missing field"])
        try Data(
            "{\"format\": \"loupe.session/9\", \"name\": \"x\", \"saved\": \"\", \"models\": [], \"data\": {\"reference\": \"d\"}, \"tabs\": [], \"activeTab\": 0, \"settings\": {}}"
                .utf8
        )
        .write(to: store.file("broken"))
        assertThrowsMessage(try store.load("broken"), contains: ["session format 'loupe.session/9'"])
    }

    func testJSONValueRoundTrip() throws {
        let value = JSONValue.object(["a": .array([.number(1.5), .bool(true), .null, .string("x")])])
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)), value)
    }
}
