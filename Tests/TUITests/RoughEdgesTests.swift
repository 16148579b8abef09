import Foundation
import Interpret
import Networks
import TUI
import TestSupport
import Workbench
import XCTest

/// What a new user found rough in the workbench, each at the size where it was seen.
final class RoughEdgesTests: XCTestCase {
    /// Two models from one long folder once read "A /some/long/dir/…" and "B /some/long/dir/…",
    /// and the Overview legend had one entry for two series.
    func testModelsFromOneFolderAreToldApart() throws {
        let dir = try temporaryDirectory(self).appendingPathComponent("some/long/directory/of/experiments")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, demo) in [("model-a", "mlp-1"), ("model-b", "mlp-2")] {
            _ = try DemoModels.load(demo)
            try FileManager.default.copyItem(at: Models.file(of: "demo:\(demo)"), to: dir.appendingPathComponent("\(name).safetensors"))
        }
        let paths = ["model-a", "model-b"].map { dir.appendingPathComponent("\($0).safetensors").path }
        let plan = WorkspacePlan(models: paths, data: "builtin:digits:test")
        let options = AppOptions(sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir)
        let app = App(workspace: try plan.load(), tabs: [Session.Tab(kind: "overview", settings: .null)], options: options)
        app.finishJobs()
        let grid = app.frame(80, 24)
        let text = grid.text
        XCTAssertTrue(text.contains("A model-a.safetensors"), text)
        XCTAssertTrue(text.contains("B model-b.safetensors"), text)
        let large = app.frame(200, 60).text
        XCTAssertTrue(
            large.contains("━ A model-a.safetensors") && large.contains("━ B model-b.safetensors"), "both series in the legend: \(large)")
        // Same file names in different folders: the folders tell them apart.
        XCTAssertEqual(
            LoadedModel.shortNames(["/x/run1/model.safetensors", "/x/run2/model.safetensors", "demo:mlp-1"]),
            ["run1/model.safetensors", "run2/model.safetensors", "demo:mlp-1"])
        XCTAssertEqual(LoadedModel.shortNames(["/a/b/m.safetensors", "/c/d/n.safetensors"]), ["m.safetensors", "n.safetensors"])
    }

    /// Two exports within one second once went to one name (the first was lost) and the saved
    /// results all read "loupe-lrp-20261205-1…".
    func testExportsInOneSecondKeepEachOther() throws {
        let (app, dir) = try makeApp(self, tabs: [Session.Tab(kind: "overview", settings: .null)])
        for _ in 0..<3 { app.handle(.char("e")) }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("loupe-overview-") }.sorted()
        XCTAssertEqual(files.count, 3, "\(files)")
        XCTAssertEqual(Set(try files.map { try String(contentsOf: dir.appendingPathComponent($0), encoding: .utf8) }).count, 1)
        // The sidebar (17 columns at 80×24) keeps the ends of the names, which differ.
        let sidebar = app.frame(80, 24).text.split(separator: "\n").map { String($0.prefix(17)) }
        let saved = try XCTUnwrap(sidebar.firstIndex { $0.hasPrefix("Saved results") })
        let listed = sidebar[(saved + 1)...].prefix(3).map { $0.trimmingCharacters(in: .whitespaces) }
        XCTAssertEqual(Set(listed).count, 3, "three distinct entries: \(listed)")
        XCTAssertTrue(listed.allSatisfy { $0.hasPrefix("loup…") && $0.hasSuffix(".csv") }, "\(listed)")
    }

    /// A short computation once waited behind a long one: Align showed "waiting for the jobs
    /// before it" until the whole SAE training ended. Now the training steps aside.
    func testAShortJobRunsWhileALongOneTrains() throws {
        let sae = Session.Tab(kind: "sae", settings: try JSONValue(encoding: SAEViewTests.settings(steps: 1_000_000)))
        let (app, _) = try makeApp(self, tabs: [sae, Session.Tab(kind: "align", settings: .null)], finishingJobs: false)
        let deadline = Date().addingTimeInterval(120)
        while !(app.jobs.status?.title.contains("SAE") ?? false), Date() < deadline { app.update(); Thread.sleep(forTimeInterval: 0.01) }
        app.handle(.char("2"))  // Align: its correlations are asked for while the SAE trains
        var shown = false
        while !shown, Date() < deadline {
            app.update()
            shown = app.frame(120, 40).text.contains("mean matched correlation")
            Thread.sleep(forTimeInterval: 0.01)
        }
        XCTAssertTrue(shown, "Align's result arrived")
        XCTAssertTrue(app.jobs.status?.title.contains("SAE") ?? false, "while the SAE still trains: \(String(describing: app.jobs.status))")
        app.handle(.escape)
        settle(app)
    }

    /// The Interpreter once showed demo:cnn in silence for a bilinear workspace model.
    func testInterpreterSaysWhyItRefusesTheWorkspaceModel() throws {
        _ = try DemoModels.load("bilinear")
        let plan = WorkspacePlan(models: ["demo:bilinear"], data: "builtin:digits:test")
        let dir = try temporaryDirectory(self)
        let app = App(
            workspace: try plan.load(), tabs: [Session.Tab(kind: "interp", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        settle(app)
        app.handle(.char("b"))  // the sidebar away, so the view's lines read whole
        let text = app.frame(80, 24).text.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(text.contains("demo:bilinear:"), text)
        XCTAssertTrue(text.contains("needs a piecewise-linear network"), text)
        XCTAssertTrue(text.contains("m picks another model"), text)
    }

    /// Re-Basin at 40×12 was blank but for its title.
    func testRebasinOnASmallTerminalKeepsItsBarriers() throws {
        let (app, _) = try makeApp(self, tabs: [Session.Tab(kind: "rebasin", settings: .null)])
        settle(app)
        let text = app.frame(40, 12).text.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(text.contains("loss barrier: naive"), text)
        XCTAssertTrue(text.contains("accuracy barrier: naive"), text)
        XCTAssertTrue(app.frame(80, 24).text.contains("loss along λ"), "the plots where they fit")
    }

    /// Align's cluster table once showed "0…" in its mean column at 120×40 and 80×24.
    func testAlignClusterTableIsWhole() throws {
        let (app, _) = try makeApp(self, tabs: [Session.Tab(kind: "align", settings: .null)])
        press(app, "c")
        for (w, h) in [(120, 40), (80, 24)] {
            let lines = app.frame(w, h).text.split(separator: "\n")
            let header = try XCTUnwrap(lines.first { $0.contains("#  units A  units B  mean |r|") }, "\(w)×\(h)")
            XCTAssertFalse(header.contains("…"))
            let rows = lines.filter { $0.range(of: #"\s+\d+\s+\d+\s+\d+\s+0\.\d{3}"#, options: .regularExpression) != nil }
            XCTAssertGreaterThanOrEqual(rows.count, 2, "\(w)×\(h): \(lines.joined(separator: "\n"))")
        }
    }

    /// Bilinear's 4th and 5th eigenvector images were clipped (5 of 8 columns), and a `+`
    /// beyond the last did nothing without a word.
    func testBilinearDrawsWholeImagesAndSaysWhatItCannot() throws {
        let (app, _) = try makeApp(self, tabs: [Session.Tab(kind: "bilinear", settings: .null)])
        settle(app)
        press(app, "++")
        let text = app.frame(120, 40).text
        XCTAssertTrue(text.contains("of 5 each way fit; f: this panel alone"), text)
        XCTAssertFalse(text.contains("+4 λ…"), "no cut label: \(text)")
        XCTAssertFalse(text.contains("+5 λ…"))
        for _ in 0..<4 { app.handle(.char("+")) }
        XCTAssertEqual(app.statusMessage, "6 eigenvectors each way is the most shown; e on the spectrum panel exports them all")
    }

    /// "cancelling the running job…" once stayed after the job had stopped.
    func testTheCancelMessageSaysTheJobEnded() throws {
        let sae = Session.Tab(kind: "sae", settings: try JSONValue(encoding: SAEViewTests.settings(steps: 1_000_000)))
        let (app, _) = try makeApp(self, tabs: [sae], finishingJobs: false)
        let deadline = Date().addingTimeInterval(120)
        while !(app.jobs.status?.title.contains("SAE") ?? false), Date() < deadline { app.update(); Thread.sleep(forTimeInterval: 0.01) }
        let title = try XCTUnwrap(app.jobs.status?.title)
        app.handle(.escape)
        XCTAssertEqual(app.statusMessage, "cancelling \(title)…")
        settle(app)
        XCTAssertEqual(app.statusMessage, "\(title): cancelled")
        app.handle(.char("?"))
        XCTAssertNil(app.statusMessage, "a passing remark goes with the next key")
    }

    /// The SAE view's settings line was cut at 80×24; the Re-Basin `w` message too.
    func testNothingIsCutAt80x24() throws {
        let (app, dir) = try makeApp(self, tabs: [Session.Tab(kind: "sae", settings: .null), Session.Tab(kind: "rebasin", settings: .null)])
        settle(app)
        let sae = app.frame(80, 24).text.split(separator: "\n").map { $0.split(separator: "│").last.map(String.init) ?? "" }
        let header = sae[1...2].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        XCTAssertTrue(header.hasPrefix("demo:mlp-1 · relu1 [256] · topk k \(SAETrainingOptions.workbench.k) · d_sae 1024 (4×)"), header)
        XCTAssertTrue(header.hasSuffix("steps × 128"), header)
        XCTAssertFalse(sae[1...2].joined().contains("…"), "\(sae)")
        press(app, "2")
        press(app, "w")
        let message = try XCTUnwrap(app.statusMessage)
        let screen = app.frame(80, 24).text.split(separator: "\n").suffix(3).map { $0.trimmingCharacters(in: .whitespaces) }.joined(
            separator: " ")
        XCTAssertTrue(screen.hasSuffix(message), "the whole message is on screen:\n\(screen)\n\(message)\n\(app.frame(80, 24).text)")
        XCTAssertTrue(message.hasSuffix("to \(dir.path)"), message)
    }
}
