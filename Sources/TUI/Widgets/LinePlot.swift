import Figures

/// Lines through points, drawn in braille dots (2×4 dots per cell) with a y axis of three
/// ticks, an x axis with its range, and a legend. Without colour the series are drawn at cell
/// resolution in plain characters ('*', '+', 'o', 'x'), one per series.
public struct LinePlot {
    public struct Series {
        public var name: String
        public var x: [Double]
        public var y: [Double]
        public init(_ name: String, x: [Double]? = nil, y: [Double]) {
            self.name = name
            self.x = x ?? y.indices.map(Double.init)
            self.y = y
        }
    }

    public var series: [Series]
    public var title: String

    public init(title: String = "", series: [Series]) {
        self.title = title
        self.series = series
    }

    /// The data ranges, padded when flat.
    public var ranges: (x: ClosedRange<Double>, y: ClosedRange<Double>)? {
        let xs = series.flatMap(\.x).filter(\.isFinite), ys = series.flatMap(\.y).filter(\.isFinite)
        guard let x0 = xs.min(), let x1 = xs.max(), let y0 = ys.min(), let y1 = ys.max() else { return nil }
        let pad = y1 > y0 ? 0 : max(abs(y0) * 0.1, 1)
        return (x0...(x1 > x0 ? x1 : x0 + 1), (y0 - pad)...(y1 + pad))
    }

    public func render(_ canvas: Canvas) {
        guard canvas.width >= 12, canvas.height >= 4 else { return }
        canvas.text(0, 0, title, Theme.title)
        // The legend, right-aligned on the title row.
        var legendX = canvas.width
        for (i, s) in series.enumerated().reversed() {
            let mark: String = canvas.colors.hasColor ? "━ " : "\(Theme.seriesMarks[i % 4]) "
            let entry = mark + s.name
            legendX -= entry.unicodeScalars.count + 2
            if legendX <= title.unicodeScalars.count { break }
            canvas.text(legendX, 0, entry, Style(foreground: Theme.series[i % Theme.series.count]))
        }
        guard let (xr, yr) = ranges else { canvas.text(0, 1, "(no data)", Theme.dim); return }
        let ticks = [yr.upperBound, (yr.lowerBound + yr.upperBound) / 2, yr.lowerBound].map(NumberFormat.tick)
        let labelWidth = ticks.map(\.count).max()!
        let plot = Rect(x: labelWidth + 1, y: 1, width: canvas.width - labelWidth - 1, height: canvas.height - 3)
        guard plot.width >= 2, plot.height >= 1 else { return }
        // Axes and ticks.
        for row in 0..<plot.height { canvas.put(labelWidth, plot.y + row, "│", Theme.dim) }
        canvas.put(labelWidth, plot.y + plot.height, "└", Theme.dim)
        for col in 0..<plot.width { canvas.put(plot.x + col, plot.y + plot.height, "─", Theme.dim) }
        canvas.textRight(labelWidth, plot.y, ticks[0], Theme.dim)
        if plot.height >= 3 { canvas.textRight(labelWidth, plot.y + plot.height / 2, ticks[1], Theme.dim) }
        canvas.textRight(labelWidth, plot.y + plot.height - 1, ticks[2], Theme.dim)
        let xl = NumberFormat.tick(xr.lowerBound), xh = NumberFormat.tick(xr.upperBound),
            xm = NumberFormat.tick((xr.lowerBound + xr.upperBound) / 2)
        canvas.text(plot.x, plot.y + plot.height + 1, xl, Theme.dim)
        canvas.textRight(plot.x + plot.width, plot.y + plot.height + 1, xh, Theme.dim)
        if plot.width > xl.count + xh.count + xm.count + 4 {
            canvas.text(plot.x + (plot.width - xm.count) / 2, plot.y + plot.height + 1, xm, Theme.dim)
        }

        let area = canvas.sub(plot)
        if canvas.colors.hasColor { drawBraille(area, xr, yr) } else { drawMarks(area, xr, yr) }
    }

    /// Each cell is 2×4 dots; a cell takes the colour of the last series with a dot in it.
    private func drawBraille(_ area: Canvas, _ xr: ClosedRange<Double>, _ yr: ClosedRange<Double>) {
        let (w, h) = (area.width * 2, area.height * 4)
        var dots = [UInt8](repeating: 0, count: area.width * area.height)
        var owner = [Int](repeating: -1, count: area.width * area.height)
        let bits: [[UInt8]] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]]
        for (si, s) in series.enumerated() {
            plotLine(s, xr, yr, width: w, height: h) { px, py in
                let cell = (py / 4) * area.width + px / 2
                dots[cell] |= bits[px % 2][py % 4]
                owner[cell] = si
            }
        }
        for i in dots.indices where dots[i] != 0 {
            let style = Style(foreground: Theme.series[owner[i] % Theme.series.count])
            area.put(i % area.width, i / area.width, Unicode.Scalar(0x2800 + UInt32(dots[i]))!, style)
        }
    }

    private func drawMarks(_ area: Canvas, _ xr: ClosedRange<Double>, _ yr: ClosedRange<Double>) {
        for (si, s) in series.enumerated() {
            plotLine(s, xr, yr, width: area.width, height: area.height) { px, py in
                area.put(px, py, Theme.seriesMarks[si % Theme.seriesMarks.count])
            }
        }
    }

    /// Visits the pixels of the polyline through the series' points on a width×height raster
    /// (y grows downwards), joining neighbours with straight segments.
    private func plotLine(
        _ s: Series, _ xr: ClosedRange<Double>, _ yr: ClosedRange<Double>, width: Int, height: Int,
        _ visit: (Int, Int) -> Void
    ) {
        func pixel(_ i: Int) -> (Int, Int)? {
            guard s.x[i].isFinite, s.y[i].isFinite else { return nil }
            let fx = (s.x[i] - xr.lowerBound) / (xr.upperBound - xr.lowerBound)
            let fy = (s.y[i] - yr.lowerBound) / (yr.upperBound - yr.lowerBound)
            return (min(Int(fx * Double(width - 1) + 0.5), width - 1), min(Int((1 - fy) * Double(height - 1) + 0.5), height - 1))
        }
        var previous: (Int, Int)?
        for i in 0..<min(s.x.count, s.y.count) {
            guard let p = pixel(i) else { previous = nil; continue }
            if let q = previous {
                let steps = max(abs(p.0 - q.0), abs(p.1 - q.1), 1)
                for t in 1...steps {
                    visit(q.0 + (p.0 - q.0) * t / steps, q.1 + (p.1 - q.1) * t / steps)
                }
            } else {
                visit(p.0, p.1)
            }
            previous = p
        }
    }
}
