import Foundation

/// The contents of a `.safetensors` file: named tensors and the string metadata.
public struct SafeTensorsFile: Sendable {
    public var tensors: [String: Tensor]
    /// Tensor names in data-offset order as found in the file. `SafeTensors.encode` writes in
    /// this order (names missing from it follow, sorted); an empty order writes sorted names.
    public var order: [String]
    /// `__metadata__`: string → string, as the format requires.
    public var metadata: [String: String]

    public init(tensors: [String: Tensor], metadata: [String: String] = [:]) {
        self.tensors = tensors
        self.order = []
        self.metadata = metadata
    }

    public subscript(name: String) -> Tensor? { tensors[name] }

    /// The names in the order `SafeTensors.encode` writes them.
    var writeOrder: [String] {
        var seen = Set<String>()
        var names: [String] = []
        for name in order where tensors[name] != nil && !seen.contains(name) {
            names.append(name)
            seen.insert(name)
        }
        names += tensors.keys.filter { !seen.contains($0) }.sorted()
        return names
    }
}

/// Reader and writer for the safetensors format: an 8-byte little-endian header length N, N bytes
/// of JSON header, then the data buffer. Each header entry gives dtype, shape and data_offsets
/// [begin, end] relative to the start of the buffer.
public enum SafeTensors {
    /// The python library's limit on the header size.
    public static let maxHeaderLength = 100_000_000

    /// Reads a file by memory-mapping it; the tensors are views of the mapping.
    public static func read(_ url: URL) throws -> SafeTensorsFile {
        try decode(MappedFile.map(url), source: url.path)
    }

    /// Decodes a safetensors buffer; `source` names it in errors. The tensors are copies.
    public static func decode(_ data: Data, source: String) throws -> SafeTensorsFile {
        try decode(ByteSource(data: data, owned: false), source: source)
    }

