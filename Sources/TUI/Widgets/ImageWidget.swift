/// A sample drawn as a picture, from its `input.image` shape [channels, height, width]: one
/// channel is grey, three are RGB. With colour each pixel is a half-block (square pixels);
/// without, each cell is a ramp character of the mean of its two pixels.
public struct ImageWidget {
    public var pixels: [Double]
    public var channels: Int
    public var height: Int
    public var width: Int
    /// The value range that maps to black … white.
    public var low: Double
    public var high: Double

    public init(pixels: [Double], shape: [Int], range: (Double, Double)? = nil) {
        precondition(shape.count == 3 && shape.reduce(1, *) == pixels.count, "ImageWidget: shape \(shape) for \(pixels.count) values")
        self.pixels = pixels
        (channels, height, width) = (shape[0], shape[1], shape[2])
        let finite = pixels.filter(\.isFinite)
        low = range?.0 ?? finite.min() ?? 0
        high = range?.1 ?? finite.max() ?? 1
    }

    /// The largest whole magnification that fits `cells` (at least 1).
    public func scale(fitting cells: (width: Int, height: Int), mode: ColorMode) -> Int {
        let rowsPerPixel = mode.hasColor ? 0.5 : 1.0
        let byWidth = cells.width / max(width, 1)
        let byHeight = Int(Double(cells.height) / (Double(height) * rowsPerPixel))
        return max(min(byWidth, byHeight), 1)
    }

    /// Cells the image takes at magnification `scale`.
    public func size(scale: Int, mode: ColorMode) -> (width: Int, height: Int) {
        (width * scale, mode.hasColor ? (height * scale + 1) / 2 : height * scale)
    }

    private func level(_ v: Double) -> Double { high > low ? min(max((v - low) / (high - low), 0), 1) : 0 }

    /// The colour of pixel (row, col).
    public func color(row: Int, col: Int) -> Color {
        let plane = height * width
        if channels >= 3 {
            let i = row * width + col
            return Color(255 * level(pixels[i]), 255 * level(pixels[plane + i]), 255 * level(pixels[2 * plane + i]))
        }
        let g = 255 * level(pixels[row * width + col])
        return Color(g, g, g)
    }

    private func brightness(row: Int, col: Int) -> Double {
        let plane = height * width
        let n = min(channels, 3)
        return (0..<n).map { level(pixels[$0 * plane + row * width + col]) }.reduce(0, +) / Double(n)
    }

    public func render(_ canvas: Canvas, scale: Int) {
        let s = max(scale, 1)
        let (w, h) = size(scale: s, mode: canvas.colors)
        for y in 0..<min(h, canvas.height) {
            for x in 0..<min(w, canvas.width) {
                let col = x / s
                if canvas.colors.hasColor {
                    let top = (2 * y) / s, bottom = (2 * y + 1) / s
                    let bg = bottom < height ? color(row: bottom, col: col) : .terminalDefault
                    canvas.put(x, y, "▀", Style(foreground: color(row: top, col: col), background: bg))
                } else {
                    let b = brightness(row: y / s, col: col)
                    canvas.put(x, y, ColorScale.ramp[min(Int(b * Double(ColorScale.ramp.count)), ColorScale.ramp.count - 1)])
                }
            }
        }
    }
}
