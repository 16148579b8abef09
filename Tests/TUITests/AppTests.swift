import Figures
import Foundation
import LinAlg
import Networks
import TUI
import TestSupport
import Workbench
import XCTest

final class AppTests: XCTestCase {
    /// The Overview shows each model's figures as computed independently here.
    func testOverviewFigures() throws {
        let (app, _) = try makeApp(self)
        let text = app.frame().text
        let data = try DataSource.load("builtin:digits:test")
        for (label, name) in [("A", "mlp-1"), ("B", "mlp-2")] {
            let net = try DemoModels.load(name)
            let e = try XCTUnwrap(net.evaluate(data.x, labels: data.labels))
            XCTAssertTrue(text.contains("\(label) demo:\(name)"))
            XCTAssertTrue(text.contains(String(format: "accuracy %.2f %% · loss %.4f", 100 * e.accuracy, e.loss)), text)
            XCTAssertTrue(text.contains("85,002 parameters"))
            // fc1's ‖W‖ in the table, to three decimals.
            let w = net.layers[0].parameters[0].values.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
            XCTAssertTrue(text.contains(String(format: "%.3f", w)), "‖W‖ of fc1 of \(name)")
        }
        XCTAssertTrue(text.contains(" 1 Overview "))
        XCTAssertTrue(text.contains(" 2 Activations "))
        XCTAssertTrue(text.contains("activation std by layer"), "the comparison plot at 200×60")
        XCTAssertTrue(text.contains("builtin:digits:test"))
    }

    /// Every view renders at every size, overlays included; tiny terminals get a message.
    func testEverySize() throws {
        let (app, _) = try makeApp(self)
        // Show every tab once, so each view has computed (and Esc below has no job to cancel).
        for _ in app.tabTitles { app.handle(.tab); app.finishJobs() }
        for (w, h) in [(200, 60), (120, 40), (80, 24), (60, 20), (40, 12), (30, 8), (20, 5), (1, 1), (0, 0)] {
            for tab in 0..<2 {
                for overlay in ["", "?", ":"] {
                    app.type(overlay)
                    let text = app.frame(w, h).text
                    if w >= 40, h >= 8 {
                        XCTAssertTrue(text.contains(tab == 0 ? "Overview" : "Activations"), "\(w)×\(h) tab \(tab)")
                    } else if w >= 20, w < 30 || h < 8 {
                        XCTAssertTrue(text.contains("Loupe needs at least"), "\(w)×\(h): \(text)")
                    }
                    app.handle(.escape)
                }
                app.handle(.tab)
            }
            [.backTab, .backTab].forEach(app.handle)
        }
        let small = app.frame(80, 24).text
        XCTAssertTrue(small.contains("A demo:mlp-1"))
        XCTAssertTrue(small.contains("B demo:mlp-2"))
        XCTAssertTrue(small.contains("? help"), "the key hints in the status line")
    }

    /// Each cell of fc1's heatmap holds two units (upper half: foreground, lower: background)
    /// coloured by the diverging scale over all of fc1's activations on the data.
    func testActivationHeatmapColours() throws {
        let (app, _) = try makeApp(self, compare: false)
        app.handle(.tab)  // a view starts computing when first shown
        app.finishJobs()
        app.handle(.char("n"))  // sample 2
        let grid = app.frame()
        XCTAssertNotNil(grid.find("sample 1 of 0…448"))
        let data = try DataSource.load("builtin:digits:test")
        let net = try DemoModels.load("mlp-1")
        let fc1 = net.trace(data.x)[1]
        let scale = ColorScale.fitting(fc1.storage)
        guard case .diverging = scale else { return XCTFail("fc1 has negative values: a diverging scale") }
        let title = try XCTUnwrap(grid.find("fc1 [256]"))
        let sample = 1
        for (cx, cy) in [(1, 0), (5, 3), (15, 7), (0, 4)] {
            let cell = grid[title.x + cx, title.y + 1 + cy]
            XCTAssertEqual(cell.scalar, "▀")
            XCTAssertEqual(cell.style.foreground, scale.color(Double(fc1[sample, 2 * cy * 16 + cx])), "unit \(2 * cy * 16 + cx)")
            XCTAssertEqual(cell.style.background, scale.color(Double(fc1[sample, (2 * cy + 1) * 16 + cx])))
        }
        // The selected unit (0 of fc1) is drawn in the cursor colour, and its value is named.
        XCTAssertEqual(grid[title.x, title.y + 1].style.foreground, Theme.cursor)
        XCTAssertTrue(grid.text.contains("fc1 unit 0: \(NumberFormat.readable(Double(fc1[sample, 0])))"))
        // The prediction line: class and probability as softmax of the logits.
        let logits = net.forward(data.x.rows([sample]))
        let p = softmax(logits)
        let predicted = logits.rowArgmax()[0]
        XCTAssertTrue(grid.text.contains(String(format: "A → %d  %.1f %%", predicted, 100 * p[0, predicted])))
    }

