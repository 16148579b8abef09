/// A TOML 1.0 reader: comments, bare, quoted and dotted keys, the four kinds of string, integers
/// (decimal, hex, octal, binary), floats (inf and nan too), booleans, arrays, inline tables,
/// tables and arrays of tables, with the spec's rules on defining a key or table twice. Dates
/// and times are refused by name. Every mistake is a `TOMLError` with its line and column; no
/// input makes it trap, recurse without bound or read past its end (it is fuzzed: loupe-fuzz).
public enum TOML {
    /// The deepest nesting of arrays and inline tables read (deeper is refused, not recursed).
    public static let maxDepth = 64

    public static func parse(_ text: String) throws -> TOMLTable {
        var parser = Parser(Array(text.utf8))
        return try parser.document()
    }
}

/// A table while the document is read: how it came to exist decides what may still be added.
private final class Node {
    enum Origin {
        /// Made as the parent of a header ([a] when [a.b] came first): may be defined once later.
        case implicit
        /// Defined by its own header.
        case header
        /// Made by a dotted key (a.b = 1 makes a): extended by more dotted keys only.
        case dotted
        /// An inline table { … }: closed once read.
        case inline
    }

    enum Entry {
        case value(TOMLValue, line: Int)
        case table(Node)
        case tables([Node], line: Int)
    }

    var origin: Origin
    let line: Int
    var entries: [String: Entry] = [:]
    var order: [String] = []

    init(_ origin: Origin, line: Int) {
        self.origin = origin
        self.line = line
    }

    func set(_ key: String, _ entry: Entry) {
        if entries[key] == nil { order.append(key) }
        entries[key] = entry
    }

    var value: TOMLTable {
        var t = TOMLTable(line: line)
        for key in order {
            switch entries[key]! {
            case .value(let v, let line): t.set(key, v, line: line)
            case .table(let node): t.set(key, .table(node.value), line: node.line)
            case .tables(let nodes, let line): t.set(key, .array(nodes.map { .table($0.value) }), line: line)
            }
        }
        return t
    }
}

private struct Parser {
    let bytes: [UInt8]
    var i = 0
    var line = 1
    var lineStart = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    // MARK: Document

    mutating func document() throws -> TOMLTable {
        let root = Node(.header, line: 1)
        var current = root
        while true {
            skipWhitespace()
            guard let c = peek else { break }
            switch c {
            case UInt8(ascii: "#"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "["):
                current = try header(root)
            default:
                try keyValue(into: current)
            }
            try endOfLine()
        }
        return root.value
    }

    /// `[a.b]` or `[[a.b]]`: the table that the following keys go into.
    mutating func header(_ root: Node) throws -> Node {
        let headerLine = line
        i += 1
        let isArray = peek == UInt8(ascii: "[")
        if isArray { i += 1 }
        skipWhitespace()
        let path = try key()
        skipWhitespace()
        try expect("]", "to close the table header")
        if isArray { try expect("]", "to close the array-of-tables header [[…]]") }
        var node = root
        for k in path.dropLast() { node = try descend(node, k, creating: .implicit, headerLine) }
        let last = path.last!
        let name = path.joined(separator: ".")
        if isArray {
            let fresh = Node(.header, line: headerLine)
            switch node.entries[last] {
            case nil: node.set(last, .tables([fresh], line: headerLine))
            case .tables(let nodes, let line)?: node.set(last, .tables(nodes + [fresh], line: line))
            default: throw error("[[\(name)]]: \(name) is already defined as something other than an array of tables", at: headerLine)
            }
            return fresh
        }
        switch node.entries[last] {
        case nil:
            let fresh = Node(.header, line: headerLine)
            node.set(last, .table(fresh))
            return fresh
        case .table(let existing)? where existing.origin == .implicit:
            existing.origin = .header
            return existing
        default:
            throw error("table [\(name)] is defined twice", at: headerLine)
        }
    }

