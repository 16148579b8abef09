import Foundation

/// An sRGB colour with 8-bit channels.
public struct RGB: Equatable, Hashable, Sendable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }
    public var hex: String { String(format: "#%02x%02x%02x", r, g, b) }
}

/// The colour maps of Loupe's plots, shared by SVG reports and the terminal UI so a heatmap
/// reads the same in both.
public enum ColorMap {
    /// Blue (negative) – white (zero) – red (positive), for signed data scaled to [−1, 1]; the
    /// anchors are ColorBrewer's RdBu.
    public static func diverging(_ t: Double) -> RGB {
        let anchors: [(Double, Double, Double)] = [
            (5, 48, 97), (33, 102, 172), (67, 147, 195), (146, 197, 222), (209, 229, 240), (247, 247, 247),
            (253, 219, 199), (244, 165, 130), (214, 96, 77), (178, 24, 43), (103, 0, 31)
        ]
        return interpolate(anchors, (min(max(t, -1), 1) + 1) / 2)
    }

    /// Dark blue to yellow (viridis anchors) for unsigned data scaled to [0, 1].
    public static func sequential(_ t: Double) -> RGB {
        let anchors: [(Double, Double, Double)] = [
            (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
            (53, 183, 121), (109, 205, 89), (180, 222, 44), (253, 231, 37)
        ]
        return interpolate(anchors, min(max(t, 0), 1))
    }

    /// The colour of `value` in a heatmap whose data span `range`: signed data are centred on 0
    /// and scaled by the largest magnitude; unsigned data run from the minimum to the maximum.
    public static func color(_ value: Double, signed: Bool, range: (min: Double, max: Double)) -> RGB {
        guard value.isFinite else { return RGB(128, 128, 128) }
        if signed {
            let m = max(abs(range.min), abs(range.max))
            return diverging(m > 0 ? value / m : 0)
        }
        let span = range.max - range.min
        return sequential(span > 0 ? (value - range.min) / span : 0.5)
    }

    /// Distinct colours for the series of a line plot (Tableau 10).
    public static let categorical: [RGB] = [
        RGB(31, 119, 180), RGB(255, 127, 14), RGB(44, 160, 44), RGB(214, 39, 40), RGB(148, 103, 189),
        RGB(140, 86, 75), RGB(227, 119, 194), RGB(127, 127, 127), RGB(188, 189, 34), RGB(23, 190, 207)
    ]

    private static func interpolate(_ anchors: [(Double, Double, Double)], _ t: Double) -> RGB {
        let x = t * Double(anchors.count - 1)
        let i = min(Int(x), anchors.count - 2)
        let f = x - Double(i)
        let (a, b) = (anchors[i], anchors[i + 1])
        func channel(_ p: Double, _ q: Double) -> UInt8 { UInt8((p + (q - p) * f).rounded()) }
        return RGB(channel(a.0, b.0), channel(a.1, b.1), channel(a.2, b.2))
    }
}

/// Axis ticks at "nice" values (1, 2 or 5 × 10ᵏ) covering a range.
public enum NiceTicks {
    public static func ticks(_ low: Double, _ high: Double, count: Int = 5) -> [Double] {
        guard low.isFinite, high.isFinite else { return [] }
        if low == high { return [low] }
        let (lo, hi) = (min(low, high), max(low, high))
        let raw = (hi - lo) / Double(max(count, 1))
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        var ticks: [Double] = []
        var v = ceil(lo / step) * step
        while v <= hi + step * 1e-9 {
            ticks.append(abs(v) < step * 1e-9 ? 0 : v)
            v += step
        }
        return ticks
    }
}
