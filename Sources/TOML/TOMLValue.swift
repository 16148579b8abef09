/// A TOML value, as TOML 1.0 defines them, without dates and times (Loupe's files have none).
public indirect enum TOMLValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])
    case table(TOMLTable)

    public var string: String? { if case .string(let s) = self { return s } else { return nil } }
    public var integer: Int? { if case .integer(let i) = self { return i } else { return nil } }
    /// A float, or an integer read as one.
    public var number: Double? {
        switch self {
        case .float(let d): return d
        case .integer(let i): return Double(i)
        default: return nil
        }
    }
    public var boolean: Bool? { if case .boolean(let b) = self { return b } else { return nil } }
    public var array: [TOMLValue]? { if case .array(let a) = self { return a } else { return nil } }
    public var table: TOMLTable? { if case .table(let t) = self { return t } else { return nil } }

    /// "a string", "an integer", …: how a message names what was found.
    public var kindDescription: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a number"
        case .boolean: return "a boolean"
        case .array: return "a list"
        case .table: return "a table"
        }
    }
}

/// A table: its keys in the order the file defines them, each with the line it was defined on,
/// so that a check of the values can say where a mistake is.
public struct TOMLTable: Equatable, Sendable {
    public private(set) var keys: [String] = []
    private var values: [String: TOMLValue] = [:]
    private var lines: [String: Int] = [:]
    /// Where the table starts: its header's line, or the line of the key that holds it.
    public var line: Int

    public init(line: Int = 1) { self.line = line }

    public subscript(key: String) -> TOMLValue? { values[key] }

    /// The line `key` was defined on (nil when the table has no such key).
    public func line(of key: String) -> Int? { lines[key] }

    mutating func set(_ key: String, _ value: TOMLValue, line: Int) {
        if values[key] == nil { keys.append(key) }
        values[key] = value
        lines[key] = lines[key] ?? line
    }
}

/// A file that is not TOML, or a TOML construct Loupe does not read: the line, the column and
/// what is wrong, in one line.
public struct TOMLError: Error, CustomStringConvertible, Equatable {
    public let line: Int
    public let column: Int
    public let message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "line \(line), column \(column): \(message)" }
}
