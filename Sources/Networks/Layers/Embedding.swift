import LinAlg

/// torch's `nn.Embedding`: a table of `vocabulary` rows of `dimension` values; a sample of
/// token ids (integers held as numbers, one per position) becomes the rows they index, one
/// after another ([positions, dimension]). Its input is the network's input, whose ids
/// `Dataset.check` keeps whole and inside the table.
public struct Embedding<T: BLASScalar>: Sendable {
    /// [vocabulary, dimension], torch's `weight`.
    public var weight: Matrix<T>

    public init(weight: Matrix<T>) { self.weight = weight }

    public var vocabulary: Int { weight.rows }
    public var dimension: Int { weight.cols }

    /// Whether `id` names a row of the table.
    public func holds(_ id: T) -> Bool { id >= 0 && id < T(vocabulary) && id.rounded(.towardZero) == id }

    public func forward(_ x: Matrix<T>) -> Matrix<T> {
        let d = dimension
        var out = Matrix<T>(rows: x.rows, cols: x.cols * d)
        weight.withUnsafeBufferPointer { table in
            out.withUnsafeMutableBufferPointer { dst in
                for (k, id) in x.storage.enumerated() {
                    precondition(holds(id), "Embedding: token id \(id) outside the table of \(vocabulary) rows")
                    (dst.baseAddress! + k * d).update(from: table.baseAddress! + Int(id) * d, count: d)
                }
            }
        }
        return out
    }

    /// The table's gradient: each position's output gradient added into the row its id
    /// indexed. Ids are not differentiable; their gradient is zero, as no path leads to them.
    public func backward(input x: Matrix<T>, gradOutput g: Matrix<T>) -> (input: Matrix<T>, parameters: [[T]]) {
        let d = dimension
        var table = Matrix<T>(rows: vocabulary, cols: d)
        g.withUnsafeBufferPointer { src in
            table.withUnsafeMutableBufferPointer { dst in
                for (k, id) in x.storage.enumerated() {
                    let (row, from) = (dst.baseAddress! + Int(id) * d, src.baseAddress! + k * d)
                    for j in 0..<d { row[j] += from[j] }
                }
            }
        }
        return (Matrix(rows: x.rows, cols: x.cols), [table.storage])
    }

    var parameters: [(role: String, shape: [Int], values: [T])] { [("weight", [vocabulary, dimension], weight.storage)] }

    mutating func setParameters(_ values: [[T]]) { weight.replaceStorage(values[0]) }
}

extension Network {
    /// The embeddings that look up the network's input (its ids), if it reads token ids.
    public var tokenTables: [Embedding<T>] {
        layers.compactMap { if case .embedding(let e) = $0.operation { return e } else { return nil } }
    }

    /// The index of the first of `values` (inputs, sample after sample) that is not a token id
    /// of every table, or nil when all are (or the network reads no ids).
    public func firstInvalidTokenId(in values: [T]) -> Int? {
        let tables = tokenTables
        guard !tables.isEmpty else { return nil }
        return values.firstIndex { id in !tables.allSatisfy { $0.holds(id) } }
    }
}