    /// The table `key` of `node`, made (as `origin`) when missing; the last of an array of tables.
    mutating func descend(_ node: Node, _ key: String, creating origin: Node.Origin, _ at: Int) throws -> Node {
        switch node.entries[key] {
        case nil:
            let fresh = Node(origin, line: at)
            node.set(key, .table(fresh))
            return fresh
        case .table(let child)?:
            // Headers may pass through any table but a closed inline one; dotted keys only
            // extend tables that dotted keys made.
            if child.origin == .inline || (origin == .dotted && child.origin != .dotted) {
                throw error("'\(key)' is already defined and cannot be extended here", at: at)
            }
            return child
        case .tables(let nodes, _)? where origin == .implicit:
            return nodes.last!
        default:
            throw error("'\(key)' is already defined as a value, not a table", at: at)
        }
    }

    /// `a.b = value` into `table`.
    mutating func keyValue(into table: Node) throws {
        let at = line
        let path = try key()
        skipWhitespace()
        try expect("=", "after the key '\(path.joined(separator: "."))'")
        skipWhitespace()
        let v = try value(depth: 0)
        var node = table
        for k in path.dropLast() { node = try descend(node, k, creating: .dotted, at) }
        let last = path.last!
        guard node.entries[last] == nil else { throw error("key '\(path.joined(separator: "."))' is defined twice", at: at) }
        switch v {
        case .inline(let inline): node.set(last, .table(inline))
        case .plain(let plain): node.set(last, .value(plain, line: at))
        }
    }

    /// After an expression: spaces, an optional comment, then the end of the line.
    mutating func endOfLine() throws {
        skipWhitespace()
        if peek == UInt8(ascii: "#") { try comment() }
        guard let c = peek else { return }
        if c == UInt8(ascii: "\n") || (c == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n")) {
            newline()
            return
        }
        throw error(
            c == UInt8(ascii: "\r")
                ? "a carriage return must be followed by a line feed" : "expected the end of the line, found \(describe(c))")
    }

    mutating func comment() throws {
        while let c = peek, c != UInt8(ascii: "\n") {
            if c == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n") { return }
            if isControl(c) { throw error("a comment may not hold \(describe(c))") }
            i += 1
        }
    }

    // MARK: Keys

    /// A key: bare or quoted parts joined by dots (spaces allowed around the dots).
    mutating func key() throws -> [String] {
        var parts = [try simpleKey()]
        while true {
            guard parts.count <= TOML.maxDepth else { throw error("a key of more than \(TOML.maxDepth) dotted parts") }
            let save = (i, line, lineStart)
            skipWhitespace()
            guard peek == UInt8(ascii: ".") else { (i, line, lineStart) = save; return parts }
            i += 1
            skipWhitespace()
            parts.append(try simpleKey())
        }
    }

