/// A tokenizer.json that cannot be used as given, or text it cannot encode. The message is one
/// line naming the file and the field, and saying what was expected.
public struct TokenizerError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) {
        self.message = message.split(whereSeparator: \.isNewline).joined(separator: " ")
    }
    public var description: String { message }
}
