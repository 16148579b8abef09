import LinAlg

/// The codes of a batch, one row per sample, stored by their nonzeros (compressed sparse rows):
/// sample b's active latents are `indices[rowStart[b] ..< rowStart[b + 1]]` with `values` beside
/// them. Top-k and matching-pursuit codes have a few dozen nonzeros out of thousands, so decoding
/// and back-propagating through them touches only those decoder rows.
public struct SparseCodes<T: BLASScalar>: Sendable, Equatable {
    /// The number of latents (d_sae).
    public let width: Int
    public private(set) var rowStart: [Int]
    public private(set) var indices: [Int]
    public private(set) var values: [T]

    /// An empty batch of codes over `width` latents.
    public init(width: Int) {
        self.width = width
        rowStart = [0]
        indices = []
        values = []
    }

    /// The number of samples.
    public var count: Int { rowStart.count - 1 }
    /// The number of nonzeros over the batch.
    public var nonzeroCount: Int { indices.count }

    /// The range of sample b's entries in `indices` and `values`.
    @inline(__always) public func range(_ b: Int) -> Range<Int> { rowStart[b]..<rowStart[b + 1] }

    /// The number of active latents of each sample.
    public var l0: [Int] { (0..<count).map { rowStart[$0 + 1] - rowStart[$0] } }

    /// Appends one sample's code. In codes a latent appears at most once per sample; in a
    /// matching-pursuit path (the atoms in the order they were picked) it may repeat.
    public mutating func append(indices newIndices: some Collection<Int>, values newValues: some Collection<T>) {
        precondition(newIndices.count == newValues.count, "SparseCodes.append: \(newIndices.count) indices, \(newValues.count) values")
        indices.append(contentsOf: newIndices)
        values.append(contentsOf: newValues)
        rowStart.append(indices.count)
    }

    /// Appends the codes of another batch below these.
    public mutating func append(_ other: SparseCodes<T>) {
        precondition(other.width == width, "SparseCodes.append: width \(other.width) next to \(width)")
        let offset = indices.count
        indices.append(contentsOf: other.indices)
        values.append(contentsOf: other.values)
        rowStart.append(contentsOf: other.rowStart.dropFirst().map { $0 + offset })
    }

    /// The codes as a dense samples × latents matrix.
    public var dense: Matrix<T> {
        var out = Matrix<T>(rows: count, cols: width)
        out.withUnsafeMutableBufferPointer { o in
            for b in 0..<count {
                for e in range(b) { o[b * width + indices[e]] += values[e] }
            }
        }
        return out
    }

    /// The same entries grouped by latent (compressed sparse columns): latent j's samples are
    /// `samples[start[j] ..< start[j + 1]]`, in increasing order, with their values beside them.
    func byLatent() -> (start: [Int], samples: [Int], values: [T]) {
        var start = [Int](repeating: 0, count: width + 1)
        for j in indices { start[j + 1] += 1 }
        for j in 0..<width { start[j + 1] += start[j] }
        var next = start
        var samples = [Int](repeating: 0, count: indices.count)
        var columnValues = [T](repeating: 0, count: indices.count)
        for b in 0..<count {
            for e in range(b) {
                let j = indices[e]
                samples[next[j]] = b
                columnValues[next[j]] = values[e]
                next[j] += 1
            }
        }
        return (start, samples, columnValues)
    }
}

/// Codes of a batch in fixed slots (samples × slots), so that samples can be filled in
/// parallel, each by one thread, then packed into `SparseCodes`.
struct SlotTable<T: BLASScalar> {
    let samples: Int
    let slots: Int
    private var latents: [Int]
    private var values: [T]
    private var counts: [Int]

    init(samples: Int, slots: Int) {
        self.samples = samples
        self.slots = slots
        // At least one entry, so the buffers always have an address.
        latents = [Int](repeating: 0, count: max(samples * slots, 1))
        values = [T](repeating: 0, count: max(samples * slots, 1))
        counts = [Int](repeating: 0, count: max(samples, 1))
    }

    /// Raw access for the filling loops; each sample's slots are written by one thread only.
    struct Pointers {
        let slots: Int
        let latents: UnsafeMutablePointer<Int>
        let values: UnsafeMutablePointer<T>
        let counts: UnsafeMutablePointer<Int>

        @inline(__always) func record(sample b: Int, slot t: Int, latent: Int, value: T) {
            latents[b * slots + t] = latent
            values[b * slots + t] = value
        }
        /// Whether `latent` is among sample b's first `filled` slots.
        @inline(__always) func contains(_ latent: Int, sample b: Int, filled: Int) -> Bool {
            for s in 0..<filled where latents[b * slots + s] == latent { return true }
            return false
        }
        @inline(__always) func setCount(sample b: Int, _ t: Int) { counts[b] = t }
    }

    mutating func withPointers<R>(_ body: (Pointers) -> R) -> R {
        let slots = self.slots
        return latents.withUnsafeMutableBufferPointer { l in
            values.withUnsafeMutableBufferPointer { v in
                counts.withUnsafeMutableBufferPointer { n in
                    body(Pointers(slots: slots, latents: l.baseAddress!, values: v.baseAddress!, counts: n.baseAddress!))
                }
            }
        }
    }

    mutating func setCount(sample b: Int, _ t: Int) { counts[b] = t }

    /// Each sample's filled slots, in slot order.
    func codes(width: Int) -> SparseCodes<T> {
        var codes = SparseCodes<T>(width: width)
        for b in 0..<samples {
            let start = b * slots
            codes.append(indices: latents[start..<(start + counts[b])], values: values[start..<(start + counts[b])])
        }
        return codes
    }
}

/// y ← y + a·x over n elements: the inner loop of sparse decoding and its backward pass. Plain
/// Swift, which the optimiser vectorises; a BLAS call costs more than it saves at these lengths.
@inline(__always)
func addScaled<T: BLASScalar>(_ n: Int, _ a: T, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<T>) {
    for i in 0..<n { y[i] += a * x[i] }
}

/// x·y over n elements, with four partial sums so the additions overlap (a strict left-to-right
/// sum cannot be vectorised).
@inline(__always)
func dotProduct<T: BLASScalar>(_ n: Int, _ x: UnsafePointer<T>, _ y: UnsafePointer<T>) -> T {
    var s0: T = 0, s1: T = 0, s2: T = 0, s3: T = 0
    var i = 0
    while i + 4 <= n {
        s0 += x[i] * y[i]
        s1 += x[i + 1] * y[i + 1]
        s2 += x[i + 2] * y[i + 2]
        s3 += x[i + 3] * y[i + 3]
        i += 4
    }
    while i < n { s0 += x[i] * y[i]; i += 1 }
    return (s0 + s1) + (s2 + s3)
}
