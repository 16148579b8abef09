import Foundation
import TestSupport
import TUI
import Workbench
import XCTest

/// A workbench on the demo models (cached after the first test trains them), with sessions and
/// exports in a temporary folder.
func makeApp(_ test: XCTestCase, compare: Bool = true, colors: ColorMode = .truecolor,
             tabs: [Session.Tab]? = nil, activeTab: Int = 0) throws -> (App, URL) {
    let dir = try temporaryDirectory(test)
    let plan = WorkspacePlan(models: compare ? ["demo:mlp-1", "demo:mlp-2"] : ["demo:mlp-1"], data: "builtin:digits:test")
    let options = AppOptions(sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir)
    let app = App(workspace: try plan.load(), tabs: tabs, activeTab: activeTab, options: options, colors: colors)
    app.finishJobs()
    return (app, dir)
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