    mutating func simpleKey() throws -> String {
        guard let c = peek else { throw error("expected a key, found the end of the file") }
        if c == UInt8(ascii: "\"") { return try basicString() }
        if c == UInt8(ascii: "'") { return try literalString() }
        let start = i
        while let b = peek, isBareKey(b) { i += 1 }
        guard i > start else { throw error("expected a key (letters, digits, _ or -, or a quoted key), found \(describe(c))") }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    // MARK: Values

    enum Parsed {
        case plain(TOMLValue)
        case inline(Node)

        var toml: TOMLValue {
            switch self {
            case .plain(let v): return v
            case .inline(let n): return .table(n.value)
            }
        }
    }

    mutating func value(depth: Int) throws -> Parsed {
        guard let c = peek else { throw error("expected a value, found the end of the file") }
        switch c {
        case UInt8(ascii: "\""):
            return .plain(.string(starts("\"\"\"") ? try multiLineString(quote: UInt8(ascii: "\"")) : try basicString()))
        case UInt8(ascii: "'"):
            return .plain(.string(starts("'''") ? try multiLineString(quote: UInt8(ascii: "'")) : try literalString()))
        case UInt8(ascii: "["):
            return .plain(try array(depth: depth + 1))
        case UInt8(ascii: "{"):
            return .inline(try inlineTable(depth: depth + 1))
        case UInt8(ascii: "t") where starts("true"):
            i += 4
            return .plain(.boolean(true))
        case UInt8(ascii: "f") where starts("false"):
            i += 5
            return .plain(.boolean(false))
        default:
            return .plain(try number())
        }
    }

    mutating func array(depth: Int) throws -> TOMLValue {
        guard depth <= TOML.maxDepth else { throw error("arrays and tables nest more than \(TOML.maxDepth) deep") }
        i += 1
        var items: [TOMLValue] = []
        while true {
            try skipWhitespaceNewlinesAndComments()
            guard let c = peek else { throw error("the array is not closed with ']'") }
            if c == UInt8(ascii: "]") { i += 1; return .array(items) }
            items.append(try value(depth: depth).toml)
            try skipWhitespaceNewlinesAndComments()
            guard let next = peek else { throw error("the array is not closed with ']'") }
            if next == UInt8(ascii: ",") { i += 1; continue }
            guard next == UInt8(ascii: "]") else { throw error("expected ',' or ']' in the array, found \(describe(next))") }
        }
    }

    mutating func inlineTable(depth: Int) throws -> Node {
        guard depth <= TOML.maxDepth else { throw error("arrays and tables nest more than \(TOML.maxDepth) deep") }
        let node = Node(.dotted, line: line)
        i += 1
        skipWhitespace()
        if peek == UInt8(ascii: "}") {
            i += 1
            node.origin = .inline
            return node
        }
        while true {
            skipWhitespace()
            let at = line
            let path = try key()
            skipWhitespace()
            try expect("=", "after the key '\(path.joined(separator: "."))'")
            skipWhitespace()
            let v = try value(depth: depth)
            var target = node
            for k in path.dropLast() { target = try descend(target, k, creating: .dotted, at) }
            guard target.entries[path.last!] == nil else { throw error("key '\(path.joined(separator: "."))' is defined twice", at: at) }
            switch v {
            case .inline(let inline): target.set(path.last!, .table(inline))
            case .plain(let plain): target.set(path.last!, .value(plain, line: at))
            }
            skipWhitespace()
            guard let c = peek else { throw error("the inline table is not closed with '}'") }
            if c == UInt8(ascii: ",") { i += 1; continue }
            if c == UInt8(ascii: "}") {
                i += 1
                close(node)
                return node
            }
            throw error("expected ',' or '}' in the inline table (which is one line), found \(describe(c))")
        }
    }

    /// An inline table and the tables its dotted keys made are closed once read.
    private func close(_ node: Node) {
        node.origin = .inline
        for case .table(let child) in node.entries.values { close(child) }
    }

    // MARK: Strings

    mutating func basicString() throws -> String {
        i += 1
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw error("the string is not closed with '\"'") }
            switch c {
            case UInt8(ascii: "\""):
                i += 1
                return String(decoding: out, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape(into: &out)
            case UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                throw error("the string is not closed on its line with '\"' (use \"\"\" for several lines)")
            default:
                if isControl(c) { throw error("a string may not hold \(describe(c)) (write it as an escape)") }
                out.append(c)
                i += 1
            }
        }
    }

    mutating func literalString() throws -> String {
        i += 1
        let start = i
        while true {
            guard let c = peek else { throw error("the string is not closed with \"'\"") }
            if c == UInt8(ascii: "'") {
                defer { i += 1 }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
            if c == UInt8(ascii: "\n") || c == UInt8(ascii: "\r") { throw error("the string is not closed on its line with \"'\"") }
            if isControl(c) { throw error("a string may not hold \(describe(c))") }
            i += 1
        }
    }

    /// """…""" (escapes) or '''…''' (none): a newline right after the opening is dropped; one
    /// or two quotes may end the content just before the closing three.
    mutating func multiLineString(quote: UInt8) throws -> String {
        i += 3
        if peek == UInt8(ascii: "\n") { newline() } else if peek == UInt8(ascii: "\r"), peek(1) == UInt8(ascii: "\n") { newline() }
        var out: [UInt8] = []
        while true {
            guard let c = peek else { throw error("the multi-line string is not closed") }
            if c == quote, peek(1) == quote, peek(2) == quote {
                var run = 3
                while peek(run) == quote { run += 1 }
                guard run <= 5 else { throw error("too many quotes at the end of a multi-line string") }
                out += [UInt8](repeating: quote, count: run - 3)
                i += run
                return String(decoding: out, as: UTF8.self)
            }
            if c == UInt8(ascii: "\n") || (c == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n")) {
                out.append(UInt8(ascii: "\n"))
                newline()
            } else if c == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                if try lineEndingBackslash() { continue }
                try escape(into: &out)
            } else {
                if isControl(c) { throw error("a string may not hold \(describe(c))") }
                out.append(c)
                i += 1
            }
        }
    }

