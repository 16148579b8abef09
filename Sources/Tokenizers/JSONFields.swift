import Foundation

/// One object of a tokenizer.json, with typed reads that name the field's path when its value
/// is missing or of another type: `tokenizer.json: model.vocab: expected an object, found a list`.
struct JSONFields {
    let values: [String: Any]
    /// The path of this object inside the file, "" for the top level.
    let path: String
    let source: String

    init(_ values: [String: Any], path: String, source: String) {
        self.values = values
        self.path = path
        self.source = source
    }

    /// The file's top-level object.
    static func parse(_ data: Data, source: String) throws -> JSONFields {
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        } catch {
            throw TokenizerError("\(source): not JSON (\((error as NSError).localizedDescription))")
        }
        guard let object = root as? [String: Any] else { throw TokenizerError("\(source): expected a JSON object at the top level") }
        return JSONFields(object, path: "", source: source)
    }

    func name(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ key: String, _ expected: String) -> TokenizerError {
        let found = values[key].map(JSONFields.kind) ?? "nothing"
        return TokenizerError("\(source): \(name(key)): expected \(expected), found \(found)")
    }

    static func kind(_ value: Any) -> String {
        switch value {
        case is NSNull: return "null"
        case let n as NSNumber where isBoolean(n): return "a boolean"
        case is NSNumber: return "a number"
        case let s as String: return "the string \"\(s.prefix(40))\""
        case is [Any]: return "a list"
        case is [String: Any]: return "an object"
        default: return "a value of another kind"
        }
    }

    /// JSON's true and false, which JSONSerialization gives as NSNumbers of type "c".
    static func isBoolean(_ n: NSNumber) -> Bool { String(cString: n.objCType) == "c" }

    /// Whether the key is absent or null.
    func isNull(_ key: String) -> Bool { values[key] == nil || values[key] is NSNull }

    func object(_ key: String) throws -> JSONFields {
        guard let o = values[key] as? [String: Any] else { throw error(key, "an object") }
        return JSONFields(o, path: name(key), source: source)
    }

    func optionalObject(_ key: String) throws -> JSONFields? { isNull(key) ? nil : try object(key) }

    func string(_ key: String) throws -> String {
        guard let s = values[key] as? String else { throw error(key, "a string") }
        return s
    }

    func optionalString(_ key: String) throws -> String? { isNull(key) ? nil : try string(key) }

    func bool(_ key: String, default fallback: Bool) throws -> Bool {
        if isNull(key) { return fallback }
        guard let n = values[key] as? NSNumber, JSONFields.isBoolean(n) else { throw error(key, "true or false") }
        return n.boolValue
    }

    /// A whole number from 0 to `limit`.
    func int(_ key: String, limit: Int = Int(Int32.max)) throws -> Int {
        guard let n = values[key] as? NSNumber, !JSONFields.isBoolean(n),
            let i = Int(exactly: n.doubleValue), i >= 0, i <= limit
        else { throw error(key, "a whole number from 0 to \(limit)") }
        return i
    }

    func list(_ key: String) throws -> [Any] {
        guard let l = values[key] as? [Any] else { throw error(key, "a list") }
        return l
    }

    /// The objects of a list, each with its own path ("pretokenizers[2]").
    func objects(_ key: String) throws -> [JSONFields] {
        try list(key).enumerated().map { i, v in
            guard let o = v as? [String: Any] else {
                throw TokenizerError("\(source): \(name(key))[\(i)]: expected an object, found \(JSONFields.kind(v))")
            }
            return JSONFields(o, path: "\(name(key))[\(i)]", source: source)
        }
    }

    /// The `type` that names a component, checked against the ones Loupe implements.
    func type(among supported: [String], what: String) throws -> String {
        let t = try string("type")
        guard supported.contains(t) else {
            throw TokenizerError(
                "\(source): \(name("type")): \(what) \"\(t)\" is not supported (Loupe reads \(supported.joined(separator: ", ")))")
        }
        return t
    }
}
