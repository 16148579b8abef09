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
        // A delivery may start the next job (the bilinear view loads its model, then decomposes).
        repeat { app.finishJobs() } while app.isBusy
        let frames: [(String, () -> Void)] = [
            ("overview", { app.run(command: "open overview") }),
            ("activations", { app.run(command: "open activations") }),
            ("activations unit", { app.handle(.enter) }),
            ("help", { app.handle(.char("?")) }),
            ("bilinear", { app.handle(.escape); app.run(command: "open bilinear") }),
            ("bilinear contributions", { app.handle(.char("F")) }),
        ]
        for (w, h) in context.quick ? [(200, 60)] : [(200, 60), (80, 24)] {
            var diff = FrameDiff()
            for (label, prepare) in frames {
                prepare()
                let grid = Grid(width: w, height: h)
                let seconds = Stopwatch.best {
                    app.render(into: grid)
                    diff.invalidate()
                    _ = diff.changes(grid)
                }
                report(BenchmarkRecord(group: name, name: "frame: \(label)", size: "\(w)×\(h)", seconds: seconds,
                                       rate: 1 / seconds, unit: "frames/s", note: "budget 16 ms"))
            }
            app.handle(.char("f"))
            app.run(command: "open activations")
            app.handle(.enter)
        }
    }
}
