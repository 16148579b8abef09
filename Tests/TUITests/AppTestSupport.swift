import Foundation
import Networks
import TUI
import TensorIO
import TestSupport
import Workbench
import XCTest

/// A workbench on the demo models (cached after the first test trains them), with sessions and
/// exports in a temporary folder.
func makeApp(
    _ test: XCTestCase, compare: Bool = true, colors: ColorMode = .truecolor,
    tabs: [Session.Tab]? = nil, activeTab: Int = 0, finishingJobs: Bool = true
) throws -> (App, URL) {
    let dir = try temporaryDirectory(test)
    let plan = WorkspacePlan(models: compare ? ["demo:mlp-1", "demo:mlp-2"] : ["demo:mlp-1"], data: "builtin:digits:test")
    let options = AppOptions(sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir)
    let app = App(workspace: try plan.load(), tabs: tabs, activeTab: activeTab, options: options, colors: colors)
    if finishingJobs { app.finishJobs() }
    return (app, dir)
}

/// A workbench on a user's own model (an untrained network of the `loupe.arch/1` JSON, saved as
/// `file`) and own data (`data` as an .npy), both in a temporary folder.
func makeUserApp(_ test: XCTestCase, architecture json: String, file: String, data: Tensor) throws -> App {
    let dir = try temporaryDirectory(test)
    let model = dir.appendingPathComponent(file), x = dir.appendingPathComponent("x.npy")
    try NetworkFile.save(try NetworkFile.untrained(try ArchitectureSpec.decode(Data(json.utf8), source: file), seed: 1), to: model)
    try NPY.write(data, to: x)
    let options = AppOptions(sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir)
    return App(workspace: try WorkspacePlan(models: [model.path], data: x.path).load(), options: options)
}

/// Runs jobs until none is left: a delivery may start the next one.
func settle(_ app: App) {
    for _ in 0..<10 {
        app.finishJobs()
        if !app.isBusy { return }
    }
}

/// Types `keys`, then lets the jobs they start finish.
func press(_ app: App, _ keys: String) {
    app.type(keys)
    settle(app)
}

extension App {
    func frame(_ width: Int = 200, _ height: Int = 60) -> Grid {
        let grid = Grid(width: width, height: height)
        render(into: grid)
        return grid
    }

    func type(_ text: String) {
        for c in text.unicodeScalars { handle(.char(c)) }
    }
}

/// Presses `key` (m or M, a view's next or previous model) until the demo models after
/// demo:cnn have gone by: from demo:cnn to the workspace's first model, or back.
func stepPastTheLaterDemos(_ app: App, _ key: Unicode.Scalar) {
    for _ in DemoModels.names.drop(while: { $0 != "cnn" }) {
        app.handle(.char(key))
        app.finishJobs()
    }
}
