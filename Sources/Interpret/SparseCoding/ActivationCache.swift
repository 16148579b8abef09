import Foundation
import LinAlg
import TensorIO
import Transformers

/// A model's hook point over a whole text, written once as `.npy` shards in a folder with
/// `cache.json` saying what they hold, and memory-mapped when read: the activations a sweep of
/// SAEs trains on without running the model again (`loupe sae train … --cache DIR`). Rows are
/// the text's tokens in order, special ones left out as the stream leaves them out.
public struct ActivationCache: ActivationSource, Sendable {
    /// What a cache holds: everything that decides its rows.
    public struct Contents: Codable, Sendable, Equatable {
        /// The model as the user named it (a folder, a demo name).
        public var model: String
        public var hook: String
        /// The text's absolute path, its size in bytes and its modification time (seconds since
        /// 1970): a text edited since the cache was written is another text.
        public var text: String
        public var textBytes: Int
        public var textModified: Double
        public var contextLength: Int
        public var before: [Int]
        public var after: [Int]
        /// Token ids left out, sorted.
        public var excluded: [Int]

        public init(model: String, hook: String, corpus: TextCorpus, cutter: ContextCutter, excluded: Set<Int>) throws {
            let attributes = try FileManager.default.attributesOfItem(atPath: corpus.url.path)
            (self.model, self.hook, text) = (model, hook, corpus.url.standardizedFileURL.path)
            textBytes = (attributes[.size] as? Int) ?? 0
            textModified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            (contextLength, before, after, self.excluded) = (cutter.length, cutter.before, cutter.after, excluded.sorted())
        }
    }

    /// cache.json: the contents, the shape and the shards in order.
    struct Manifest: Codable {
        var contents: Contents
        var rows: Int
        var width: Int
        var shards: [String]
    }

    public static let manifestName = "cache.json"
    /// Shards of about this many bytes, so that no file grows without bound.
    public static let shardBytes = 256 << 20

    public let folder: URL
    public let contents: Contents
    public let count: Int
    public let dimension: Int
    private let shards: [NPYFile]
    /// The first row of each shard, and `count` at the end.
    private let starts: [Int]

    public var name: String {
        "\(contents.model) \(contents.hook) on \(URL(fileURLWithPath: contents.text).lastPathComponent) (cached in \(folder.path))"
    }

