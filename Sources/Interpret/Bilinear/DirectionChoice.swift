/// Which output directions of a bilinear layer to decompose, as a command line or a probe
/// names them.
public enum DirectionChoice: Sendable, Equatable {
    /// Every output of the readout: every class, when it gives the logits.
    case readout
    /// One readout output, by name or index.
    case output(String)
    /// The first output minus the second (e.g. "3" versus "8").
    case contrast(String, String)
    /// The rows of a direction file (see `DirectionFile`), e.g. "sae.safetensors:W_dec".
    case file(String)
}

extension BilinearSite {
    /// The directions `choice` names, checked against this layer.
    public func directions(_ choice: DirectionChoice) throws -> [FormDirection] {
        switch choice {
        case .readout:
            return try readoutDirections()
        case .output(let name):
            return [try readoutDirections()[readoutIndex(name)]]
        case .contrast(let a, let b):
            let (i, j) = (try readoutIndex(a), try readoutIndex(b))
            guard i != j else {
                throw InterpretError("'\(a)' versus '\(b)': a class against itself is the zero form; name two different outputs")
            }
            return [try contrast(i, j)]
        case .file(let spec):
            let (rows, labels) = try DirectionFile.read(spec)
            return try directions(rows, labels: labels, source: spec)
        }
    }
}
