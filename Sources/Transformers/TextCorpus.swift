import Foundation

/// Text to run a model on, read a piece at a time so that a corpus larger than memory streams:
/// a .txt file with one document per line (or, `wholeFile`, one document), or a .jsonl file with
/// one JSON object per line whose `field` holds the document. Documents are numbered by their
/// line (from 0), so that every result traces back to the text; blank lines are skipped.
public struct TextCorpus: Sendable {
    public enum Layout: Sendable, Equatable {
        case lines
        case wholeFile
        case jsonl(field: String)
    }

    public let url: URL
    public let layout: Layout

    /// The layout a file's extension and the options give; .jsonl takes `field` ("text").
    public init(_ url: URL, wholeFile: Bool, field: String?) throws {
        self.url = url
        let ext = url.pathExtension.lowercased()
        switch ext {
        case "jsonl":
            guard !wholeFile else {
                throw TransformerError("\(url.path): --whole-file reads a .txt file; a .jsonl file has a document per line")
            }
            layout = .jsonl(field: field ?? "text")
        case "txt":
            guard field == nil else {
                throw TransformerError("\(url.path): --text-field names a field of a .jsonl file, not of a .txt file")
            }
            layout = wholeFile ? .wholeFile : .lines
        default:
            throw TransformerError(
                "\(url.path): text must be a .txt file (a document per line) or a .jsonl file (a \"text\" field per line)")
        }
    }

    /// Calls `body(document, text)` for each document in order; `progress` gets the fraction of
    /// the file read.
    public func forEachDocument(progress: (Double) -> Void = { _ in }, _ body: (Int, String) throws -> Void) throws {
        let reader = try DocumentReader(self)
        while let (line, text) = try reader.next() {
            try body(line, text)
            progress(reader.fraction)
        }
        progress(1)
    }

    /// The documents one at a time, for a consumer that pulls them (a stream that may stop
    /// between any two), read from the file a megabyte at a time.
    public final class DocumentReader: @unchecked Sendable {
        public let corpus: TextCorpus
        private let handle: FileHandle
        private let size: Int
        private var pending = Data()
        /// Where the unread part of `pending` starts.
        private var start = 0
        private var line = 0
        private var consumed = 0
        private var finished = false

        public init(_ corpus: TextCorpus) throws {
            guard let handle = FileHandle(forReadingAtPath: corpus.url.path) else {
                throw TransformerError("\(corpus.url.path): cannot be read")
            }
            self.corpus = corpus
            self.handle = handle
            size = (try? FileManager.default.attributesOfItem(atPath: corpus.url.path)[.size] as? Int) ?? 0
        }

        deinit { try? handle.close() }

        /// The fraction of the file read so far.
        public var fraction: Double { finished || size == 0 ? 1 : min(Double(consumed) / Double(size), 1) }

        /// The next document with its line (from 0), or nil at the end of the file.
        public func next() throws -> (line: Int, text: String)? {
            if corpus.layout == .wholeFile {
                guard !finished else { return nil }
                finished = true
                return (0, try corpus.text(handle.readDataToEndOfFile(), line: nil))
            }
            while true {
                if let newline = pending[(pending.startIndex + start)...].firstIndex(of: 0x0A) {
                    let bytes = pending[(pending.startIndex + start)..<newline]
                    start = newline + 1 - pending.startIndex
                    if let document = try emit(bytes) { return document }
                    continue
                }
                guard !finished else { return nil }
                let chunk = handle.readData(ofLength: 1 << 20)
                consumed += chunk.count
                pending = Data(pending[(pending.startIndex + start)...])
                start = 0
                if chunk.isEmpty {
                    finished = true
                    let rest = pending
                    pending = Data()
                    return rest.isEmpty ? nil : try emit(rest)
                }
                pending.append(chunk)
            }
        }

        /// A line's document, or nil for a blank line.
        private func emit(_ bytes: Data) throws -> (line: Int, text: String)? {
            defer { line += 1 }
            let raw = try corpus.text(bytes.last == 0x0D ? bytes.dropLast() : bytes, line: line)
            guard !raw.allSatisfy(\.isWhitespace) else { return nil }
            return (line, try corpus.document(raw, line: line))
        }
    }

    fileprivate func text(_ bytes: Data, line: Int?) throws -> String {
        guard let s = String(data: bytes, encoding: .utf8) else {
            throw TransformerError("\(url.path)\(line.map { " line \($0 + 1)" } ?? ""): not UTF-8 text")
        }
        return s
    }

    fileprivate func document(_ raw: String, line: Int) throws -> String {
        guard case .jsonl(let field) = layout else { return raw }
        let at = "\(url.path) line \(line + 1)"
        guard let object = (try? JSONSerialization.jsonObject(with: Data(raw.utf8))) as? [String: Any] else {
            throw TransformerError("\(at): not a JSON object")
        }
        guard let text = object[field] as? String else {
            throw TransformerError("\(at): no \"\(field)\" field holding a string (--text-field names another)")
        }
        return text
    }
}

/// How documents become contexts: each document's tokens cut into runs that fit `length` with
/// the special tokens the checkpoint's tokenizer puts around a text ([CLS] … [SEP], a BOS), each
/// run wrapped in them; a longer document continues in the next context.
public struct ContextCutter: Sendable {
    public let length: Int
    public let before: [Int]
    public let after: [Int]

    public init(length: Int, before: [Int], after: [Int]) throws {
        guard length > before.count + after.count else {
            throw TransformerError("--ctx \(length) leaves no room for text between \(before.count + after.count) special tokens")
        }
        self.length = length
        self.before = before
        self.after = after
    }

    /// Which special tokens wrap each context.
    public enum Specials: Sendable, Equatable {
        /// Those the checkpoint's tokenizer puts around a text.
        case tokenizer
        /// The tokenizer's, starting with config.json's bos_token_id (`--prepend-bos`).
        case prependBOS
        /// None (`--no-bos`).
        case none
    }

    /// The default context length: 128 tokens, or a model's learned positions if fewer.
    public static let defaultLength = 128

    /// `defaultLength`, or fewer when that is more than `model`'s learned positions.
    public static func defaultLength(for model: Transformer) -> Int {
        model.config.family == .llama ? defaultLength : min(defaultLength, model.config.maxPositions)
    }

    /// How documents become contexts for `model`: `length` tokens (default `defaultLength`),
    /// never more than its learned positions.
    public init(for model: Transformer, length: Int?, specials: Specials) throws {
        guard let tokenizer = model.tokenizer else {
            throw TransformerError("\(model.name): no tokenizer.json beside the checkpoint, so its text cannot be read")
        }
        let length = length ?? Self.defaultLength(for: model)
        if model.config.family != .llama, length > model.config.maxPositions {
            throw TransformerError("--ctx \(length) is longer than \(model.name)'s \(model.config.maxPositions) learned positions")
        }
        var (before, after) = tokenizer.specialTokens
        switch specials {
        case .tokenizer: break
        case .none: (before, after) = ([], [])
        case .prependBOS:
            guard let bos = model.config.bosTokenID else {
                throw TransformerError("\(model.name)/config.json names no bos_token_id inside its vocabulary for --prepend-bos")
            }
            if before.first != bos { before.insert(bos, at: 0) }
        }
        try self.init(length: length, before: before, after: after)
    }

    /// The contexts of one document's tokens (without special tokens).
    public func contexts(_ ids: [Int]) -> [[Int]] {
        let room = length - before.count - after.count
        return stride(from: 0, to: max(ids.count, 1), by: room).map { start in
            before + ids[start..<min(start + room, ids.count)] + after
        }
    }
}
