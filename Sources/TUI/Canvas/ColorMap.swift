import Workbench

/// How values become colours. Signed data uses a diverging map centred on zero (blue below,
/// red above, near white at zero); non-negative data a sequential map from dark blue to yellow.
/// The colours are Workbench's `ColorMap`, the same as in SVG reports, so a heatmap reads the
/// same on screen and on paper.
public enum ColorScale: Equatable, Sendable {
    /// Values in [−limit, limit]; zero is the middle.
    case diverging(limit: Double)
    /// Values in [low, high].
    case sequential(low: Double, high: Double)

    /// The scale that suits `values`: diverging when any is negative, else sequential from 0.
    public static func fitting<S: Sequence>(_ values: S) -> ColorScale where S.Element: BinaryFloatingPoint {
        var low = 0.0, high = 0.0
        for v in values where v.isFinite {
            low = min(low, Double(v))
            high = max(high, Double(v))
        }
        if low < 0 { return .diverging(limit: max(-low, high)) }
        return .sequential(low: 0, high: high)
    }

    /// Where `value` falls, from 0 (low end) to 1 (high end); 0.5 is zero on a diverging scale.
    public func position(_ value: Double) -> Double {
        guard value.isFinite else { return 0.5 }
        switch self {
        case .diverging(let limit):
            return limit > 0 ? min(max(0.5 + 0.5 * value / limit, 0), 1) : 0.5
        case .sequential(let low, let high):
            return high > low ? min(max((value - low) / (high - low), 0), 1) : 0
        }
    }

    public func color(_ value: Double) -> Color {
        let t = position(value)
        let rgb: RGB
        switch self {
        case .diverging: rgb = ColorMap.diverging(2 * t - 1)
        case .sequential: rgb = ColorMap.sequential(t)
        }
        return .rgb(rgb.r, rgb.g, rgb.b)
    }

    /// The plain-character ramp, darkest first, for terminals without colour.
    public static let ramp: [Unicode.Scalar] = [" ", ".", ":", "-", "=", "+", "*", "#", "%", "@"]

    /// The ramp character for `value`. On a diverging scale it follows the signed position, so
    /// zero falls on '+', the sixth of the ten.
    public func character(_ value: Double) -> Unicode.Scalar {
        let n = ColorScale.ramp.count
        return ColorScale.ramp[min(Int(position(value) * Double(n)), n - 1)]
    }

    public var low: Double {
        switch self {
        case .diverging(let limit): return -limit
        case .sequential(let low, _): return low
        }
    }

    public var high: Double {
        switch self {
        case .diverging(let limit): return limit
        case .sequential(_, let high): return high
        }
    }
}
