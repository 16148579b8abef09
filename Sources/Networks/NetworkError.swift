import TensorIO

/// A network or data set that cannot be used as given. The message is one line that names
/// the file, layer or tensor and says what was expected and what was found.
public struct NetworkError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message.oneLine }
    public var description: String { message }
}

/// "[16, 4, 4]" — shapes are written the way PyTorch prints them.
public func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
