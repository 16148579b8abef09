import Foundation
import TensorIO

/// The folder sessions are saved in (`Sessions/` by default) and the rules for their names.
public struct SessionStore: Sendable {
    public let directory: URL

    public init(directory: URL) { self.directory = directory }

    /// A session name is one path component of letters, digits, `-`, `_` and `.`.
    public static func validate(name: String) throws {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        guard !name.isEmpty, name.count <= 100, !name.hasPrefix("."),
            name.unicodeScalars.allSatisfy({ allowed.contains($0) })
        else {
            throw WorkbenchError("session name '\(name)': use letters, digits, '-', '_' and '.' (not starting with '.')")
        }
    }

    public func folder(_ name: String) -> URL { directory.appendingPathComponent(name, isDirectory: true) }
    public func file(_ name: String) -> URL { folder(name).appendingPathComponent("session.json") }

    /// Writes `Sessions/NAME/session.json` atomically (an interrupted save leaves the old file)
    /// and creates its folder if need be. Returns the file written.
    @discardableResult
    public func save(_ session: Session) throws -> URL {
        try SessionStore.validate(name: session.name)
        let url = file(session.name)
        do {
            try FileManager.default.createDirectory(at: folder(session.name), withIntermediateDirectories: true)
        } catch {
            throw WorkbenchError("cannot create the session folder \(folder(session.name).path): \(error.localizedDescription)")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try AtomicFile.write(try encoder.encode(session), to: url)
        return url
    }

    public func load(_ name: String) throws -> Session {
        try SessionStore.validate(name: name)
        let url = file(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            let known = names()
            throw WorkbenchError(
                "no session '\(name)' in \(directory.path)" + (known.isEmpty ? "" : " (saved: \(known.joined(separator: ", ")))"))
        }
        let session: Session
        do {
            session = try JSONDecoder().decode(Session.self, from: Data(contentsOf: url))
        } catch let error as DecodingError {
            throw WorkbenchError("\(url.path): not a Loupe session (\(SessionStore.describe(error)))")
        }
        guard session.format == Session.format else {
            throw WorkbenchError("\(url.path): session format '\(session.format)', this Loupe reads '\(Session.format)'")
        }
        guard !session.models.isEmpty else { throw WorkbenchError("\(url.path): the session names no model") }
        return session
    }

    /// The names of the saved sessions, sorted.
    public func names() -> [String] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return entries.filter { FileManager.default.fileExists(atPath: file($0).path) }.sorted()
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .keyNotFound(let key, _): return "missing field '\(key.stringValue)'"
        case .typeMismatch(_, let c), .valueNotFound(_, let c):
            return "field '\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
        case .dataCorrupted(let c): return c.debugDescription
        @unknown default: return "\(error)"
        }
    }
}
