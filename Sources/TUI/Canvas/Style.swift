/// Text attributes; the raw values are those of the curses shim.
public struct Attributes: OptionSet, Hashable, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }
    public static let bold = Attributes(rawValue: 1)
    public static let dim = Attributes(rawValue: 2)
    public static let reverse = Attributes(rawValue: 4)
    public static let underline = Attributes(rawValue: 8)
    public static let italic = Attributes(rawValue: 16)
}

/// How a cell looks: foreground, background and attributes.
public struct Style: Hashable, Sendable {
    public var foreground: Color
    public var background: Color
    public var attributes: Attributes

    public init(foreground: Color = .terminalDefault, background: Color = .terminalDefault, attributes: Attributes = []) {
        self.foreground = foreground
        self.background = background
        self.attributes = attributes
    }

    public static let plain = Style()

    public func with(_ more: Attributes) -> Style {
        var s = self
        s.attributes.formUnion(more)
        return s
    }
}

/// The workbench's few named styles, so views agree on what "selected" or "dim" looks like.
public enum Theme {
    public static let title = Style(attributes: .bold)
    public static let heading = Style(foreground: .rgb(135, 175, 255), attributes: .bold)
    public static let dim = Style(attributes: .dim)
    public static let selected = Style(attributes: .reverse)
    public static let accent = Style(foreground: .rgb(95, 215, 175))
    public static let warning = Style(foreground: .rgb(255, 175, 0), attributes: .bold)
    public static let error = Style(foreground: .rgb(255, 95, 95), attributes: .bold)
    public static let cursor = Color.rgb(0, 255, 0)
    /// Colours of the series of a plot, in order (model A, model B, …).
    public static let series: [Color] = [.rgb(95, 175, 255), .rgb(255, 135, 0), .rgb(135, 215, 95), .rgb(215, 95, 215)]
    /// Characters that tell series apart where there is no colour.
    public static let seriesMarks: [Unicode.Scalar] = ["*", "+", "o", "x"]
}