    /// Without colour the heatmaps are ramp characters.
    func testMonochrome() throws {
        let (app, _) = try makeApp(self, compare: false, colors: .monochrome)
        app.handle(.tab)
        app.finishJobs()
        let grid = app.frame()
        let title = try XCTUnwrap(grid.find("relu1 [256]"))
        let ramp = Set(ColorScale.ramp)
        for x in 0..<16 { XCTAssertTrue(ramp.contains(grid[title.x + x, title.y + 2].scalar)) }
    }

    /// The unit view: histogram and the samples that excite the unit most; `t` jumps to the top one.
    func testUnitDetailAndTopSample() throws {
        let (app, _) = try makeApp(self, compare: false)
        app.handle(.tab)
        app.finishJobs()
        app.handle(.char("j"))  // relu1
        app.handle(.char("l"))  // unit 1
        app.handle(.char("l"))  // unit 2
        app.handle(.enter)
        var text = app.frame().text
        XCTAssertTrue(text.contains("relu1 unit 2"))
        XCTAssertTrue(text.contains("samples that excite it most"))
        let data = try DataSource.load("builtin:digits:test")
        let column = try DemoModels.load("mlp-1").trace(data.x)[2].column(2)
        let best = column.indices.max { column[$0] < column[$1] }!
        XCTAssertTrue(text.contains("#\(best)"))
        let table = try XCTUnwrap(app.currentView?.exportTable())
        XCTAssertEqual(table.header, ["model", "layer", "unit", "rank", "sample", "label", "activation"])
        XCTAssertEqual(table.rows.count, data.count)
        XCTAssertEqual(table.rows[0][4], .integer(best))
        XCTAssertEqual(table.rows[0][6], .number(Double(column[best])))
        app.handle(.char("t"))
        text = app.frame().text
        XCTAssertTrue(text.contains("sample \(best) of 0…448"))
        app.handle(.escape)
        XCTAssertTrue(app.frame().text.contains("relu1 [256]"), "Esc goes back to the heatmaps")
    }

    func testTabsHelpAndPalette() throws {
        let (app, _) = try makeApp(self, tabs: ["overview", "activations"].map { Session.Tab(kind: $0, settings: .null) })
        app.handle(.tab)
        XCTAssertEqual(app.activeTabIndex, 1)
        app.handle(.char("]"))
        XCTAssertEqual(app.activeTabIndex, 0)
        app.handle(.backTab)
        XCTAssertEqual(app.activeTabIndex, 1)
        app.handle(.char("?"))
        var text = app.frame().text
        for line in ["export the current view's numbers as CSV", "save the session", "Activations", "next sample", "Ctrl-L"] {
            XCTAssertTrue(text.contains(line), line)
        }
        app.handle(.escape)
        XCTAssertFalse(app.frame().text.contains("save the session"))
        app.handle(.control("w"))
        XCTAssertEqual(app.tabTitles, ["Overview"])
        app.handle(.char(":"))
        app.type("open act")
        text = app.frame().text
        XCTAssertTrue(text.contains("open activations"))
        app.handle(.enter)
        XCTAssertEqual(app.tabTitles, ["Overview", "Activations"])
        XCTAssertEqual(app.activeTabIndex, 1)
        app.run(command: "open overview")
        XCTAssertEqual(app.activeTabIndex, 0, "switches to the open Overview")
        app.run(command: "frobnicate")
        XCTAssertTrue(app.statusMessage?.contains("unknown command 'frobnicate'") ?? false)
        app.run(command: "open nothing")
        XCTAssertTrue(app.statusMessage?.contains("unknown view 'nothing'") ?? false)
        app.handle(.char("q"))
        XCTAssertTrue(app.shouldQuit)
    }

    func testFilter() throws {
        let (app, _) = try makeApp(self, compare: false)
        app.handle(.char("/"))
        app.type("relu")
        app.handle(.enter)
        let text = app.frame().text
        XCTAssertTrue(text.contains("relu1"))
        XCTAssertTrue(text.contains("filter: relu"))
        // fc1 is still in the sidebar, but not in the table: it appears exactly once.
        XCTAssertEqual(text.components(separatedBy: "fc1").count - 1, 1)
    }

