/// A value of a probe parameter, after type checking.
public enum ProbeValue: Equatable, Sendable {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)
    case strings([String])
    case integers([Int])
    case numbers([Double])
}

/// What a method accepts: one entry per key, with its type and whether it must be given.
public struct ProbeParameter: Sendable {
    public enum Kind: Sendable, Equatable {
        case string, integer, number, boolean, strings, integers, numbers
        /// A model alias from `[models]`.
        case model
        /// A list of model aliases.
        case models

        var description: String {
            switch self {
            case .string: return "a string"
            case .integer: return "an integer"
            case .number: return "a number"
            case .boolean: return "true or false"
            case .strings: return "a list of strings"
            case .integers: return "a list of integers"
            case .numbers: return "a list of numbers"
            case .model: return "a model name from [models]"
            case .models: return "a list of model names from [models]"
            }
        }
    }

    public var name: String
    public var kind: Kind
    public var required: Bool
    /// The only values allowed, for strings.
    public var choices: [String]?
    /// One line for `loupe report --methods` and the README.
    public var about: String

    public init(_ name: String, _ kind: Kind, required: Bool = false, choices: [String]? = nil, about: String) {
        self.name = name
        self.kind = kind
        self.required = required
        self.choices = choices
        self.about = about
    }
}

/// A run's parameters, checked against its method's list: typed accessors return nil for a
/// parameter that was not given (the method applies its default).
public struct ProbeParameters: Sendable {
    public var values: [String: ProbeValue]

    public init(_ values: [String: ProbeValue] = [:]) { self.values = values }

    public func string(_ key: String) -> String? {
        if case .string(let s)? = values[key] { return s }
        return nil
    }
    public func integer(_ key: String) -> Int? {
        if case .integer(let i)? = values[key] { return i }
        return nil
    }
    public func number(_ key: String) -> Double? {
        switch values[key] {
        case .number(let d)?: return d
        case .integer(let i)?: return Double(i)
        default: return nil
        }
    }
    public func boolean(_ key: String) -> Bool? {
        if case .boolean(let b)? = values[key] { return b }
        return nil
    }
    public func strings(_ key: String) -> [String]? {
        if case .strings(let s)? = values[key] { return s }
        return nil
    }
    public func integers(_ key: String) -> [Int]? {
        if case .integers(let s)? = values[key] { return s }
        return nil
    }
    /// Refuses a `models` list of a length outside `allowed` (`2...2` for a comparison of two).
    public func checkModelCount(_ allowed: ClosedRange<Int>) throws {
        guard let n = strings("models")?.count, allowed.contains(n) else {
            let words = ["no", "one", "two"]
            let wanted =
                allowed.lowerBound == allowed.upperBound
                ? words[allowed.lowerBound] : "\(words[allowed.lowerBound]) or \(words[allowed.upperBound])"
            throw WorkbenchError("models must name \(wanted) models")
        }
    }

    /// The most samples a run shows one by one (as maps or templates in a report): more would
    /// be an unreadable page and minutes of work, and is what a typo in a generated list makes.
    public static let maxShownSamples = 64

    /// Refuses a list of sample indices that is empty, too long, repeats a sample or holds a
    /// negative number (whether they exist in the data is checked when the run has its data).
    public func checkSampleIndices(_ key: String) throws {
        guard let s = integers(key) else { return }
        if s.isEmpty { throw WorkbenchError("\(key) must name at least one sample") }
        if s.count > Self.maxShownSamples {
            throw WorkbenchError("\(key) names \(s.count) samples; a report shows at most \(Self.maxShownSamples)")
        }
        if let bad = s.first(where: { $0 < 0 }) { throw WorkbenchError("\(key): \(bad) is not a sample index (0, 1, 2, …)") }
        var seen = Set<Int>()
        if let repeated = s.first(where: { !seen.insert($0).inserted }) { throw WorkbenchError("\(key) names sample \(repeated) twice") }
    }
    public func numbers(_ key: String) -> [Double]? {
        switch values[key] {
        case .numbers(let s)?: return s
        case .integers(let s)?: return s.map(Double.init)
        default: return nil
        }
    }
}
