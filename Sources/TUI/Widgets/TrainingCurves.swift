import Figures
import Interpret

/// An SAE's training curves as they grow: loss (total and MSE), L0 and FVU against the step,
/// side by side; the loss goes first when there is no room for three. The SAE views of both
/// workspaces draw them.
enum TrainingCurves {
    static func render(_ curve: [SAETrainingPoint], _ canvas: Canvas) {
        guard let last = curve.last?.loss else {
            canvas.text(0, 0, "waiting for the first step…", Theme.dim)
            return
        }
        let steps = curve.map { Double($0.step) }
        let plots = [
            LinePlot(
                title: "loss \(NumberFormat.readable(last.total))",
                series: [
                    LinePlot.Series("total", x: steps, y: curve.map(\.loss.total)),
                    LinePlot.Series("mse", x: steps, y: curve.map(\.loss.mse))
                ]),
            LinePlot(title: "L0 \(String(format: "%.1f", last.l0))", series: [LinePlot.Series("L0", x: steps, y: curve.map(\.loss.l0))]),
            LinePlot(title: "FVU \(NumberFormat.readable(last.fvu))", series: [LinePlot.Series("FVU", x: steps, y: curve.map(\.loss.fvu))])
        ]
        let shown = plots.suffix(max(min(canvas.width / 18, 3), 1))
        for (plot, area) in zip(shown, canvas.bounds.columns(shown.count, gap: 2)) { plot.render(canvas.sub(area)) }
    }
}
