import LinAlg

/// Shuffled minibatches from an activation source that may be larger than memory.
///
/// The source is read in contiguous blocks (sequential reads of a memory-mapped file), the blocks
/// in a fresh random order every pass; a buffer of several blocks is shuffled row by row and
/// served as batches, so each batch mixes samples from many places in the source. A source that
/// fits in the buffer is shuffled as a whole, every pass.
struct MinibatchStream: Sendable {
    let source: ActivationSource
    let batchSize: Int
    private let blockRows: Int
    private let bufferRows: Int
    private var rng: SeededRandom
    private var blockOrder: [Int] = []
    private var nextBlock = 0
    private var buffer: Matrix<Float>
    private var position = 0
    /// Samples served so far.
    private(set) var served = 0

    init(_ source: ActivationSource, batchSize: Int, rng: SeededRandom, blockRows: Int = 64, bufferBatches: Int = 8) {
        self.source = source
        self.batchSize = batchSize
        self.blockRows = blockRows
        self.bufferRows = max(batchSize * bufferBatches, blockRows)
        self.rng = rng
        buffer = Matrix(rows: 0, cols: source.dimension)
    }

    private var blockCount: Int { (source.count + blockRows - 1) / blockRows }

    /// The next batch of `batchSize` samples (the last batch of a tiny source repeats samples
    /// from the next pass rather than coming up short).
    mutating func next() throws -> Matrix<Float> {
        if buffer.rows - position < batchSize { try refill() }
        let batch = buffer.rows(in: position..<(position + batchSize))
        position += batchSize
        served += batchSize
        return batch
    }

    /// Keeps the unserved rows, reads blocks until the buffer is full, and shuffles it.
    private mutating func refill() throws {
        var parts = [buffer.rows(in: position..<buffer.rows)]
        var rows = parts[0].rows
        while rows < max(bufferRows, batchSize) {
            if nextBlock == blockOrder.count {
                blockOrder = rng.permutation(blockCount)
                nextBlock = 0
            }
            let start = blockOrder[nextBlock] * blockRows
            nextBlock += 1
            let block = try source.rows(in: start..<min(start + blockRows, source.count))
            parts.append(block)
            rows += block.rows
            // A source smaller than the buffer is read once per refill, not several times over.
            if nextBlock == blockOrder.count && rows >= batchSize { break }
        }
        let all = Matrix.vstack(parts)
        buffer = all.rows(rng.permutation(all.rows))
        position = 0
    }
}
