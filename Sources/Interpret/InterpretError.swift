import TensorIO

/// An analysis that cannot run on what it was given (a layer that does not exist, too few
/// samples, a degenerate layer). The message is one line naming what is wrong.
public struct InterpretError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message.oneLine }
    public var description: String { message }
}

/// Progress of long work: the fraction done (0…1) and a short status. Returning false asks the
/// work to stop; it then throws `CancellationError`.
public typealias ProgressHandler = (_ fraction: Double, _ status: String) -> Bool
