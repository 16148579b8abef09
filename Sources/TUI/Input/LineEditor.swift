/// A one-line text field: the command palette, the filter and the session-name prompt.
public struct LineEditor: Equatable, Sendable {
    public private(set) var text: String
    /// Cursor position in Unicode scalars.
    public private(set) var cursor: Int

    public init(_ text: String = "") {
        self.text = text
        cursor = text.unicodeScalars.count
    }

    /// Applies an editing key; returns false for keys a text field does not use.
    public mutating func handle(_ key: Key) -> Bool {
        var scalars = Array(text.unicodeScalars)
        switch key {
        case .backspace:
            if cursor > 0 { scalars.remove(at: cursor - 1); cursor -= 1 }
        case .delete:
            if cursor < scalars.count { scalars.remove(at: cursor) }
        case .left: cursor = max(cursor - 1, 0)
        case .right: cursor = min(cursor + 1, scalars.count)
        case .home, .control("a"): cursor = 0
        case .end, .control("e"): cursor = scalars.count
        case .control("u"): scalars.removeAll(); cursor = 0
        default:
            guard let c = key.typed else { return false }
            scalars.insert(c, at: cursor)
            cursor += 1
        }
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars)
        text = String(view)
        return true
    }
}
