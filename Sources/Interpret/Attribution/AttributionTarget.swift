import LinAlg

/// What an explanation explains: one class score, or a direction u in the output space
/// (u·f(x), e.g. the difference of two classes). A network ending in softmax is explained
/// before the softmax, on its scores (`Network.scoreIndex`).
public enum AttributionTarget: Equatable, Sendable, CustomStringConvertible {
    /// Each sample's predicted class (the largest score).
    case predicted
    /// Each sample's own label.
    case label
    case classIndex(Int)
    case direction([Double])

    /// `predicted`, `label`, a class index or class name, or a direction as comma-separated
    /// numbers, one per output. Without `classNames` (decoding a saved target) only the form
    /// is checked.
    public static func parse(_ text: String, classNames: [String]?) throws -> AttributionTarget {
        switch text.lowercased() {
        case "predicted": return .predicted
        case "label": return .label
        default: break
        }
        let classes = classNames.map { "0…\($0.count - 1)" } ?? "0, 1, …"
        if let c = Int(text) {
            guard c >= 0, classNames.map({ c < $0.count }) ?? true else {
                throw InterpretError("--target \(text): the model has classes \(classes)")
            }
            return .classIndex(c)
        }
        if let c = classNames?.firstIndex(of: text) { return .classIndex(c) }
        let parts = text.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard parts.count > 1, parts.allSatisfy({ $0?.isFinite == true }) else {
            throw InterpretError(
                "--target \(text): expected predicted, label, a class (\(classes)) or a direction of comma-separated numbers, one per output"
            )
        }
        if let classNames, parts.count != classNames.count {
            throw InterpretError("--target: a direction needs \(classNames.count) numbers (one per output), got \(parts.count)")
        }
        return .direction(parts.map { $0! })
    }

    public var description: String {
        switch self {
        case .predicted: return "predicted"
        case .label: return "label"
        case .classIndex(let c): return "\(c)"
        case .direction(let u): return u.map { "\($0)" }.joined(separator: ",")
        }
    }

    /// Each sample's explained direction in the output space: a one-hot row for a class, u for
    /// a direction. `classes` holds the class of each sample (nil for a direction).
    public func directions<T: BLASScalar>(scores: Matrix<T>, labels: [Int]?) throws -> (directions: Matrix<T>, classes: [Int?]) {
        let n = scores.rows, outputs = scores.cols
        let classes: [Int?]
        switch self {
        case .predicted: classes = scores.rowArgmax()
        case .label:
            guard let labels else { throw InterpretError("--target label: the data has no labels") }
            classes = labels
        case .classIndex(let c):
            guard c >= 0 && c < outputs else { throw InterpretError("target class \(c): the model has \(outputs) outputs") }
            classes = Array(repeating: c, count: n)
        case .direction(let u):
            guard u.count == outputs else {
                throw InterpretError("target direction of \(u.count) numbers, but the model has \(outputs) outputs")
            }
            var d = Matrix<T>(rows: n, cols: outputs)
            for r in 0..<n { d.setRow(r, u.map { T($0) }) }
            return (d, Array(repeating: nil, count: n))
        }
        var d = Matrix<T>(rows: n, cols: outputs)
        for (r, c) in classes.enumerated() {
            guard let c, c >= 0 && c < outputs else {
                throw InterpretError(
                    "label \(classes[r].map(String.init) ?? "?") of sample \(r) is not one of the model's \(outputs) outputs")
            }
            d[r, c] = 1
        }
        return (d, classes)
    }
}

extension AttributionTarget: TextCodable {
    public init(text: String) throws { self = try AttributionTarget.parse(text, classNames: nil) }
}
