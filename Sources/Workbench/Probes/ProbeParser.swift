import Foundation
import Networks
import TOML
import TensorIO
import Transformers

/// Reads a probe file and validates everything that can be checked before running: unknown
/// keys, types, methods and their parameters, model aliases, model and data references. Each
/// mistake is refused with "FILE:LINE: message".
extension Probe {
    public static func load(_ url: URL) throws -> Probe {
        try InputCheck.readableFile(url)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= maxFileSize else {
            throw WorkbenchError("\(url.path): \(size) bytes is too large for a probe (at most \(maxFileSize))")
        }
        let text: String
        do { text = try String(contentsOf: url, encoding: .utf8) } catch {
            throw WorkbenchError("\(url.path): cannot read the probe file")
        }
        return try parse(text, source: url.relativePath)
    }

    /// A probe is a page of TOML; a larger file is not one.
    static let maxFileSize = 1 << 20

    static let topLevelKeys = ["title", "data", "text", "seed", "label_column", "models", "run"]
    static let commonRunKeys = ["method", "title", "data"]

    public static func parse(_ text: String, source: String) throws -> Probe {
        let table: TOMLTable
        do { table = try TOML.parse(text) } catch let e as TOMLError {
            throw WorkbenchError("\(source):\(e.line): \(e.message) (column \(e.column))")
        }
        // Paths in a probe are relative to the probe file, so it runs from any directory.
        let base = URL(fileURLWithPath: source).deletingLastPathComponent()
        func resolve(_ path: String) -> String {
            path.hasPrefix("demo:") || path.hasPrefix("builtin:") || path.hasPrefix("/") ? path : base.appendingPathComponent(path).path
        }
        /// A mistake at `key` of `table` (or at the table itself), as "FILE:LINE: message".
        func fail(_ key: String?, in table: TOMLTable, _ message: String) -> WorkbenchError {
            WorkbenchError("\(source):\(key.flatMap { table.line(of: $0) } ?? table.line): \(message)")
        }

        for key in table.keys where !topLevelKeys.contains(key) {
            throw fail(key, in: table, "unknown key '\(key)'; a probe has \(topLevelKeys.joined(separator: ", "))")
        }
        let title =
            try string(table["title"], "title", fail: { fail("title", in: table, $0) })
            ?? URL(fileURLWithPath: source).deletingPathExtension().lastPathComponent
        let data = try string(table["data"], "data", fail: { fail("data", in: table, $0) }).map(resolve)
        if let data { try checkData(data) { fail("data", in: table, $0) } }
        let text = try string(table["text"], "text", fail: { fail("text", in: table, $0) }).map(resolve)
        if let text {
            let file = Probe.textFile(text)
            guard text == TextModels.demo || ["txt", "jsonl"].contains(file.pathExtension.lowercased()) else {
                throw fail("text", in: table, "text must be a .txt or .jsonl file, or \(TextModels.demo) (its corpus); got '\(text)'")
            }
            guard FileManager.default.fileExists(atPath: file.path) else { throw fail("text", in: table, "no such text file '\(text)'") }
        }
        let labelColumn = try string(table["label_column"], "label_column", fail: { fail("label_column", in: table, $0) })
        var seed: UInt64 = 0
        if let value = table["seed"] {
            guard let s = value.integer, s >= 0 else { throw fail("seed", in: table, "seed must be a nonnegative integer") }
            seed = UInt64(s)
        }

        guard let modelsValue = table["models"] else {
            throw fail(nil, in: table, "missing [models]: name at least one model, e.g. a = \"demo:mlp-1\"")
        }
        guard let modelsTable = modelsValue.table else { throw fail("models", in: table, "models must be a table of name = \"model\"") }
        var models: [String: ModelEntry] = [:]
        for alias in modelsTable.keys.sorted() {
            let value = modelsTable[alias]!
            let entry: ModelEntry
            if let reference = value.string {
                entry = ModelEntry(reference: resolve(reference), architecture: nil)
            } else if let t = value.table, let reference = t["path"]?.string {
                for key in t.keys where !["path", "arch"].contains(key) {
                    throw fail(key, in: t, "unknown key '\(key)' in model '\(alias)'; expected path and arch")
                }
                entry = ModelEntry(reference: resolve(reference), architecture: t["arch"]?.string.map(resolve))
            } else {
                throw fail(alias, in: modelsTable, "model '\(alias)' must be \"demo:NAME\", a path, or { path = \"…\", arch = \"…\" }")
            }
            try checkModel(entry) { fail(alias, in: modelsTable, "model '\(alias)': \($0)") }
            models[alias] = entry
        }
        guard !models.isEmpty else { throw fail(nil, in: modelsTable, "[models] is empty: name at least one model") }

        guard let runsValue = table["run"] else { throw fail(nil, in: table, "no [[run]] sections: add at least one run") }
        guard let runArray = runsValue.array else { throw fail("run", in: table, "run must be an array of tables ([[run]])") }
        var runs: [ProbeRun] = []
        for (index, element) in runArray.enumerated() {
            guard let runTable = element.table else { throw fail("run", in: table, "run \(index + 1) must be a table") }
            runs.append(
                try parseRun(
                    runTable, index: index, models: models, resolve: resolve,
                    fail: { key, message in
                        fail(key, in: runTable, "run \(index + 1)\(message)")
                    }))
        }
        return Probe(
            source: source, title: title, data: data, text: text, labelColumn: labelColumn, seed: seed, models: models, runs: runs)
    }

