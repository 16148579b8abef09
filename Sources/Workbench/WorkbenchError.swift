import TensorIO

/// A session, probe or report that cannot be used as given. One line: which file, which
/// field, what was expected.
public struct WorkbenchError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message.oneLine }
    public var description: String { message }
}
