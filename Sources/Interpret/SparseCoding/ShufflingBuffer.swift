import LinAlg
import Transformers

/// Where a training run's minibatches come from, one after another.
public protocol Minibatches: Sendable {
    /// The next batch.
    mutating func next() throws -> Matrix<Float>
    /// Samples served so far.
    var served: Int { get }
}

/// Rows for a shuffling buffer, a piece at a time.
public protocol RowSupply: Sendable {
    var name: String { get }
    var dimension: Int { get }
    /// The next rows, and whether they end a pass over the data; `rng` is the buffer's.
    mutating func next(_ rng: inout SeededRandom) throws -> (rows: Matrix<Float>, endsPass: Bool)
}

/// Shuffled minibatches from rows that arrive a piece at a time. The buffer is filled to
/// `capacity` rows and shuffled; batches are served from it until fewer than `refillBelow`
/// rows are left, which then join fresh rows and are shuffled again, so that each batch mixes
/// samples from many places in the data. Refilling at half the capacity is SAELens's activation
/// store; refilling only when a batch no longer fits serves a random-access source in random
/// order with the fewest reads.
public struct ShufflingBuffer<Supply: RowSupply>: Minibatches {
    public let batchSize: Int
    public let capacity: Int
    public let refillBelow: Int
    private var supply: Supply
    private var rng: SeededRandom
    private var buffer: Matrix<Float>
    private var position = 0
    public private(set) var served = 0

    public init(_ supply: Supply, batchSize: Int, capacity: Int, refillBelow: Int, rng: SeededRandom) {
        (self.supply, self.batchSize, self.rng) = (supply, batchSize, rng)
        self.capacity = max(capacity, batchSize)
        self.refillBelow = max(refillBelow, batchSize)
        buffer = Matrix(rows: 0, cols: supply.dimension)
    }

    /// The next batch of `batchSize` samples (data smaller than a batch repeats samples from
    /// its next pass rather than coming up short).
    public mutating func next() throws -> Matrix<Float> {
        if buffer.rows - position < refillBelow { try refill() }
        let batch = buffer.rows(in: position..<(position + batchSize))
        position += batchSize
        served += batchSize
        return batch
    }

    /// The first `count` rows the next batches will be served from (fewer when the buffer holds
    /// fewer): a random sample of the data at hand, for the input scale and b_dec's start.
    public mutating func upcoming(_ count: Int) throws -> Matrix<Float> {
        if buffer.rows - position < refillBelow { try refill() }
        return buffer.rows(in: position..<min(position + count, buffer.rows))
    }

    /// Keeps the unserved rows, adds rows until the buffer is full, and shuffles it.
    private mutating func refill() throws {
        var parts = [buffer.rows(in: position..<buffer.rows)]
        var rows = parts[0].rows
        while rows < capacity {
            let (piece, endsPass) = try supply.next(&rng)
            parts.append(piece)
            rows += piece.rows
            // Data smaller than the buffer is read once per refill, not several times over.
            if endsPass && rows >= batchSize { break }
        }
        let all = Matrix.vstack(parts)
        buffer = all.rows(rng.permutation(all.rows))
        position = 0
    }
}

/// A random-access source in blocks of contiguous rows (sequential reads of a memory-mapped
/// file), the blocks in a fresh random order every pass.
public struct SourceBlocks: RowSupply {
    public let source: ActivationSource
    public let blockRows: Int
    private var order: [Int] = []
    private var nextBlock = 0

    public init(_ source: ActivationSource, blockRows: Int = 64) {
        (self.source, self.blockRows) = (source, blockRows)
    }

    public var name: String { source.name }
    public var dimension: Int { source.dimension }

    public mutating func next(_ rng: inout SeededRandom) throws -> (rows: Matrix<Float>, endsPass: Bool) {
        if nextBlock == order.count {
            order = rng.permutation((source.count + blockRows - 1) / blockRows)
            nextBlock = 0
        }
        let start = order[nextBlock] * blockRows
        nextBlock += 1
        return (try source.rows(in: start..<min(start + blockRows, source.count)), nextBlock == order.count)
    }
}

/// A model's hook point as it reads a text, in order, starting the text again at its end.
struct StreamedRows: RowSupply {
    let stream: HookStream

    var name: String { "\(stream.model.name) \(stream.hook) on \(stream.source)" }
    var dimension: Int { stream.width }

    func next(_ rng: inout SeededRandom) throws -> (rows: Matrix<Float>, endsPass: Bool) {
        // The stream never ends (it starts the text again), and the buffer's mixing is what
        // shuffles it: it is read until the buffer is full.
        (try stream.next()!, false)
    }
}
