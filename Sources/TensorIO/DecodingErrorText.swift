import Foundation

extension DecodingError {
    /// One line naming the field a JSON document got wrong: "missing field 'n_embd' at the top
    /// level", "field 'layers[2].out' should be Int".
    public var fieldDescription: String {
        func path(_ ctx: DecodingError.Context) -> String {
            ctx.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
        }
        switch self {
        case .keyNotFound(let key, let ctx):
            let at = path(ctx)
            return "missing field '\(key.stringValue)'" + (at.isEmpty ? " at the top level" : " in \(at)")
        case .typeMismatch(let type, let ctx): return "field '\(path(ctx))' should be \(type)"
        case .valueNotFound(let type, let ctx): return "field '\(path(ctx))' should be \(type), found null"
        case .dataCorrupted(let ctx):
            return ctx.codingPath.isEmpty ? "not valid JSON" : "field '\(path(ctx))': \(ctx.debugDescription)"
        @unknown default: return "\(self)"
        }
    }
}
