/// A key press as the workbench sees it.
public enum Key: Hashable, Sendable {
    case character(Unicode.Scalar)
    /// Ctrl with a letter: `.control("l")` is Ctrl-L.
    case control(Unicode.Scalar)
    case up, down, left, right, home, end, pageUp, pageDown
    case enter, escape, tab, backTab, backspace, delete
    case function(Int)
    /// The terminal changed size.
    case resize

    public static func char(_ c: Unicode.Scalar) -> Key { .character(c) }

    /// A raw character code from the terminal: control codes become named keys.
    public init(code: UInt32) {
        switch code {
        case 9: self = .tab
        case 10, 13: self = .enter
        case 27: self = .escape
        case 8, 127: self = .backspace
        case 1...26: self = .control(Unicode.Scalar(UInt8(code) + 96))
        default: self = .character(Unicode.Scalar(code) ?? "?")
        }
    }

    /// How the help shows this key.
    public var label: String {
        switch self {
        case .character(" "): return "Space"
        case .character(let c): return String(c)
        case .control(let c): return "Ctrl-" + String(c).uppercased()
        case .up: return "↑"
        case .down: return "↓"
        case .left: return "←"
        case .right: return "→"
        case .home: return "Home"
        case .end: return "End"
        case .pageUp: return "PgUp"
        case .pageDown: return "PgDn"
        case .enter: return "Enter"
        case .escape: return "Esc"
        case .tab: return "Tab"
        case .backTab: return "S-Tab"
        case .backspace: return "Bksp"
        case .delete: return "Del"
        case .function(let n): return "F\(n)"
        case .resize: return "resize"
        }
    }

    /// The printable character this key types into a text field, if any.
    public var typed: Unicode.Scalar? {
        if case .character(let c) = self, c.value >= 32 { return c }
        return nil
    }
}

/// One entry of a key-binding table: the keys, the action they trigger, and the help line.
/// The same tables drive the key handling and the `?` help, so the two cannot disagree.
/// Keys, the action they do (one case of the view's `Action` enum, so that a misspelt action
/// does not compile), and the line the `?` help gives it.
public struct KeyBinding<Action: Sendable>: Sendable {
    public var keys: [Key]
    public var action: Action
    public var help: String

    public init(_ keys: [Key], _ action: Action, _ help: String) {
        self.keys = keys
        self.action = action
        self.help = help
    }

    public var keyLabel: String { keys.map(\.label).joined(separator: " ") }
}

extension Array {
    /// The action bound to `key`, if any.
    public func action<Action>(for key: Key) -> Action? where Element == KeyBinding<Action> {
        first { $0.keys.contains(key) }?.action
    }
}
