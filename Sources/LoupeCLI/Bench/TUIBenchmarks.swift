import Foundation
import Interpret
import Networks
import TUI
import Workbench

/// Frame time of the workbench on the demo workspace (two models): each view drawn from scratch
/// into the cell grid and diffed as a full repaint (the worst case: every cell sent), which is
/// what a frame costs before curses writes the cells. The budget is 16 ms at 200×60. Each view
/// is shown (and its background work finished) before it is timed.
enum TUIBenchmarks: BenchmarkGroup {
    static let name = "tui"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-bench-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let workspace = try WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2"], data: "builtin:digits:test").load()
        for (w, h) in context.quick ? [(200, 60)] : [(200, 60), (80, 24)] {
            let app = App(workspace: workspace, options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
            let frames: [(String, () -> Void)] = [
                ("overview", { app.run(command: "open overview") }),
                ("activations", { app.run(command: "open activations") }),
                ("activations unit", { app.handle(.enter) }),
                ("help", { app.handle(.char("?")) }),
                (
                    "bilinear",
                    {
                        app.handle(.escape); app.handle(.escape); app.run(command: "open bilinear")
                    }
                ),
                ("bilinear contributions", { app.handle(.char("F")) }),
                ("lrp", { app.run(command: "open lrp") }),
                ("lrp with pixel flipping", { app.handle(.char("f")) }),
                ("interp", { app.run(command: "open interp") }),
                ("sae training curves", { app.run(command: "open sae") }),
                (
                    "sae latent browser",
                    {
                        app.handle(.char("f")); app.handle(.char("f")); app.handle(.char("f"))
                    }
                ),
                ("cka", { app.run(command: "open cka") }),
                ("align 256×256 fitted", { app.run(command: "open align") }),
                (
                    "align 256×256 aligned, 1:1",
                    {
                        app.handle(.char("o")); app.handle(.char("z"))
                    }
                ),
                ("rebasin", { app.run(command: "open rebasin") })
            ]
            var diff = FrameDiff()
            for (label, show) in frames {
                show()
                // A delivery may start the next job (a view loads its model, then computes).
                repeat { app.finishJobs() } while app.isBusy
                let grid = Grid(width: w, height: h)
                let seconds = Stopwatch.best {
                    app.render(into: grid)
                    diff.invalidate()
                    _ = diff.changes(grid)
                }
                report(
                    BenchmarkRecord(
                        group: name, name: "frame: \(label)", size: "\(w)×\(h)", seconds: seconds,
                        rate: 1 / seconds, unit: "frames/s", note: "budget 16 ms"))
            }
        }
        let cnn = try DemoModels.load("cnn")
        let lrp = try Stopwatch.best {
            _ = try LRPExplanation.compute(network: cnn, data: workspace.data, samples: [0], configuration: LRPConfiguration())
        }
        report(
            BenchmarkRecord(
                group: name, name: "lrp view: explain one sample", size: "demo:cnn, epsilon-plus", seconds: lrp,
                rate: 1 / lrp, unit: "explanations/s", note: "done on each key"))
        let interp = try Stopwatch.best {
            _ = try LinearInterpretation.compute(network: cnn, data: workspace.data, samples: [0])
        }
        report(
            BenchmarkRecord(
                group: name, name: "interp view: interpret one sample", size: "demo:cnn, 10 classes", seconds: interp,
                rate: 1 / interp, unit: "interpretations/s", note: "done on each key"))
    }
}