    /// `e` writes the numbers behind the Overview: a header row and one row per model and layer.
    func testExport() throws {
        let (app, dir) = try makeApp(self)
        app.handle(.char("e"))
        let message = try XCTUnwrap(app.statusMessage)
        XCTAssertTrue(message.hasPrefix("exported 10 rows × 17 columns to \(dir.path)/loupe-overview-"), message)
        let path = String(message.split(separator: " ").last!)
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(
            lines[0],
            "model,layer,kind,output_shape,parameters,weight_norm,bias_norm,act_mean,act_std,act_min,act_max,zero_fraction,dead_fraction,dead_units,units,accuracy,loss"
        )
        XCTAssertEqual(lines.count, 11)
        let fc1 = lines[1].split(separator: ",", omittingEmptySubsequences: false)
        XCTAssertEqual(fc1[0], "demo:mlp-1")
        XCTAssertEqual(fc1[1], "fc1")
        XCTAssertEqual(fc1[4], "16640")
        let w = try DemoModels.load("mlp-1").layers[0].parameters[0].values.map { Double($0) * Double($0) }.reduce(0, +).squareRoot()
        XCTAssertEqual(Double(fc1[5])!, w, accuracy: 1e-4)
        // A typed name: never into a folder that is not there, never over a file.
        app.run(command: "export sub/mine.csv")
        XCTAssertEqual(app.statusMessage, "cannot export: \(dir.path)/sub does not exist; export into an existing folder")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("sub").path))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: false)
        app.run(command: "export sub/mine.csv")
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("sub/mine.csv").path))
        try Data("mine".utf8).write(to: dir.appendingPathComponent("sub/mine.csv"))
        app.run(command: "export sub/mine.csv")
        XCTAssertEqual(app.statusMessage, "cannot export: \(dir.path)/sub/mine.csv already exists; give another name (:export NAME)")
        XCTAssertEqual(try String(contentsOf: dir.appendingPathComponent("sub/mine.csv"), encoding: .utf8), "mine")
    }

    /// `s` saves; a new workbench from the session has the same tabs, tab and settings.
    func testSaveAndRestore() throws {
        let (app, dir) = try makeApp(
            self, tabs: [Session.Tab(kind: "overview", settings: .null), Session.Tab(kind: "activations", settings: .null)])
        app.handle(.tab)
        for _ in 0..<3 { app.handle(.char("n")) }
        app.handle(.char("s"))
        app.handle(.control("u"))
        app.type("mine")
        app.handle(.enter)
        XCTAssertTrue(app.statusMessage?.hasPrefix("saved session 'mine' to ") ?? false, app.statusMessage ?? "")
        let store = SessionStore(directory: dir.appendingPathComponent("Sessions"))
        let session = try store.load("mine")
        XCTAssertEqual(session.models.map(\.reference), ["demo:mlp-1", "demo:mlp-2"])
        XCTAssertEqual(session.models[0].sha256, try FileDigest.sha256(DemoModels.cachedFile("mlp-1")))
        XCTAssertEqual(session.tabs.map(\.kind), ["overview", "activations"])
        XCTAssertEqual(session.activeTab, 1)
        XCTAssertEqual(session.changedInputs(), [])
        let (restored, _) = try makeApp(self, tabs: session.tabs, activeTab: session.activeTab)
        XCTAssertEqual(restored.activeTabIndex, 1)
        XCTAssertTrue(restored.frame().text.contains("sample 3 of 0…448"))
        XCTAssertTrue(app.frame().text.contains("session mine"), "the sidebar lists saved results")
    }

    /// Esc cancels the running job through its progress handler; keys are answered meanwhile.
    func testEscCancelsAJob() throws {
        let (app, _) = try makeApp(self)
        let started = DispatchSemaphore(value: 0)
        var outcome: JobRunner.Outcome?
        app.jobs.submit(
            "long job",
            work: { job in
                job.report(0.3, "working")
                started.signal()
                while job.report(0.3, "working") { Thread.sleep(forTimeInterval: 0.002) }
                throw CancellationError()
            }, completion: { outcome = $0 })
        started.wait()
        let text = app.frame(120, 40).text
        XCTAssertTrue(text.contains("long job"))
        XCTAssertTrue(text.contains("Esc cancels"))
        XCTAssertTrue(text.contains(" 30%"))
        app.handle(.tab)
        XCTAssertEqual(app.activeTabIndex, 1, "keys are answered while the job runs")
        app.handle(.escape)
        app.finishJobs()
        XCTAssertEqual(outcome, .cancelled)
        XCTAssertFalse(app.frame().text.contains("Esc cancels"))
    }

    /// Loading runs as a job; a model that cannot be opened says so in the workbench.
    func testLoadingPhase() throws {
        let dir = try temporaryDirectory(self)
        let options = AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir)
        let good = App(loading: WorkspacePlan(models: ["demo:mlp-1"], data: "builtin:digits:test"), options: options)
        good.finishJobs()
        good.finishJobs()
        XCTAssertEqual(good.tabTitles.count, ViewRegistry.standard.kinds.count)
        XCTAssertEqual(Array(good.tabTitles.prefix(2)), ["Overview", "Activations"])
        let bad = App(
            loading: WorkspacePlan(models: [dir.appendingPathComponent("none.safetensors").path], data: "builtin:digits:test"),
            options: options)
        bad.finishJobs()
        let text = bad.frame(100, 30).text.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(text.contains("Could not open the workspace"), text)
        XCTAssertTrue(text.contains("such model file"), text)
        XCTAssertEqual(bad.tabTitles, [])
        XCTAssertTrue(bad.loadingFailure?.contains("such model file") ?? false, "what `loupe tui` reports on quitting")
        XCTAssertNil(good.loadingFailure)
    }

    /// A session whose model file changed says so in the status line and the sidebar.
    func testChangedInputsAreShown() throws {
        let dir = try temporaryDirectory(self)
        let warning = "demo:mlp-1: /x/demo-mlp-1.safetensors changed since the session was saved"
        let options = AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir, sessionName: "old", warnings: [warning])
        let app = App(workspace: try WorkspacePlan(models: ["demo:mlp-1"], data: "builtin:digits:test").load(), options: options)
        app.finishJobs()
        let grid = app.frame(200, 60)
        XCTAssertTrue(app.statusMessage?.hasPrefix(warning) ?? false)
        XCTAssertEqual(grid.text(row: 59).hasPrefix(warning), true)
        XCTAssertNotNil(grid.find("! demo:mlp-1"))
        XCTAssertNotNil(grid.find("[old]"))
    }

    /// 1…9 go to the tab of that number; a message does not outlive its tab.
    func testDigitsGoToTabsAndMessagesStayWithTheirTab() throws {
        let (app, _) = try makeApp(self)
        app.type("3")
        XCTAssertEqual(app.activeTabIndex, 2)
        app.type("1")
        XCTAssertEqual(app.activeTabIndex, 0)
        app.type("9")
        XCTAssertEqual(app.activeTabIndex, min(8, app.tabTitles.count - 1))
        app.handle(.control("w"))
        app.type("1")
        app.type("Z")
        XCTAssertEqual(app.statusMessage, "Z does nothing here; ? lists the keys")
        app.type("2")
        XCTAssertNil(app.statusMessage)
        if app.tabTitles.count < 9 {
            app.type("9")
            XCTAssertEqual(app.statusMessage, "there are \(app.tabTitles.count) tabs")
        }
    }

    func testTabBarKeepsTheSessionNameWhenTabsCrowdIt() throws {
        let dir = try temporaryDirectory(self)
        let options = AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir, sessionName: "mine")
        let app = App(workspace: try WorkspacePlan(models: ["demo:mlp-1"], data: "builtin:digits:test").load(), options: options)
        app.finishJobs()
        let titles = app.tabTitles
        XCTAssertGreaterThan(titles.count, 5)
        let wide = app.frame(240, 30).text(row: 0)
        XCTAssertTrue(wide.contains("[mine] demo:mlp-1 · builtin:digits:test"), wide)
        for (i, title) in titles.enumerated() { XCTAssertTrue(wide.contains(" \(i + 1) \(title) "), wide) }
        XCTAssertTrue(app.frame(120, 24).text(row: 0).contains("[mine]"))
        for width in [80, 64] {
            let bar = app.frame(width, 24).text(row: 0)
            XCTAssertTrue(bar.contains("[mine]"), bar)
            XCTAssertTrue(bar.contains(" 1 \(titles[0]) "), "the active tab keeps its title: \(bar)")
            XCTAssertFalse(bar.contains(titles[1]), "the others give their number: \(bar)")
            XCTAssertTrue(bar.contains(" \(titles.count) "), bar)
        }
    }
}
