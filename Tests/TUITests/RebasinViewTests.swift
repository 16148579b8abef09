import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import TestSupport
import Workbench
import XCTest

final class RebasinViewTests: XCTestCase {
    func makeRebasin(compare: Bool = true, settings: JSONValue = .null) throws -> (App, URL) {
        try makeApp(self, compare: compare, tabs: [Session.Tab(kind: "rebasin", settings: settings)])
    }

    /// Loss along (1 − λ)θ_A + λθ_B at 25 points, interpolating the parameters here.
    func naiveLoss() throws -> [Double] {
        let (a, b, data) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), try DataSource.load("builtin:digits:test"))
        let (pa, pb) = (a.flatParameters, b.flatParameters)
        return (0..<25).map { k in
            let lambda = Double(k) / 24
            var net = a
            net.setFlatParameters(zip(pa, pb).map { Float((1 - lambda) * Double($0) + lambda * Double($1)) })
            return net.evaluate(data.x, labels: data.labels)!.loss
        }
    }

    func outcome(_ method: RebasinOptions.Method) throws -> RebasinOutcome {
        try GitRebasin.run(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), data: try DataSource.load("builtin:digits:test"),
            options: RebasinOptions(method: method, interpolationSteps: 25))
    }

    /// The barriers and accuracies on screen: the naive barrier as computed here, the permuted
    /// one and the merged model's accuracy as the library's Re-Basin run gives them.
    func testBarriersAndAccuracy() throws {
        let (app, dir) = try makeRebasin()
        let text = app.frame().text
        let loss = try naiveLoss()
        let naiveBarrier = loss.max()! - (loss[0] + loss[24]) / 2
        let r = try outcome(.weight).result
        XCTAssertTrue(text.contains("Git Re-Basin · weight matching of B demo:mlp-2 onto A demo:mlp-1"), text)
        XCTAssertTrue(
            text.contains(String(format: "loss barrier: naive %.4f · permuted %.4f", naiveBarrier, r.permuted!.lossBarrier)), text)
        XCTAssertLessThan(r.permuted!.lossBarrier, naiveBarrier)
        XCTAssertTrue(
            text.contains(
                String(
                    format: "accuracy barrier: naive %.2f %% · permuted %.2f %%",
                    100 * r.naive!.accuracyBarrier, 100 * r.permuted!.accuracyBarrier)))
        XCTAssertTrue(
            text.contains(
                String(format: "merged (λ = ½, permuted) %.2f %%, loss %.4f", 100 * r.evaluationMerged!.accuracy, r.evaluationMerged!.loss))
        )
        XCTAssertTrue(text.contains(String(format: "naive midpoint %.2f %%", 100 * r.naive!.accuracy[12])))
        XCTAssertTrue(
            text.contains(
                "fc1 (256 units, \(r.groups[0].fixedUnits) in place), fc2 (256 units, \(r.groups[1].fixedUnits) in place) in \(r.sweeps!) sweeps"
            ))
        XCTAssertTrue(text.contains("loss along λ"))
        XCTAssertTrue(text.contains("accuracy along λ"))
        XCTAssertTrue(text.contains("━ naive  ━ permuted  ━ barrier"))
        XCTAssertTrue(text.contains("w writes the permuted B and the merged model to \(dir.path)"))
    }

    /// The barrier is a vertical stroke in the third series' colour at the λ of the peak.
    func testBarrierStroke() throws {
        let (app, _) = try makeRebasin()
        let grid = app.frame()
        let title = try XCTUnwrap(grid.find("loss along λ"))
        let stroke = ((title.y + 1)..<grid.height).flatMap { y in (title.x..<(title.x + 80)).map { (x: $0, y: y) } }
            .filter { grid[$0.x, $0.y].style.foreground == Theme.series[2] && grid[$0.x, $0.y].scalar != "━" }
        XCTAssertGreaterThan(Set(stroke.map(\.y)).count, 3, "the naive barrier spans several rows")
        XCTAssertEqual(Set(stroke.map(\.x)).count, 1, "at one λ (both peak at ½)")
    }

    /// While the job runs, the view shows its progress; the numbers come when it ends.
    func testProgressWhileRunning() throws {
        let dir = try temporaryDirectory(self)
        let workspace = try WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2"], data: "builtin:digits:test").load()
        let app = App(
            workspace: workspace, tabs: [Session.Tab(kind: "rebasin", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        XCTAssertTrue(app.frame().text.contains("matching B's units to A's"))
        XCTAssertNil(app.currentView?.exportTable())
        app.handle(.char("w"))
        XCTAssertEqual(app.statusMessage, "nothing to write yet: the matching is still running")
        app.finishJobs()
        XCTAssertTrue(app.frame().text.contains("loss barrier"))
    }

    /// w writes permuted B (the same function as B) and the merged model, says where, and
    /// lists them in the sidebar.
    func testWriteModels() throws {
        let (app, dir) = try makeRebasin()
        app.handle(.char("w"))
        let message = try XCTUnwrap(app.statusMessage)
        XCTAssertTrue(message.hasPrefix("wrote the permuted B (loupe-rebasin-weight-permuted-"), message)
        XCTAssertTrue(message.hasSuffix(") to \(dir.path)"), message)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        let permutedName = try XCTUnwrap(files.first { $0.hasPrefix("loupe-rebasin-weight-permuted-") && $0.hasSuffix(".safetensors") })
        let mergedName = try XCTUnwrap(files.first { $0.hasPrefix("loupe-rebasin-weight-merged-") && $0.hasSuffix(".safetensors") })
        let data = try DataSource.load("builtin:digits:test")
        let b = try DemoModels.load("mlp-2")
        let permuted = try Models.load(dir.appendingPathComponent(permutedName).path)
        let (original, moved) = (b.scores(data.x), permuted.scores(data.x))
        let worst = zip(original.storage, moved.storage).map { abs($0 - $1) / max(1, abs($0)) }.max()!
        XCTAssertLessThan(worst, 1e-4, "permuting does not change the function")
        XCTAssertNotEqual(permuted.flatParameters, b.flatParameters)
        let merged = try Models.load(dir.appendingPathComponent(mergedName).path)
        let accuracy = merged.evaluate(data.x, labels: data.labels)!.accuracy
        XCTAssertTrue(app.frame().text.contains(String(format: "merged (λ = ½, permuted) %.2f %%", 100 * accuracy)))
        XCTAssertTrue(app.frame().text.contains("loupe-rebasin-weight-"), "the sidebar lists the files")
    }

    /// m switches to activation matching, computed as a new job; switching back is immediate.
    func testMatchingToggle() throws {
        let (app, _) = try makeRebasin()
        app.handle(.char("m"))
        XCTAssertTrue(app.frame().text.contains("activation matching of B demo:mlp-2 onto A demo:mlp-1 (m: weight matching)"))
        app.finishJobs()
        let r = try outcome(.activation).result
        XCTAssertTrue(app.frame().text.contains(String(format: "permuted %.4f", r.permuted!.lossBarrier)))
        app.handle(.char("m"))
        XCTAssertTrue(app.frame().text.contains("loss barrier"), "weight matching is kept")
        XCTAssertEqual(try XCTUnwrap(app.currentView as? RebasinView).settings.method, .weight)
    }

    /// `e` writes the two curves with the columns of `loupe rebasin --lmc`.
    func testExport() throws {
        let (app, dir) = try makeRebasin()
        app.run(command: "export lmc.csv")
        let lines = try String(contentsOf: dir.appendingPathComponent("lmc.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines[0], "lambda,loss_naive,accuracy_naive,loss_permuted,accuracy_permuted")
        XCTAssertEqual(lines.count, 26)
        let loss = try naiveLoss()
        for k in [0, 7, 12, 24] {
            let fields = lines[1 + k].split(separator: ",").compactMap { Double($0) }
            XCTAssertEqual(fields[0], Double(k) / 24)
            XCTAssertEqual(fields[1], loss[k], accuracy: 1e-12)
        }
    }

    func testSessionRoundTrip() throws {
        let (app, dir) = try makeRebasin()
        app.handle(.char("m"))
        app.finishJobs()
        let session = try app.session(named: "rebasin")
        let (restored, restoredDir) = try makeApp(self, tabs: session.tabs)
        // The same screen, but for the export folder named in it.
        XCTAssertEqual(
            restored.frame().text.replacingOccurrences(of: restoredDir.path, with: "EXPORTS"),
            app.frame().text.replacingOccurrences(of: dir.path, with: "EXPORTS"))
        XCTAssertEqual(try XCTUnwrap(restored.currentView as? RebasinView).settings.method, .activation)
    }

    func testOneModelSaysItNeedsTwo() throws {
        let (app, _) = try makeRebasin(compare: false)
        let text = app.frame().text.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(text.contains("Re-Basin compares two models"), text)
        XCTAssertTrue(text.contains("loupe tui A --compare B"))
    }

    /// Data without labels: the permutation, no curves, and the models can still be written.
    func testUnlabelledData() throws {
        let dir = try temporaryDirectory(self)
        let x = try DataSource.load("builtin:digits:test").x
        let csv = (0..<x.rows).map { x.row($0).map { "\($0)" }.joined(separator: ",") }.joined(separator: "\n")
        try csv.write(to: dir.appendingPathComponent("x.csv"), atomically: true, encoding: .utf8)
        let workspace = try WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2"], data: dir.appendingPathComponent("x.csv").path).load()
        let app = App(
            workspace: workspace, tabs: [Session.Tab(kind: "rebasin", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        app.finishJobs()
        let text = app.frame().text
        XCTAssertTrue(text.contains("has no labels: no loss or accuracy along λ"), text)
        XCTAssertTrue(text.contains("permuted fc1"))
        XCTAssertNil(app.currentView?.exportTable())
        app.handle(.char("w"))
        XCTAssertTrue(app.statusMessage?.hasPrefix("wrote the permuted B") ?? false)
    }

    func testSizes() throws {
        let (app, _) = try makeRebasin()
        for (w, h) in [(200, 60), (120, 40), (80, 24), (60, 16), (40, 12), (30, 8)] {
            XCTAssertTrue(app.frame(w, h).text.contains("Re-Basin"), "\(w)×\(h)")
        }
        let small = app.frame(80, 24).text
        for part in ["loss barrier", "accuracy barrier", "merged", "loss along λ", "accuracy along λ"] {
            XCTAssertTrue(small.contains(part), "\(part) at 80×24:\n\(small)")
        }
    }
}
