/// A setting that is saved as the words the command line takes (`"gamma:0.5"`,
/// `"epsilon-plus"`, `"label"`), so reports, probes and sessions stay readable.
public protocol TextCodable: Codable, CustomStringConvertible {
    /// Reads what `description` writes.
    init(text: String) throws
}

extension TextCodable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