    /// A backslash that ends a line in a """ string: it, the newline and the whitespace after
    /// are dropped. Returns false (consuming nothing) for any other backslash.
    mutating func lineEndingBackslash() throws -> Bool {
        var k = 1
        while peek(k) == UInt8(ascii: " ") || peek(k) == UInt8(ascii: "\t") { k += 1 }
        guard peek(k) == UInt8(ascii: "\n") || (peek(k) == UInt8(ascii: "\r") && peek(k + 1) == UInt8(ascii: "\n")) else { return false }
        i += k
        while let c = peek {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") {
                i += 1
            } else if c == UInt8(ascii: "\n") || (c == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n")) {
                newline()
            } else {
                break
            }
        }
        return true
    }

    mutating func escape(into out: inout [UInt8]) throws {
        guard let c = peek(1) else { throw error("the string ends in the middle of an escape") }
        i += 2
        switch c {
        case UInt8(ascii: "b"): out.append(0x08)
        case UInt8(ascii: "t"): out.append(0x09)
        case UInt8(ascii: "n"): out.append(0x0A)
        case UInt8(ascii: "f"): out.append(0x0C)
        case UInt8(ascii: "r"): out.append(0x0D)
        case UInt8(ascii: "\""): out.append(0x22)
        case UInt8(ascii: "\\"): out.append(0x5C)
        case UInt8(ascii: "u"), UInt8(ascii: "U"):
            let count = c == UInt8(ascii: "u") ? 4 : 8
            guard i + count <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + count)], as: UTF8.self), radix: 16),
                bytes[i..<(i + count)].allSatisfy(isHexDigit), let scalar = Unicode.Scalar(v)
            else {
                throw error("\\\(Character(Unicode.Scalar(c))) must be followed by \(count) hex digits of a Unicode scalar value")
            }
            out += Array(String(Character(scalar)).utf8)
            i += count
        default:
            throw error("unknown escape \\\(describe(c)) (use \\\\ for a backslash)")
        }
    }

    // MARK: Numbers

    mutating func number() throws -> TOMLValue {
        let start = i
        while let c = peek, isNumberCharacter(c) { i += 1 }
        let token = String(decoding: bytes[start..<i], as: UTF8.self)
        guard !token.isEmpty else { throw error("expected a value, found \(describe(peek!))") }
        if let special = ["inf": Double.infinity, "+inf": .infinity, "-inf": -.infinity, "nan": .nan, "+nan": .nan, "-nan": .nan][token] {
            return .float(special)
        }
        let t = Array(token.utf8)
        if t.contains(UInt8(ascii: ":"))
            || (t.count >= 10 && t[4] == UInt8(ascii: "-") && t[7] == UInt8(ascii: "-") && t[0...3].allSatisfy(isDigit))
        {
            throw error("dates and times are not read here (found \(token))", at: line, column: start - lineStart + 1)
        }
        if t.count > 2, t[0] == UInt8(ascii: "0"), let radix = [UInt8(ascii: "x"): 16, UInt8(ascii: "o"): 8, UInt8(ascii: "b"): 2][t[1]] {
            let digits = Array(t[2...])
            guard digitsWithUnderscores(digits, radix: radix),
                let v = Int(String(decoding: digits.filter { $0 != UInt8(ascii: "_") }, as: UTF8.self), radix: radix)
            else {
                throw bad(token, start)
            }
            return .integer(v)
        }
        let unsigned = t.first == UInt8(ascii: "+") || t.first == UInt8(ascii: "-") ? Array(t.dropFirst()) : t
        let exponent = unsigned.firstIndex { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        let point = unsigned.firstIndex(of: UInt8(ascii: "."))
        let whole = Array(unsigned[..<(point ?? exponent ?? unsigned.count)])
        guard digitsWithUnderscores(whole, radix: 10), whole.first != UInt8(ascii: "0") || whole.count == 1 else { throw bad(token, start) }
        let plain = String(token.filter { $0 != "_" })
        if point == nil && exponent == nil {
            guard let v = Int(plain) else {
                throw error("the integer \(token) does not fit in 64 bits", at: line, column: start - lineStart + 1)
            }
            return .integer(v)
        }
        if let point {
            let fraction = Array(unsigned[(point + 1)..<(exponent ?? unsigned.count)])
            guard digitsWithUnderscores(fraction, radix: 10) else { throw bad(token, start) }
        }
        if let exponent {
            var e = Array(unsigned[(exponent + 1)...])
            if e.first == UInt8(ascii: "+") || e.first == UInt8(ascii: "-") { e.removeFirst() }
            guard digitsWithUnderscores(e, radix: 10) else { throw bad(token, start) }
        }
        guard let v = Double(plain), v.isFinite else {
            throw error("the number \(token) is out of range", at: line, column: start - lineStart + 1)
        }
        return .float(v)
    }

    /// One or more digits of `radix`, an underscore only between two digits.
    func digitsWithUnderscores(_ s: [UInt8], radix: Int) -> Bool {
        guard let first = s.first, let last = s.last, first != UInt8(ascii: "_"), last != UInt8(ascii: "_") else { return false }
        var previousUnderscore = false
        for c in s {
            if c == UInt8(ascii: "_") {
                if previousUnderscore { return false }
                previousUnderscore = true
                continue
            }
            previousUnderscore = false
            guard let d = Int(String(UnicodeScalar(c)), radix: radix), d < radix else { return false }
        }
        return true
    }

    func bad(_ token: String, _ start: Int) -> TOMLError {
        error(
            "'\(token)' is not a value (a string needs quotes; numbers are like 3, -0.5, 1e-3, 0x1F)", at: line,
            column: start - lineStart + 1)
    }

    // MARK: Characters

    var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
    func peek(_ k: Int) -> UInt8? { i + k < bytes.count ? bytes[i + k] : nil }

    func starts(_ s: String) -> Bool {
        let u = Array(s.utf8)
        return i + u.count <= bytes.count && Array(bytes[i..<(i + u.count)]) == u
    }

    mutating func expect(_ c: Character, _ why: String) throws {
        guard peek == c.asciiValue else {
            throw error("expected '\(c)' \(why), found \(peek.map(describe) ?? "the end of the file")")
        }
        i += 1
    }

    mutating func skipWhitespace() {
        while peek == UInt8(ascii: " ") || peek == UInt8(ascii: "\t") { i += 1 }
    }

    mutating func skipWhitespaceNewlinesAndComments() throws {
        while let c = peek {
            if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") {
                i += 1
            } else if c == UInt8(ascii: "\n") || (c == UInt8(ascii: "\r") && peek(1) == UInt8(ascii: "\n")) {
                newline()
            } else if c == UInt8(ascii: "#") {
                try comment()
            } else {
                return
            }
        }
    }

    /// Steps over a LF or CRLF.
    mutating func newline() {
        i += peek == UInt8(ascii: "\r") ? 2 : 1
        line += 1
        lineStart = i
    }

    func isBareKey(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-")
    }

    func isNumberCharacter(_ c: UInt8) -> Bool {
        isBareKey(c) || c == UInt8(ascii: "+") || c == UInt8(ascii: ".") || c == UInt8(ascii: ":")
    }

    func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    func isHexDigit(_ c: UInt8) -> Bool { isDigit(c) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66) }
    /// Control characters TOML allows nowhere but as escapes (tab is allowed).
    func isControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7F }

    func describe(_ c: UInt8) -> String {
        switch c {
        case UInt8(ascii: "\n"): return "the end of the line"
        case UInt8(ascii: "\r"): return "a carriage return"
        case UInt8(ascii: "\t"): return "a tab"
        case 0x20..<0x7F: return "'\(Character(Unicode.Scalar(c)))'"
        default: return "the byte 0x" + (c < 0x10 ? "0" : "") + String(c, radix: 16, uppercase: true)
        }
    }

    func error(_ message: String, at line: Int? = nil, column: Int? = nil) -> TOMLError {
        TOMLError(line: line ?? self.line, column: column ?? (line == nil ? i - lineStart + 1 : 1), message: message)
    }
}
