import TensorIO

/// A checkpoint or text Loupe cannot use as given. The message is one line naming the file, the
/// field or tensor, and what was expected.
public struct TransformerError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message.oneLine }
    public var description: String { message }
}
