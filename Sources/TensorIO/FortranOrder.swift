/// Fortran order (first index fastest), as NumPy writes an array with `fortran_order: True`.
enum FortranOrder {
    /// The Fortran-order element strides of `shape`, starting from `first` (the stride of the
    /// first index).
    static func strides(_ shape: [Int], first: Int = 1) -> [Int] {
        var strides = [Int](repeating: first, count: shape.count)
        for k in shape.indices.dropFirst() { strides[k] = strides[k - 1] * shape[k - 1] }
        return strides
    }

    /// Calls `body(i, offset)` for the first `count` elements in C order (last index fastest),
    /// with `offset` each one's position under `strides`: an odometer over the C-order indices
    /// that keeps the strided offset in step, so no index is ever divided out.
    static func walk(_ shape: [Int], strides: [Int], count: Int, _ body: (Int, Int) -> Void) {
        var index = [Int](repeating: 0, count: shape.count)
        var offset = 0
        for i in 0..<count {
            body(i, offset)
            var k = shape.count - 1
            while k >= 0 {
                index[k] += 1
                offset += strides[k]
                if index[k] < shape[k] { break }
                offset -= strides[k] * shape[k]
                index[k] = 0
                k -= 1
            }
        }
    }
}