    private static func parseRun(
        _ t: TOMLTable, index: Int, models: [String: ModelEntry], resolve: (String) -> String,
        fail: (String?, String) -> WorkbenchError
    ) throws -> ProbeRun {
        guard let methodValue = t["method"] else {
            throw fail(nil, ": missing 'method'; one of \(ProbeMethods.all.map { $0.name }.joined(separator: ", "))")
        }
        guard let name = methodValue.string, let method = ProbeMethods.named(name) else {
            throw fail(
                "method",
                ": unknown method '\(methodValue.string ?? "?")'; one of \(ProbeMethods.all.map { $0.name }.joined(separator: ", "))")
        }
        let label = " (\(name))"
        let allowed = commonRunKeys + method.parameters.map(\.name)
        for key in t.keys where !allowed.contains(key) {
            throw fail(key, "\(label): unknown key '\(key)'; \(name) takes \(allowed.dropFirst().joined(separator: ", "))")
        }
        let title = try string(t["title"], "title", fail: { fail("title", "\(label): \($0)") })
        let data = try string(t["data"], "data", fail: { fail("data", "\(label): \($0)") }).map(resolve)
        if let data { try checkData(data) { fail("data", "\(label): \($0)") } }
        var values: [String: ProbeValue] = [:]
        for p in method.parameters {
            guard let raw = t[p.name] else {
                if p.required { throw fail(nil, "\(label): missing '\(p.name)' (\(p.kind.description): \(p.about))") }
                continue
            }
            guard let value = convert(raw, p.kind) else {
                throw fail(p.name, "\(label): \(p.name) must be \(p.kind.description), got \(raw.kindDescription)")
            }
            if let choices = p.choices {
                let given: [String]
                switch value {
                case .string(let s): given = [s]
                case .strings(let s): given = s
                default: given = []
                }
                if let bad = given.first(where: { !choices.contains($0) }) {
                    throw fail(p.name, "\(label): \(p.name) must be one of \(choices.joined(separator: ", ")), got '\(bad)'")
                }
            }
            if p.kind == .model || p.kind == .models {
                let aliases: [String]
                switch value {
                case .string(let s): aliases = [s]
                case .strings(let s): aliases = s
                default: aliases = []
                }
                if let bad = aliases.first(where: { models[$0] == nil }) {
                    throw fail(
                        p.name, "\(label): no model named '\(bad)' in [models] (there: \(models.keys.sorted().joined(separator: ", ")))")
                }
            }
            values[p.name] = value
        }
        let parameters = ProbeParameters(values)
        do { try method.validate(parameters) } catch {
            throw fail(nil, "\(label): \(error)")
        }
        return ProbeRun(index: index, method: name, title: title, data: data, parameters: parameters)
    }

    private static func string(_ value: TOMLValue?, _ key: String, fail: (String) -> WorkbenchError) throws -> String? {
        guard let value else { return nil }
        guard let s = value.string else { throw fail("\(key) must be a string, got \(value.kindDescription)") }
        return s
    }

    private static func convert(_ v: TOMLValue, _ kind: ProbeParameter.Kind) -> ProbeValue? {
        switch kind {
        case .string, .model: return v.string.map(ProbeValue.string)
        case .integer: return v.integer.map(ProbeValue.integer)
        case .number: return v.number.map(ProbeValue.number)
        case .boolean: return v.boolean.map(ProbeValue.boolean)
        case .strings, .models:
            guard let a = v.array else { return nil }
            let items = a.map { $0.string }
            return items.contains(where: { $0 == nil }) ? nil : .strings(items.map { $0! })
        case .integers:
            guard let a = v.array else { return nil }
            let items = a.map { $0.integer }
            return items.contains(where: { $0 == nil }) ? nil : .integers(items.map { $0! })
        case .numbers:
            guard let a = v.array else { return nil }
            let items = a.map { $0.number }
            return items.contains(where: { $0 == nil }) ? nil : .numbers(items.map { $0! })
        }
    }

    /// A model reference must be a known demo model or an existing file.
    private static func checkModel(_ entry: ModelEntry, fail: (String) -> WorkbenchError) throws {
        if TextModels.isTextModel(entry.reference) {
            guard entry.architecture == nil else { throw fail("a transformer checkpoint takes no arch file") }
            return
        }
        if entry.reference.hasPrefix("demo:") {
            do { _ = try DemoModels.recipe(String(entry.reference.dropFirst(5))) } catch { throw fail("\(error)") }
        } else if !FileManager.default.fileExists(atPath: entry.reference) {
            throw fail("no such model file '\(entry.reference)'")
        }
        if let arch = entry.architecture, !FileManager.default.fileExists(atPath: arch) {
            throw fail("no such architecture file '\(arch)'")
        }
    }

    /// Data must be one of the built-in sets or an existing file of a known kind.
    private static func checkData(_ spec: String, fail: (String) -> WorkbenchError) throws {
        if spec.hasPrefix("builtin:") {
            guard ["builtin:digits", "builtin:digits:train", "builtin:digits:test"].contains(spec) else {
                throw fail("unknown built-in data '\(spec)'; use builtin:digits, builtin:digits:train or builtin:digits:test")
            }
        } else if !FileManager.default.fileExists(atPath: spec) {
            throw fail("no such data file '\(spec)'")
        }
    }
}
