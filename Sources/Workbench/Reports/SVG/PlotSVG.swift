import Figures
import Foundation

/// Draws a report plot as SVG: title, axes with ticks and labels, a legend for several
/// series, a colour bar for heatmaps.
enum PlotSVG {
    static func render(_ plot: ReportPlot) -> String {
        switch plot.content {
        case .lines(let p): return lines(p, title: plot.title)
        case .heatmap(let h): return heatmap(h, title: plot.title)
        case .bars(let b): return bars(b, title: plot.title)
        }
    }

    /// Maps data coordinates to the plot area.
    private struct Frame {
        let left = 70.0, top = 40.0, width: Double, height: Double
        let xRange: (Double, Double), yRange: (Double, Double)
        func x(_ v: Double) -> Double { left + (v - xRange.0) / max(xRange.1 - xRange.0, 1e-300) * width }
        func y(_ v: Double) -> Double { top + height - (v - yRange.0) / max(yRange.1 - yRange.0, 1e-300) * height }
    }

    private static func padded(_ values: [Double]) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return (0, 1) }
        if lo == hi { return (lo - 0.5, hi + 0.5) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    private static func axes(_ svg: inout SVGDocument, _ f: Frame, xLabel: String, yLabel: String, xTicks: [Double]?) {
        svg.line(f.left, f.top + f.height, f.left + f.width, f.top + f.height)
        svg.line(f.left, f.top, f.left, f.top + f.height)
        for t in NiceTicks.ticks(f.yRange.0, f.yRange.1) {
            let y = f.y(t)
            svg.line(f.left - 4, y, f.left, y)
            svg.line(f.left, y, f.left + f.width, y, stroke: "#e5e5e5")
            svg.text(NumberFormat.readable(t, digits: 3), x: f.left - 6, y: y + 4, size: 10, anchor: .end)
        }
        for t in xTicks ?? NiceTicks.ticks(f.xRange.0, f.xRange.1) {
            let x = f.x(t)
            svg.line(x, f.top + f.height, x, f.top + f.height + 4)
            svg.text(NumberFormat.readable(t, digits: 3), x: x, y: f.top + f.height + 16, size: 10, anchor: .middle)
        }
        svg.text(xLabel, x: f.left + f.width / 2, y: f.top + f.height + 34, size: 12, anchor: .middle)
        svg.text(yLabel, x: 16, y: f.top + f.height / 2, size: 12, anchor: .middle, rotate: -90)
    }

    static func lines(_ p: PlotLines, title: String) -> String {
        var svg = SVGDocument(width: 640, height: 420)
        let f = Frame(width: 540, height: 320, xRange: padded(p.series.flatMap(\.x)), yRange: padded(p.series.flatMap(\.y)))
        svg.text(title, x: 320, y: 22, size: 14, anchor: .middle, bold: true)
        axes(&svg, f, xLabel: p.xLabel, yLabel: p.yLabel, xTicks: nil)
        for (i, s) in p.series.enumerated() {
            let colour = ColorMap.categorical[i % ColorMap.categorical.count].hex
            let points = zip(s.x, s.y).filter { $0.0.isFinite && $0.1.isFinite }.map { (f.x($0.0), f.y($0.1)) }
            svg.polyline(points, stroke: colour)
            if points.count == 1 { svg.rect(x: points[0].0 - 2, y: points[0].1 - 2, width: 4, height: 4, fill: colour) }
        }
        if p.series.count > 1 {
            let longest = p.series.map(\.name.count).max() ?? 0
            let boxWidth = 30 + 6.5 * Double(longest)
            let x0 = f.left + f.width - boxWidth - 6
            svg.rect(x: x0, y: f.top + 6, width: boxWidth, height: 16 * Double(p.series.count) + 6, fill: "white", stroke: "#999")
            for (i, s) in p.series.enumerated() {
                let y = f.top + 18 + 16 * Double(i)
                svg.line(x0 + 6, y - 4, x0 + 22, y - 4, stroke: ColorMap.categorical[i % ColorMap.categorical.count].hex, width: 2)
                svg.text(s.name, x: x0 + 26, y: y, size: 11)
            }
        }
        return svg.rendered
    }

    static func bars(_ b: PlotBars, title: String) -> String {
        var svg = SVGDocument(width: 640, height: 420)
        let values = b.values.filter(\.isFinite)
        let f = Frame(
            width: 540, height: 300, xRange: (0, Double(max(b.values.count, 1))),
            yRange: (min(0, values.min() ?? 0), max(values.max() ?? 1, 1e-12) * 1.05))
        svg.text(title, x: 320, y: 22, size: 14, anchor: .middle, bold: true)
        axes(&svg, f, xLabel: "", yLabel: b.valueLabel, xTicks: [])
        let slot = f.width / Double(max(b.values.count, 1))
        for (i, v) in b.values.enumerated() where v.isFinite {
            let top = f.y(max(v, 0)), bottom = f.y(min(v, 0))
            svg.rect(
                x: f.left + slot * (Double(i) + 0.15), y: top, width: slot * 0.7, height: bottom - top, fill: ColorMap.categorical[0].hex)
            let crowded = b.labels.count > 8
            svg.text(
                b.labels[i], x: f.left + slot * (Double(i) + 0.5), y: f.top + f.height + 14, size: 10,
                anchor: crowded ? .end : .middle, rotate: crowded ? -45 : nil)
        }
        return svg.rendered
    }

    static func heatmap(_ h: PlotHeatmap, title: String) -> String {
        let rows = h.values.count, cols = h.values.first?.count ?? 0
        let cell = max(4, min(36, 480 / Double(max(rows, cols, 1))))
        let labelRoom = 12 + 6.5 * Double((h.rowLabels + h.columnLabels).map(\.count).max() ?? 0)
        let left = labelRoom, top = 40 + labelRoom
        // Wide enough for the title (about 8 px per character at 14 px bold).
        let width = max(left + cell * Double(cols) + 110, 8 * Double(title.count) + 40), height = top + cell * Double(rows) + 30
        var svg = SVGDocument(width: width, height: height)
        svg.text(title, x: width / 2, y: 22, size: 14, anchor: .middle, bold: true)
        let finite = h.values.flatMap { $0 }.filter(\.isFinite)
        let range = (min: finite.min() ?? 0, max: finite.max() ?? 0)
        for r in 0..<rows {
            // NaN cells are gaps (between mosaic tiles, say): left as background.
            for c in 0..<cols where h.values[r][c].isFinite {
                svg.rect(
                    x: left + cell * Double(c), y: top + cell * Double(r), width: cell, height: cell,
                    fill: ColorMap.color(h.values[r][c], signed: h.signed, range: range).hex)
            }
            if r < h.rowLabels.count {
                svg.text(h.rowLabels[r], x: left - 4, y: top + cell * (Double(r) + 0.5) + 4, size: 10, anchor: .end)
            }
        }
        for c in 0..<min(cols, h.columnLabels.count) {
            let x = left + cell * (Double(c) + 0.5)
            svg.text(h.columnLabels[c], x: x, y: top - 4, size: 10, anchor: .start, rotate: -60)
        }
        // Colour bar with its end values (±max for signed data).
        let barX = left + cell * Double(cols) + 24, barHeight = max(cell * Double(rows), 60)
        let (low, high) = h.signed ? (-max(abs(range.min), abs(range.max)), max(abs(range.min), abs(range.max))) : (range.min, range.max)
        let steps = 40
        for i in 0..<steps {
            let v = high - (high - low) * (Double(i) + 0.5) / Double(steps)
            svg.rect(
                x: barX, y: top + barHeight * Double(i) / Double(steps), width: 14, height: barHeight / Double(steps) + 0.5,
                fill: ColorMap.color(v, signed: h.signed, range: range).hex)
        }
        svg.text(NumberFormat.readable(high, digits: 3), x: barX + 18, y: top + 8, size: 10)
        svg.text(NumberFormat.readable(low, digits: 3), x: barX + 18, y: top + barHeight, size: 10)
        svg.text(h.valueLabel, x: barX + 7, y: top + barHeight + 16, size: 10, anchor: .middle)
        return svg.rendered
    }
}