    static func decode(_ src: ByteSource, source: String) throws -> SafeTensorsFile {
        func fail(_ message: String) -> TensorIOError { TensorIOError(file: source, message: message) }
        let data = src.data
        guard data.count >= 8 else {
            throw fail("file is too short (\(data.count) bytes) to be safetensors: it must start with an 8-byte header length")
        }
        let declared = data.loadLE(0, as: UInt64.self)
        guard declared <= UInt64(maxHeaderLength) else {
            throw fail("header length \(declared) is larger than the \(maxHeaderLength)-byte limit (corrupt or not a safetensors file)")
        }
        let headerLength = Int(declared)
        guard 8 + headerLength <= data.count else {
            throw fail(
                "header length \(headerLength) extends beyond the end of the file (\(data.count) bytes, so at most \(data.count - 8) are available)"
            )
        }
        let headerBytes = data.subdata(in: data.startIndex + 8..<data.startIndex + 8 + headerLength)
        guard headerBytes.first == UInt8(ascii: "{") else {
            throw fail("header does not start with '{' (corrupt or not a safetensors file)")
        }
        guard String(data: headerBytes, encoding: .utf8) != nil else {
            throw fail("header is not valid UTF-8")
        }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: headerBytes, options: [])
        } catch {
            throw fail("header is not valid JSON: \(jsonErrorText(error))")
        }
        guard let header = json as? [String: Any] else { throw fail("header is not a JSON object") }

        let bufferStart = 8 + headerLength
        let bufferSize = data.count - bufferStart
        var metadata: [String: String] = [:]
        struct Entry { let name: String; let dtype: DType; let shape: [Int]; let begin: Int; let end: Int }
        var entries: [Entry] = []

        for (name, value) in header {
            if name == "__metadata__" {
                if value is NSNull { continue }
                guard let dict = value as? [String: Any] else {
                    throw fail("__metadata__ must be an object of strings, found \(jsonTypeName(value))")
                }
                for (k, v) in dict {
                    guard let s = v as? String else {
                        throw fail("__metadata__ value for '\(k)' must be a string, found \(jsonTypeName(v))")
                    }
                    metadata[k] = s
                }
                continue
            }
            func bad(_ message: String) -> TensorIOError { fail("tensor '\(name)': \(message)") }
            guard let info = value as? [String: Any] else {
                throw bad("header entry must be an object with dtype, shape and data_offsets, found \(jsonTypeName(value))")
            }
            guard let dtypeName = info["dtype"] as? String else {
                throw bad("missing or non-string \"dtype\"")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw bad("unsupported dtype '\(dtypeName)' (supported: \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard let shapeArray = info["shape"] as? [Any] else { throw bad("missing or non-array \"shape\"") }
            var shape: [Int] = []
            for d in shapeArray {
                guard let n = jsonInt(d) else {
                    throw bad("shape entry \(jsonText(d)) is not an integer in range")
                }
                shape.append(n)
            }
            guard let offsets = info["data_offsets"] as? [Any], offsets.count == 2 else {
                throw bad("\"data_offsets\" must be an array [begin, end]")
            }
            guard let begin = jsonInt(offsets[0]), let end = jsonInt(offsets[1]), begin >= 0, end >= 0 else {
                throw bad("data_offsets [\(jsonText(offsets[0])), \(jsonText(offsets[1]))] must be non-negative integers")
            }
            guard begin <= end else { throw bad("data_offsets [\(begin), \(end)]: begin is after end") }
            guard end <= bufferSize else {
                throw bad("data_offsets [\(begin), \(end)] extend beyond the data buffer (\(bufferSize) bytes)")
            }
            let nbytes: Int
            switch storageSize(of: shape, dtype: dtype) {
            case .bad(let message): throw bad(message)
            case .ok(_, let b): nbytes = b
            }
            guard end - begin == nbytes else {
                throw bad(
                    "data_offsets [\(begin), \(end)] hold \(end - begin) bytes but \(dtype.rawValue) \(shapeString(shape)) needs \(nbytes)")
            }
            entries.append(Entry(name: name, dtype: dtype, shape: shape, begin: begin, end: end))
        }

        entries.sort { ($0.begin, $0.end, $0.name) < ($1.begin, $1.end, $1.name) }
        var expected = 0
        var previous: String?
        for e in entries {
            if e.begin < expected {
                throw fail(
                    "tensor '\(e.name)' (data_offsets [\(e.begin), \(e.end)]) overlaps tensor '\(previous!)', which ends at \(expected)")
            }
            if e.begin > expected {
                let after = previous.map { "after tensor '\($0)'" } ?? "at the start of the data buffer"
                throw fail("gap of \(e.begin - expected) bytes \(after): tensor '\(e.name)' starts at \(e.begin), expected \(expected)")
            }
            expected = e.end
            previous = e.name
        }
        guard expected == bufferSize else {
            throw fail(
                "data buffer has \(bufferSize) bytes but the tensors cover only \(expected) (\(bufferSize - expected) bytes unaccounted for)"
            )
        }

        var file = SafeTensorsFile(tensors: [:], metadata: metadata)
        for e in entries {
            file.tensors[e.name] = Tensor(
                unchecked: e.shape, dtype: e.dtype,
                bytes: src.piece(bufferStart + e.begin, e.end - e.begin))
        }
        file.order = entries.map(\.name)
        return file
    }

    /// The file as bytes. The JSON header lists `__metadata__` first (omitted when empty, keys
    /// sorted), then the tensors in `file.order`, and is padded with spaces to a multiple of 8.
    public static func encode(_ file: SafeTensorsFile) -> Data {
        let names = file.writeOrder
        var json = "{"
        var parts: [String] = []
        if !file.metadata.isEmpty {
            let items = file.metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(file.metadata[$0]!))" }
            parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for name in names {
            let t = file.tensors[name]!
            let end = offset + t.bytes.count
            parts.append(
                "\(jsonString(name)):{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(end)]}"
            )
            offset = end
        }
        json += parts.joined(separator: ",") + "}"
        var header = Data(json.utf8)
        header.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        var out = Data(capacity: 8 + header.count + offset)
        out.appendLE(UInt64(header.count))
        out.append(header)
        for name in names { out.append(file.tensors[name]!.bytes) }
        return out
    }

    /// Writes the file atomically (temporary file in the same directory, fsync, rename);
    /// `replacing: false` refuses an existing file (see `AtomicFile.write`).
    public static func write(_ file: SafeTensorsFile, to url: URL, replacing: Bool = true) throws {
        try AtomicFile.write(encode(file), to: url, replacing: replacing)
    }
}

// MARK: - JSON helpers

/// An integer JSON number (not a boolean, not fractional, within Int's range).
func jsonInt(_ v: Any) -> Int? {
    guard let n = v as? NSNumber, !(v is String) else { return nil }
    if String(cString: n.objCType) == "c" { return nil }  // a JSON true/false
    return v as? Int
}

/// How a JSON value reads in a message: "null", "a string", "the number 5".
public func jsonTypeName(_ v: Any) -> String {
    switch v {
    case is NSNull: return "null"
    case is String: return "a string"
    case is [Any]: return "an array"
    case is [String: Any]: return "an object"
    case let n as NSNumber: return String(cString: n.objCType) == "c" ? "a boolean" : "the number \(n)"
    default: return "\(type(of: v))"
    }
}

func jsonText(_ v: Any) -> String {
    switch v {
    case let s as String: return jsonString(s)
    case let n as NSNumber: return String(cString: n.objCType) == "c" ? (n.boolValue ? "true" : "false") : n.stringValue
    case is NSNull: return "null"
    default: return jsonTypeName(v)
    }
}

/// A JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where u.value < 0x20:
            out += "\\u" + String(format: "%04x", u.value)
        default: out.unicodeScalars.append(u)
        }
    }
    return out + "\""
}

func jsonErrorText(_ error: Error) -> String {
    let ns = error as NSError
    if let debug = ns.userInfo["NSDebugDescription"] as? String { return debug }
    return ns.localizedDescription
}
