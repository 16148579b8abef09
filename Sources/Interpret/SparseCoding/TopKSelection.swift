/// Selection of the largest values: per sample for top-k codes and the auxiliary-k loss, over a
/// whole batch for batch top-k.
enum TopKSelection {
    /// The positions of the `k` largest of `n` values (fewer when n < k), in no particular order,
    /// by a min-heap of size k: one comparison for most values, which is what a row of thousands
    /// of pre-activations needs. When `candidates` is given only those positions are considered.
    static func largest<T: Comparable>(
        _ p: UnsafePointer<T>, count n: Int, k: Int,
        candidates: UnsafeBufferPointer<Int>? = nil
    ) -> [Int] {
        let available = candidates?.count ?? n
        let size = min(k, available)
        guard size > 0 else { return [] }
        var heap = [Int]()  // positions; p[heap[0]] is the smallest kept value
        heap.reserveCapacity(size)
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < size && p[heap[l]] < p[heap[smallest]] { smallest = l }
                if r < size && p[heap[r]] < p[heap[smallest]] { smallest = r }
                if smallest == i { return }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        func position(_ t: Int) -> Int { candidates.map { $0[t] } ?? t }
        for t in 0..<size { heap.append(position(t)) }
        for i in stride(from: size / 2 - 1, through: 0, by: -1) { siftDown(i) }
        for t in size..<available {
            let j = position(t)
            if p[j] > p[heap[0]] {
                heap[0] = j
                siftDown(0)
            }
        }
        return heap
    }

    /// The `k`-th largest of `values` (1-based), by quickselect; reorders `values`.
    static func kthLargest<T: Comparable>(_ values: inout [T], _ k: Int) -> T {
        precondition(k >= 1 && k <= values.count, "kthLargest: k = \(k) of \(values.count)")
        var low = 0, high = values.count - 1
        let target = k - 1  // position in descending order
        while low < high {
            // Median of three as the pivot keeps sorted and constant runs from going quadratic.
            let mid = low + (high - low) / 2
            if values[mid] > values[low] { values.swapAt(mid, low) }
            if values[high] > values[low] { values.swapAt(high, low) }
            if values[mid] > values[high] { values.swapAt(mid, high) }
            let pivot = values[high]
            // Three-way partition, descending: [> pivot | == pivot | < pivot].
            var lt = low, i = low, gt = high
            while i <= gt {
                if values[i] > pivot {
                    values.swapAt(i, lt); lt += 1; i += 1
                } else if values[i] < pivot {
                    values.swapAt(i, gt); gt -= 1
                } else {
                    i += 1
                }
            }
            if target < lt { high = lt - 1 } else if target > gt { low = gt + 1 } else { return pivot }
        }
        return values[low]
    }
}
