import Foundation

/// Finds the line of a key in a probe's text, so a validation error can say where the mistake
/// is (TOMLKit gives line numbers for syntax errors only). It follows table headers —
/// `[models]`, `[models.a]`, each `[[run]]` — and records where each key is first assigned.
struct ProbeLocator {
    /// "" is the top level, "models", "models.a", "run.0", "run.1", …
    private var keyLines: [String: [String: Int]] = [:]
    private var headerLines: [String: Int] = [:]

    init(_ text: String) {
        var section = ""
        var runs = 0
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            let number = i + 1
            if line.hasPrefix("[[") {
                let name = line.dropFirst(2).prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                section = name == "run" ? "run.\(runs)" : name
                if name == "run" { runs += 1 }
                headerLines[section] = headerLines[section] ?? number
            } else if line.hasPrefix("[") {
                section = line.dropFirst().prefix { $0 != "]" }.trimmingCharacters(in: .whitespaces)
                headerLines[section] = headerLines[section] ?? number
            } else if let eq = line.firstIndex(of: "="), !line.hasPrefix("#") {
                let key = line[..<eq].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                guard !key.isEmpty else { continue }
                if keyLines[section, default: [:]][key] == nil { keyLines[section, default: [:]][key] = number }
            }
        }
    }

    /// The line of `key` in `section`, else the section's header line, else 1.
    func line(_ key: String?, in section: String = "") -> Int {
        if let key, let n = keyLines[section]?[key] { return n }
        return headerLines[section] ?? 1
    }
}
