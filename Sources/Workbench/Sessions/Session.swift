import Foundation

/// A saved workbench (docs/formats.md): the models and data by name, path and SHA-256, the open
/// views with their settings, and the workbench's own settings. Saved as
/// `Sessions/NAME/session.json`.
public struct Session: Codable, Equatable, Sendable {
    public static let format = "loupe.session/1"

    /// One open view: its kind (as the view registry names it) and its settings.
    public struct Tab: Codable, Equatable, Sendable {
        public var kind: String
        public var settings: JSONValue
        public init(kind: String, settings: JSONValue) {
            self.kind = kind
            self.settings = settings
        }
    }

    public var format: String
    public var name: String
    /// When it was saved (ISO 8601).
    public var saved: String
    /// Model A first; a second model is the comparison.
    public var models: [InputFile]
    public var data: InputFile
    public var tabs: [Tab]
    public var activeTab: Int
    /// Workbench settings beyond the views (sidebar shown, …).
    public var settings: [String: JSONValue]

    public init(
        name: String, models: [InputFile], data: InputFile, tabs: [Tab], activeTab: Int,
        settings: [String: JSONValue] = [:], saved: Date = Date()
    ) {
        self.format = Session.format
        self.name = name
        self.saved = ISO8601DateFormatter().string(from: saved)
        self.models = models
        self.data = data
        self.tabs = tabs
        self.activeTab = activeTab
        self.settings = settings
    }

    /// One line per input whose file changed (or vanished) since the session was saved.
    public func changedInputs() -> [String] {
        (models + [data]).compactMap { $0.change() }
    }
}

/// A model or data set as the user named it, with the file behind it and that file's SHA-256
/// when it was recorded. Built-in data has no file.
public struct InputFile: Codable, Equatable, Sendable {
    public var reference: String
    public var path: String?
    public var sha256: String?

    public init(reference: String, path: String?, sha256: String?) {
        self.reference = reference
        self.path = path
        self.sha256 = sha256
    }

    /// Records `reference` as it is now: `file` is the file it was read from (a demo model's
    /// cache file, a path), nil for built-in data.
    public static func recording(_ reference: String, file: URL?) throws -> InputFile {
        guard let file else { return InputFile(reference: reference, path: nil, sha256: nil) }
        return InputFile(reference: reference, path: file.path, sha256: try FileDigest.sha256(file))
    }

    /// Why this input is not what it was when recorded, or nil when it is unchanged.
    public func change() -> String? {
        guard let path, let sha256 else { return nil }
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else { return "\(reference): \(path) no longer exists" }
        guard let now = try? FileDigest.sha256(url) else { return "\(reference): \(path) cannot be read" }
        return now == sha256 ? nil : "\(reference): \(path) changed since the session was saved"
    }
}
