import Foundation
import TUI
import Workbench

/// Frame time of the workbench on the demo workspace (two models): each view drawn from scratch
/// into the cell grid and diffed as a full repaint (the worst case: every cell sent), which is
/// what a frame costs before curses writes the cells. The budget is 16 ms at 200×60.
enum TUIBenchmarks: BenchmarkGroup {
    static let name = "tui"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = try WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2"], data: "builtin:digits:test").load()
        let app = App(workspace: workspace, options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        app.finishJobs()
        // Each step brings the frame to draw; the steps of one size leave every view as they found it.
        let frames: [(String, (App) -> Void)] = [
            ("overview", { $0.run(command: "open overview") }),
            ("activations", { $0.run(command: "open activations") }),
            ("activations unit", { $0.handle(.enter) }),
            ("help", { $0.handle(.char("?")) }),
            ("cka", { app in [.escape, .escape].forEach(app.handle); app.run(command: "open cka") }),
            ("align 256×256 fitted", { $0.run(command: "open align") }),
            ("align 256×256 aligned, 1:1", { app in [.char("o"), .char("z")].forEach(app.handle) }),
            ("rebasin", { app in [.char("o"), .char("z")].forEach(app.handle); app.run(command: "open rebasin") }),
        ]
        for (w, h) in context.quick ? [(200, 60)] : [(200, 60), (80, 24)] {
            var diff = FrameDiff()
            for (label, step) in frames {
                step(app)
                let grid = Grid(width: w, height: h)
                let seconds = Stopwatch.best {
                    app.render(into: grid)
                    diff.invalidate()
                    _ = diff.changes(grid)
                }
                report(BenchmarkRecord(group: name, name: "frame: \(label)", size: "\(w)×\(h)", seconds: seconds,
                                       rate: 1 / seconds, unit: "frames/s", note: "budget 16 ms"))
            }
        }
    }
}
