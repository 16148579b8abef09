/// Elementwise operations and reductions. The loops run over raw buffers so the optimiser
/// vectorises them; anything that is a product goes through BLAS instead (Products.swift).
/// Two shapes stay scalar and are avoided: Array.map, and buffer subscripts at `base + c`
/// (row loops index from a row pointer instead). Bodies stay small, so that cross-module
/// optimisation still specialises them where they are used.
extension Matrix {
    private func checkSameShape(_ other: Matrix, _ op: String) {
        precondition(
            rows == other.rows && cols == other.cols,
            "Matrix \(op): shapes differ, \(shapeDescription) and \(other.shapeDescription)")
    }

    /// A new matrix with `f` applied to each pair of elements.
    public func zipMap(_ other: Matrix, _ op: String = "zipMap", _ f: (T, T) -> T) -> Matrix {
        checkSameShape(other, op)
        var out = [T](repeating: 0, count: count)
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    for i in 0..<o.count { o[i] = f(a[i], b[i]) }
                }
            }
        }
        return Matrix(rows: rows, cols: cols, storage: out)
    }

    public func map(_ f: (T) -> T) -> Matrix {
        var out = [T](repeating: 0, count: count)
        storage.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<o.count { o[i] = f(a[i]) }
            }
        }
        return Matrix(rows: rows, cols: cols, storage: out)
    }

    /// `map` on both cores, for an `f` that costs more than a memory pass (exp, tanh, erf):
    /// a transformer's MLP applies one to millions of values per batch.
    public func parallelMap(_ f: (T) -> T) -> Matrix {
        var out = Matrix(unsetRows: rows, cols: cols)
        storage.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { o in
                let (source, target) = (a.baseAddress!, o.baseAddress!)
                parallelChunks(count / 4096 + 1) { _, blocks in
                    let range = (blocks.lowerBound * 4096)..<min(blocks.upperBound * 4096, count)
                    for i in range { target[i] = f(source[i]) }
                }
            }
        }
        return out
    }

    /// `zipMap` on both cores, for an `f` that costs more than a memory pass: the backward pass
    /// of tanh, GELU or SiLU over a transformer's MLP.
    public func parallelZipMap(_ other: Matrix, _ op: String = "parallelZipMap", _ f: (T, T) -> T) -> Matrix {
        checkSameShape(other, op)
        var out = Matrix(unsetRows: rows, cols: cols)
        storage.withUnsafeBufferPointer { a in
            other.storage.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { o in
                    let (first, second, target) = (a.baseAddress!, b.baseAddress!, o.baseAddress!)
                    parallelChunks(count / 4096 + 1) { _, blocks in
                        let range = (blocks.lowerBound * 4096)..<min(blocks.upperBound * 4096, count)
                        for i in range { target[i] = f(first[i], second[i]) }
                    }
                }
            }
        }
        return out
    }

    public static func + (a: Matrix, b: Matrix) -> Matrix { a.zipMap(b, "+", +) }
    public static func - (a: Matrix, b: Matrix) -> Matrix { a.zipMap(b, "-", -) }
    /// The Hadamard (elementwise) product; the matrix product is `matmul`.
    public func hadamard(_ other: Matrix) -> Matrix { zipMap(other, "hadamard", *) }

    public static func * (s: T, m: Matrix) -> Matrix { m.map { s * $0 } }

    /// self ← self + α·other, through BLAS axpy.
    public mutating func add(_ other: Matrix, scaledBy alpha: T = 1) {
        checkSameShape(other, "add")
        let n = count
        other.storage.withUnsafeBufferPointer { x in
            storage.withUnsafeMutableBufferPointer { y in T.axpy(n: n, alpha: alpha, x: x.baseAddress!, y: y.baseAddress!) }
        }
    }

    public mutating func scale(by alpha: T) {
        let n = count
        guard n > 0 else { return }
        storage.withUnsafeMutableBufferPointer { T.scal(n: n, alpha: alpha, x: $0.baseAddress!) }
    }

    /// Adds `vector` to every row (a bias).
    public mutating func addToEachRow(_ vector: [T]) {
        combineEachRow(with: vector, "Matrix.addToEachRow", +=)
    }

    /// Multiplies column c of every row by `vector[c]`.
    public mutating func scaleColumns(_ vector: [T]) {
        combineEachRow(with: vector, "Matrix.scaleColumns", *=)
    }

    /// Applies `combine(&self[r, c], vector[c])` to every entry: a vector broadcast over the rows.
    @inline(__always)
    private mutating func combineEachRow(with vector: [T], _ caller: StaticString, _ combine: (inout T, T) -> Void) {
        precondition(vector.count == cols, "\(caller): \(vector.count) values for \(cols) columns")
        let cols = self.cols
        guard rows > 0, cols > 0 else { return }
        vector.withUnsafeBufferPointer { v in
            storage.withUnsafeMutableBufferPointer { s in
                let pv = v.baseAddress!
                for r in 0..<rows {
                    let row = s.baseAddress! + r * cols
                    for c in 0..<cols { combine(&row[c], pv[c]) }
                }
            }
        }
    }

    // MARK: Reductions

    public func sum() -> T { storage.reduce(0, +) }
    public func maxAbs() -> T { storage.reduce(0) { Swift.max($0, Swift.abs($1)) } }
    public func frobeniusNorm() -> T {
        guard count > 0 else { return 0 }
        return storage.withUnsafeBufferPointer { T.nrm2(n: count, x: $0.baseAddress!) }
    }
    public var hasNonFinite: Bool { storage.contains { !$0.isFinite } }

    /// Σ over rows, one value per column.
    public func columnSums() -> [T] {
        var out = [T](repeating: 0, count: cols)
        let cols = self.cols
        guard rows > 0, cols > 0 else { return out }
        storage.withUnsafeBufferPointer { s in
            out.withUnsafeMutableBufferPointer { o in
                let po = o.baseAddress!
                for r in 0..<rows {
                    let row = s.baseAddress! + r * cols
                    for c in 0..<cols { po[c] += row[c] }
                }
            }
        }
        return out
    }

    public func columnMeans() -> [T] {
        guard rows > 0 else { return [T](repeating: 0, count: cols) }
        let n = T(rows)
        return columnSums().map { $0 / n }
    }

    /// Σ over columns, one value per row.
    public func rowSums() -> [T] { (0..<rows).map { row($0).reduce(0, +) } }

    /// ‖row r‖₂ for every row.
    public func rowNorms() -> [T] {
        storage.withUnsafeBufferPointer { s in
            (0..<rows).map { r in cols == 0 ? 0 : T.nrm2(n: cols, x: s.baseAddress! + r * cols) }
        }
    }

    /// The column index of each row's largest element (first one on ties).
    public func rowArgmax() -> [Int] {
        (0..<rows).map { r in
            let base = r * cols
            var best = 0
            for c in 1..<max(cols, 1) where storage[base + c] > storage[base + best] { best = c }
            return best
        }
    }
}