    /// Opens the cache in `folder`, which must hold what `expected` describes.
    public init(opening folder: URL, expecting expected: Contents) throws {
        let path = folder.appendingPathComponent(Self.manifestName)
        let manifest: Manifest
        do {
            manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: path))
        } catch let error as DecodingError {
            throw InterpretError("\(path.path): not an activation cache Loupe wrote (\(error.fieldDescription))")
        } catch {
            throw InterpretError("\(path.path): cannot be read (\((error as NSError).localizedDescription))")
        }
        try Self.check(manifest.contents, against: expected, in: folder)
        // Shards are files of the folder, named as `write` names them: never a path elsewhere.
        if let bad = manifest.shards.first(where: { $0.contains("/") || !$0.hasPrefix("shard-") || !$0.hasSuffix(".npy") }) {
            throw InterpretError("\(path.path): shard '\(bad)' is not a shard-NNNNN.npy of the folder")
        }
        let shards = try manifest.shards.map { try NPYFile(folder.appendingPathComponent($0)) }
        var starts = [0]
        for (name, shard) in zip(manifest.shards, shards) {
            guard shard.dtype == .f32, shard.shape.count == 2, shard.rowLength == manifest.width else {
                throw InterpretError("\(folder.path)/\(name): expected float32 rows of \(manifest.width) values, as cache.json says")
            }
            starts.append(starts.last! + shard.rowCount)
        }
        guard starts.last! == manifest.rows, manifest.rows > 0 else {
            throw InterpretError("\(folder.path): its shards hold \(starts.last!) rows, cache.json says \(manifest.rows)")
        }
        (self.folder, self.shards, self.starts) = (folder, shards, starts)
        (contents, count, dimension) = (manifest.contents, manifest.rows, manifest.width)
    }

    /// A cache that holds one thing is refused for another, naming the first difference.
    private static func check(_ found: Contents, against expected: Contents, in folder: URL) throws {
        let differences: [(String, String, String)] = [
            ("model", found.model, expected.model), ("hook point", found.hook, expected.hook), ("text", found.text, expected.text),
            ("text's size", "\(found.textBytes) bytes", "\(expected.textBytes) bytes"),
            ("text's modification time", "\(found.textModified)", "\(expected.textModified)"),
            ("context length", "\(found.contextLength)", "\(expected.contextLength)"),
            ("special tokens around a context", "\(found.before) … \(found.after)", "\(expected.before) … \(expected.after)"),
            ("tokens left out", "\(found.excluded)", "\(expected.excluded)")
        ]
        if let (what, was, asked) = differences.first(where: { $0.1 != $0.2 }) {
            throw InterpretError(
                "--cache \(folder.path): a cache of another \(what) (\(was), this run's is \(asked)); a cache holds one hook point of one model on one text: give another folder"
            )
        }
    }

    /// Runs `stream` (which must not cycle) over the whole text and writes its rows into
    /// `folder` (new, or an empty directory): the shards, then cache.json, so that a folder
    /// without cache.json is an unfinished cache. What was written is removed if it fails.
    public static func write(
        _ stream: HookStream, contents: Contents, to folder: URL, shardBytes: Int = shardBytes,
        progress: ProgressHandler = { _, _ in true }
    ) throws -> ActivationCache {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        let existed = fm.fileExists(atPath: folder.path, isDirectory: &isDirectory)
        if existed {
            guard isDirectory.boolValue else { throw InterpretError("--cache \(folder.path) is a file; give a folder (new or empty)") }
            guard (try? fm.contentsOfDirectory(atPath: folder.path))?.isEmpty == true else {
                throw InterpretError(
                    "--cache \(folder.path): neither an activation cache (no \(manifestName)) nor an empty folder; a folder without \(manifestName) may be a cache whose writing was interrupted: remove it or give another"
                )
            }
        } else {
            do {
                try fm.createDirectory(at: folder, withIntermediateDirectories: false)
            } catch {
                throw InterpretError("--cache \(folder.path): cannot create the folder (\((error as NSError).localizedDescription))")
            }
        }
        var written: [String] = []
        do {
            let shardRows = max(shardBytes / (4 * max(stream.width, 1)), 1)
            var rows = 0, pending: Matrix<Float>? = try stream.next()
            while pending != nil {
                let name = String(format: "shard-%05d.npy", written.count)
                written.append(name)
                rows += try NPYStream.write(to: folder.appendingPathComponent(name), width: stream.width, dtype: .f32, replacing: false) {
                    shard in
                    while let block = pending, shard.rows < shardRows {
                        // A run of contexts may straddle two shards.
                        let room = shardRows - shard.rows
                        try shard.append(block.rows <= room ? block.storage : block.rows(in: 0..<room).storage)
                        guard progress(stream.fraction, "\(stream.rowsProduced) tokens cached") else { throw CancellationError() }
                        pending = block.rows <= room ? try stream.next() : block.rows(in: room..<block.rows)
                    }
                }
            }
            guard rows > 0 else {
                throw InterpretError("\(contents.text): no tokens to cache (every line is blank, or every token is excluded)")
            }
            let manifest = Manifest(contents: contents, rows: rows, width: stream.width, shards: written)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(manifest), to: folder.appendingPathComponent(manifestName), replacing: false)
        } catch {
            for name in written { try? fm.removeItem(at: folder.appendingPathComponent(name)) }
            if !existed { try? fm.removeItem(at: folder) }
            throw error
        }
        return try ActivationCache(opening: folder, expecting: contents)
    }

    public func rows(in range: Range<Int>) throws -> Matrix<Float> {
        var parts: [Matrix<Float>] = [], row = range.lowerBound
        while row < range.upperBound {
            // The shard holding `row`: the last start at or before it.
            var s = 0
            while starts[s + 1] <= row { s += 1 }
            let end = min(range.upperBound, starts[s + 1])
            parts.append(shards[s].rows((row - starts[s])..<(end - starts[s])))
            row = end
        }
        return parts.count == 1 ? parts[0] : Matrix.vstack(parts)
    }
}
