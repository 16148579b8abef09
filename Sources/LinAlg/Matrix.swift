/// A dense matrix stored row-major and contiguously, so any row is a pointer BLAS can use
/// and the whole storage is what a safetensors or `.npy` file holds for a 2-d tensor.
///
/// Shapes are checked where they meet: a mismatch is a programming error and stops with a
/// message that gives both shapes. Data from users is validated before it becomes a matrix.
public struct Matrix<T: BLASScalar>: Equatable, Sendable {
    public let rows: Int
    public let cols: Int
    /// Row-major elements; `storage[r * cols + c]` is element (r, c).
    public internal(set) var storage: [T]

    public init(rows: Int, cols: Int, repeating value: T = 0) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = [T](repeating: value, count: rows * cols)
    }

    /// A matrix whose elements are not set: only for a result that is overwritten whole (a
    /// BLAS product with β = 0, a gather that writes every entry), so that a large one is not
    /// zeroed first.
    public init(unsetRows rows: Int, cols: Int) {
        precondition(rows >= 0 && cols >= 0, "Matrix: negative shape \(rows)×\(cols)")
        self.rows = rows
        self.cols = cols
        self.storage = [T](unsafeUninitializedCapacity: rows * cols) { _, initialized in initialized = rows * cols }
    }

    public init(rows: Int, cols: Int, storage: [T]) {
        precondition(
            rows >= 0 && cols >= 0 && storage.count == rows * cols,
            "Matrix: \(storage.count) elements cannot fill a \(rows)×\(cols) matrix")
        self.rows = rows
        self.cols = cols
        self.storage = storage
    }

    /// A matrix from its rows; all rows must have the same length.
    public init(_ rowArrays: [[T]]) {
        let cols = rowArrays.first?.count ?? 0
        for (i, row) in rowArrays.enumerated() {
            precondition(row.count == cols, "Matrix: row \(i) has \(row.count) elements, row 0 has \(cols)")
        }
        self.init(rows: rowArrays.count, cols: cols, storage: rowArrays.flatMap { $0 })
    }

    /// Fills element (r, c) with `body(r, c)`, row by row.
    public init(rows: Int, cols: Int, generator body: (Int, Int) -> T) {
        var storage = [T]()
        storage.reserveCapacity(rows * cols)
        for r in 0..<rows { for c in 0..<cols { storage.append(body(r, c)) } }
        self.init(rows: rows, cols: cols, storage: storage)
    }

    public static func identity(_ n: Int) -> Matrix {
        var m = Matrix(rows: n, cols: n)
        for i in 0..<n { m[i, i] = 1 }
        return m
    }

    /// A one-row matrix holding `values`.
    public init(row values: [T]) { self.init(rows: 1, cols: values.count, storage: values) }
    /// A one-column matrix holding `values`.
    public init(column values: [T]) { self.init(rows: values.count, cols: 1, storage: values) }

    public var count: Int { storage.count }
    public var shape: (rows: Int, cols: Int) { (rows, cols) }
    public var shapeDescription: String { "\(rows)×\(cols)" }

    public subscript(r: Int, c: Int) -> T {
        get { storage[r * cols + c] }
        set { storage[r * cols + c] = newValue }
    }

    // MARK: Rows and columns

    /// Row r as a view into the storage (no copy).
    public func row(_ r: Int) -> ArraySlice<T> {
        precondition(r >= 0 && r < rows, "Matrix: row \(r) out of range for \(shapeDescription)")
        return storage[(r * cols)..<((r + 1) * cols)]
    }

    public mutating func setRow(_ r: Int, _ values: some Collection<T>) {
        precondition(values.count == cols, "Matrix.setRow: \(values.count) values for \(cols) columns")
        storage.replaceSubrange((r * cols)..<((r + 1) * cols), with: values)
    }

    public func column(_ c: Int) -> [T] {
        precondition(c >= 0 && c < cols, "Matrix: column \(c) out of range for \(shapeDescription)")
        return (0..<rows).map { storage[$0 * cols + c] }
    }

    /// The rows at `indices`, in that order (a minibatch, a subset of samples).
    public func rows(_ indices: some Collection<Int>) -> Matrix {
        var out = [T]()
        out.reserveCapacity(indices.count * cols)
        for r in indices { out.append(contentsOf: row(r)) }
        return Matrix(rows: indices.count, cols: cols, storage: out)
    }

    /// Rows `range` as a new matrix.
    public func rows(in range: Range<Int>) -> Matrix {
        Matrix(rows: range.count, cols: cols, storage: Array(storage[(range.lowerBound * cols)..<(range.upperBound * cols)]))
    }

    /// The columns at `indices`, in that order.
    public func columns(_ indices: [Int]) -> Matrix {
        for j in indices { precondition(j >= 0 && j < cols, "Matrix.columns: column \(j) of \(shapeDescription)") }
        let (m, count) = (indices.count, rows * indices.count)
        let out = [T](unsafeUninitializedCapacity: count) { dst, initialized in
            storage.withUnsafeBufferPointer { src in
                indices.withUnsafeBufferPointer { idx in
                    for r in 0..<rows {
                        let (from, to) = (src.baseAddress! + r * cols, dst.baseAddress! + r * m)
                        for j in 0..<m { to[j] = from[idx[j]] }
                    }
                }
            }
            initialized = count
        }
        return Matrix(rows: rows, cols: m, storage: out)
    }

    public func transposed() -> Matrix {
        var out = [T](repeating: 0, count: count)
        // Blocked so that both the reads and the writes stay within a few cache lines.
        let block = 32
        storage.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r0 in stride(from: 0, to: rows, by: block) {
                    for c0 in stride(from: 0, to: cols, by: block) {
                        for r in r0..<min(r0 + block, rows) {
                            for c in c0..<min(c0 + block, cols) { dst[c * rows + r] = src[r * cols + c] }
                        }
                    }
                }
            }
        }
        return Matrix(rows: cols, cols: rows, storage: out)
    }

    public func reshaped(rows newRows: Int, cols newCols: Int) -> Matrix {
        precondition(newRows * newCols == count, "Matrix: cannot reshape \(shapeDescription) to \(newRows)×\(newCols)")
        return Matrix(rows: newRows, cols: newCols, storage: storage)
    }

    /// The matrix stacked `times` times: a bias row for every sample of a batch, or one
    /// sample's rows for each sample.
    public func stacked(_ times: Int) -> Matrix {
        precondition(times >= 0, "Matrix.stacked: \(times) times")
        let n = count
        let out = [T](unsafeUninitializedCapacity: n * times) { dst, initialized in
            storage.withUnsafeBufferPointer { src in
                for t in 0..<times where n > 0 { (dst.baseAddress! + t * n).initialize(from: src.baseAddress!, count: n) }
            }
            initialized = n * times
        }
        return Matrix(rows: rows * times, cols: cols, storage: out)
    }

    /// Stacks matrices with equal column counts on top of each other.
    public static func vstack(_ parts: [Matrix]) -> Matrix {
        guard let cols = parts.first?.cols else { return Matrix(rows: 0, cols: 0) }
        for p in parts { precondition(p.cols == cols, "Matrix.vstack: \(p.cols) columns next to \(cols)") }
        return Matrix(rows: parts.reduce(0) { $0 + $1.rows }, cols: cols, storage: parts.flatMap(\.storage))
    }

    /// Puts matrices with equal row counts side by side.
    public static func hstack(_ parts: [Matrix]) -> Matrix {
        guard let rows = parts.first?.rows else { return Matrix(rows: 0, cols: 0) }
        for p in parts { precondition(p.rows == rows, "Matrix.hstack: \(p.rows) rows next to \(rows)") }
        var out = [T]()
        out.reserveCapacity(rows * parts.reduce(0) { $0 + $1.cols })
        for r in 0..<rows { for p in parts { out.append(contentsOf: p.row(r)) } }
        return Matrix(rows: rows, cols: out.count / max(rows, 1), storage: out)
    }

    // MARK: Conversions and raw access

    /// The same matrix in another precision (Float ⇄ Double).
    public func converted<U: BLASScalar>(to: U.Type = U.self) -> Matrix<U> {
        Matrix<U>(rows: rows, cols: cols, storage: storage.map { U($0) })
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<T>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<T>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Replaces every element, keeping the shape.
    public mutating func replaceStorage(_ values: [T]) {
        precondition(values.count == count, "Matrix: \(values.count) values for \(shapeDescription)")
        storage = values
    }
}

extension Matrix: CustomStringConvertible {
    public var description: String {
        let shown = (0..<min(rows, 8)).map { r in
            row(r).prefix(8).map { "\($0)" }.joined(separator: " ") + (cols > 8 ? " …" : "")
        }
        return "Matrix \(shapeDescription)\n" + shown.joined(separator: "\n") + (rows > 8 ? "\n…" : "")
    }
}
