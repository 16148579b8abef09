import Foundation
import LinAlg

/// A memory-mapped `.npy` file, read a few rows at a time (for files larger than memory).
///
/// Rows are along the first dimension; the remaining dimensions are flattened in C order into
/// `rowLength` columns. A 1-d file [n] has n rows of length 1, a 0-d file one row of length 1.
/// Every dtype, either byte order, and both C and Fortran order are supported; Fortran order
/// reads with a stride of `rowCount` elements, so it is much slower for large files than C order.
public struct NPYFile: Sendable {
    public let url: URL
    public let shape: [Int]
    public let dtype: DType
    /// True if the file stores the array in Fortran (column-major) order.
    public let isFortranOrder: Bool
    private let data: Data
    private let header: NPYHeader

    public init(_ url: URL) throws {
        let src = try MappedFile.map(url, copyOnWrite: false)  // never exposed; no commit charge
        let h = try NPYHeader.parse(src.data, source: url.path)
        let available = src.data.count - h.dataOffset
        guard available == h.byteCount else {
            throw TensorIOError(
                file: url.path,
                message: available < h.byteCount
                    ? "truncated data: \(h.descr) \(shapeString(h.shape)) needs \(h.byteCount) bytes after the header, found \(available)"
                    : "\(available - h.byteCount) unexpected bytes after the data of \(h.descr) \(shapeString(h.shape)) (corrupt file?)")
        }
        self.url = url
        self.data = src.data
        self.header = h
        self.shape = h.shape
        self.dtype = h.dtype
        self.isFortranOrder = h.fortranOrder && h.shape.count > 1
    }

    /// The first dimension (1 for a 0-d array).
    public var rowCount: Int { shape.first ?? 1 }
    /// The product of the other dimensions (1 for a 0-d or 1-d array).
    public var rowLength: Int { shape.count <= 1 ? 1 : shape.dropFirst().reduce(1, *) }

    /// Rows `range` as Float.
    public func rows(_ range: Range<Int>) -> Matrix<Float> {
        precondition(
            range.lowerBound >= 0 && range.upperBound <= rowCount,
            "NPYFile.rows: rows \(range) out of range for \(rowCount) rows in \(url.path)")
        if !isFortranOrder {
            // Contiguous: one conversion over the whole block.
            let n = range.count * rowLength
            let size = dtype.byteSize
            let storage = [Float](unsafeUninitializedCapacity: n) { out, count in
                data.withUnsafeBytes { raw in
                    let start = header.dataOffset + range.lowerBound * rowLength * size
                    let block = UnsafeRawBufferPointer(rebasing: raw[start..<start + n * size])
                    if header.bigEndian {
                        let swapped = UnsafeMutableRawBufferPointer.allocate(byteCount: block.count, alignment: 8)
                        defer { swapped.deallocate() }
                        swapped.copyMemory(from: block)
                        byteSwap(swapped, elementSize: size)
                        convertToFloatingPoint(UnsafeRawBufferPointer(swapped), dtype: dtype, count: n, into: out.baseAddress!)
                    } else {
                        convertToFloatingPoint(block, dtype: dtype, count: n, into: out.baseAddress!)
                    }
                }
                count = n
            }
            return Matrix(rows: range.count, cols: rowLength, storage: storage)
        }
        return rows(Array(range))
    }

    /// The rows at `indices`, in that order, as Float (a minibatch).
    public func rows(_ indices: [Int]) -> Matrix<Float> {
        for r in indices {
            precondition(r >= 0 && r < rowCount, "NPYFile.rows: row \(r) out of range for \(rowCount) rows in \(url.path)")
        }
        let cols = rowLength
        let size = dtype.byteSize
        // Element (r, j) lives at r + colOffset[j] (Fortran order) or r·cols + j (C order).
        let colOffset: [Int]? = isFortranOrder ? fortranColumnOffsets() : nil
        var storage = [Float](repeating: 0, count: indices.count * cols)
        let rowBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: cols * size, alignment: 8)
        defer { rowBuffer.deallocate() }
        data.withUnsafeBytes { raw in
            let base = raw.baseAddress! + header.dataOffset
            storage.withUnsafeMutableBufferPointer { out in
                for (k, r) in indices.enumerated() {
                    if let colOffset {
                        for j in 0..<cols {
                            (rowBuffer.baseAddress! + j * size).copyMemory(from: base + (r + colOffset[j]) * size, byteCount: size)
                        }
                    } else {
                        rowBuffer.copyMemory(from: UnsafeRawBufferPointer(start: base + r * cols * size, count: cols * size))
                    }
                    if header.bigEndian { byteSwap(rowBuffer, elementSize: size) }
                    convertToFloatingPoint(UnsafeRawBufferPointer(rowBuffer), dtype: dtype, count: cols, into: out.baseAddress! + k * cols)
                }
            }
        }
        return Matrix(rows: indices.count, cols: cols, storage: storage)
    }

    /// For each C-order column j of the flattened rest, the Fortran element offset of (0, j).
    private func fortranColumnOffsets() -> [Int] {
        let rest = Array(shape.dropFirst())
        var offsets = [Int](repeating: 0, count: rowLength)
        FortranOrder.walk(rest, strides: FortranOrder.strides(rest, first: shape[0]), count: rowLength) { j, offset in
            offsets[j] = offset
        }
        return offsets
    }
}
