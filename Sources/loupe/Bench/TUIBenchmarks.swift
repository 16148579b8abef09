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
        let frames: [(String, [Key])] = [("overview", []), ("activations", [.tab]), ("activations unit", [.enter]), ("help", [.char("?")])]
        for (w, h) in context.quick ? [(200, 60)] : [(200, 60), (80, 24)] {
            var diff = FrameDiff()
            for (label, keys) in frames {
                keys.forEach(app.handle)
                let grid = Grid(width: w, height: h)
                let seconds = Stopwatch.best {
                    app.render(into: grid)
                    diff.invalidate()
                    _ = diff.changes(grid)
                }
                report(BenchmarkRecord(group: name, name: "frame: \(label)", size: "\(w)×\(h)", seconds: seconds,
                                       rate: 1 / seconds, unit: "frames/s", note: "budget 16 ms"))
            }
            app.handle(.escape)
            app.handle(.escape)
            app.handle(.tab)
        }
    }
}
