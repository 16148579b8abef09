import Foundation
import LinAlg

/// Matching pursuit over unit-norm atoms d_j (the rows of W_dec), as docs/methods.md defines it:
/// r₀ = x − b_dec; each step takes c = ReLU(D r), j = argmax c, z_j += c_j, r ← r − c_j d_j.
///
/// The correlations c = D r change by one atom per step, c ← c − c_j·G_j with G = D Dᵀ, so after
/// one matrix product for c₀ every step costs d_sae operations per sample instead of d_in·d_sae.
/// `encode` does that when given the Gram matrix and recomputes D r every step when not (the
/// reference the update is tested and benchmarked against).
public enum MatchingPursuit {
    /// What encoding a batch gives.
    public struct Result<T: BLASScalar>: Sendable {
        /// Each sample's steps in order: the atom picked and its coefficient c_j. An atom may be
        /// picked more than once, so a latent can appear twice in a row of the path.
        public let path: SparseCodes<T>
        /// The codes z: the coefficients summed per atom, by increasing atom index.
        public let codes: SparseCodes<T>
        /// ‖r‖² when each sample stopped.
        public let residualNormSquared: [T]
    }

    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public static func encode<T: BLASScalar>(
        _ x: Matrix<T>, atoms: Matrix<T>, bias: [T], gram: Matrix<T>?,
        stopping: MatchingPursuitStopping
    ) -> Result<T> {
        precondition(
            x.cols == atoms.cols && bias.count == atoms.cols,
            "MatchingPursuit: samples of \(x.cols), atoms \(atoms.shapeDescription), bias of \(bias.count)")
        var residual = x
        residual.addToEachRow(bias.map { -$0 })
        let n = x.rows
        var steps = SlotTable<T>(samples: n, slots: max(stopping.maxSteps, 0))
        var normSquared = residual.rowNorms().map { $0 * $0 }
        if let gram {
            precondition(
                gram.rows == atoms.rows && gram.cols == atoms.rows,
                "MatchingPursuit: Gram matrix \(gram.shapeDescription) for \(atoms.rows) atoms")
            var correlations = matmul(residual, atoms, transposeB: true)
            updatingCorrelations(&correlations, gram: gram, stopping: stopping, steps: &steps, normSquared: &normSquared)
        } else {
            recomputingCorrelations(&residual, atoms: atoms, stopping: stopping, steps: &steps, normSquared: &normSquared)
        }
        let path = steps.codes(width: atoms.rows)
        return Result(path: path, codes: mergedByAtom(path), residualNormSquared: normSquared.map { max($0, 0) })
    }

    // MARK: The two ways of keeping c = D r

    /// c ← c − c_j G_j after each step, fused with the search for the next argmax.
    private static func updatingCorrelations<T: BLASScalar>(
        _ correlations: inout Matrix<T>, gram: Matrix<T>,
        stopping: MatchingPursuitStopping,
        steps: inout SlotTable<T>, normSquared: inout [T]
    ) {
        let m = correlations.cols
        let n = correlations.rows
        let threshold = stopping.residualThreshold.map { T($0 * $0) }
        correlations.withUnsafeMutableBufferPointer { cp in
            gram.withUnsafeBufferPointer { gp in
                normSquared.withUnsafeMutableBufferPointer { np in
                    steps.withPointers { table in
                        let (cBase, gBase, nBase) = (cp.baseAddress!, gp.baseAddress!, np.baseAddress!)
                        parallelChunks(n) { _, range in
                            var blockMaxima = [T](repeating: 0, count: (m + blockSize - 1) / blockSize)
                            for b in range {
                                let c = cBase + b * m
                                var j = argmax(c, m)
                                var t = 0
                                while t < stopping.maxSteps {
                                    let cj = c[j]
                                    guard cj > 0 else { break }
                                    let repeated = stopping.stopWhenSupportUnchanged && table.contains(j, sample: b, filled: t)
                                    table.record(sample: b, slot: t, latent: j, value: cj)
                                    t += 1
                                    // ‖r − c d_j‖² = ‖r‖² − 2c² + c²‖d_j‖², since d_j·r = c.
                                    nBase[b] -= cj * cj * (2 - gBase[j * m + j])
                                    if repeated || t == stopping.maxSteps { break }
                                    if let threshold, nBase[b] < threshold { break }
                                    j = blockMaxima.withUnsafeMutableBufferPointer {
                                        subtractScaledArgmax(c, cj, gBase + j * m, m, blockMaxima: $0.baseAddress!)
                                    }
                                }
                                table.setCount(sample: b, t)
                            }
                        }
                    }
                }
            }
        }
    }

    /// c = D r recomputed from the residual every step (one matrix product per step for the batch).
    private static func recomputingCorrelations<T: BLASScalar>(
        _ residual: inout Matrix<T>, atoms: Matrix<T>,
        stopping: MatchingPursuitStopping,
        steps: inout SlotTable<T>, normSquared: inout [T]
    ) {
        let (n, d, m) = (residual.rows, residual.cols, atoms.rows)
        let threshold = stopping.residualThreshold.map { T($0 * $0) }
        var active = [Bool](repeating: true, count: n)
        var taken = [Int](repeating: 0, count: n)
        var correlations = Matrix<T>(rows: n, cols: m)
        for _ in 0..<max(stopping.maxSteps, 0) {
            guard active.contains(true) else { break }
            gemm(into: &correlations, residual, atoms, transposeB: true)
            correlations.withUnsafeBufferPointer { cp in
                atoms.withUnsafeBufferPointer { ap in
                    residual.withUnsafeMutableBufferPointer { rp in
                        steps.withPointers { table in
                            for b in 0..<n where active[b] {
                                let c = cp.baseAddress! + b * m
                                let j = argmax(c, m)
                                let cj = c[j]
                                guard cj > 0 else { active[b] = false; continue }
                                let t = taken[b]
                                let repeated = stopping.stopWhenSupportUnchanged && table.contains(j, sample: b, filled: t)
                                table.record(sample: b, slot: t, latent: j, value: cj)
                                taken[b] = t + 1
                                let r = rp.baseAddress! + b * d
                                addScaled(d, -cj, ap.baseAddress! + j * d, r)
                                normSquared[b] = dotProduct(d, r, r)
                                if repeated || threshold.map({ normSquared[b] < $0 }) == true { active[b] = false }
                            }
                        }
                    }
                }
            }
        }
        for b in 0..<n { steps.setCount(sample: b, taken[b]) }
    }

    // MARK: Helpers

    /// The first position of the largest of n values.
    @inline(__always)
    static func argmax<T: BLASScalar>(_ p: UnsafePointer<T>, _ n: Int) -> Int {
        firstIndex(of: maximum(p, n), p, n)
    }

    /// The largest of n ≥ 1 values. Four running maxima, written as selects, let the optimiser
    /// turn the loop into vector instructions (a single running maximum stays scalar).
    @inline(__always)
    static func maximum<T: BLASScalar>(_ p: UnsafePointer<T>, _ n: Int) -> T {
        var (b0, b1, b2, b3) = (p[0], p[0], p[0], p[0])
        var i = 0
        while i + 4 <= n {
            let (v0, v1, v2, v3) = (p[i], p[i + 1], p[i + 2], p[i + 3])
            b0 = v0 > b0 ? v0 : b0; b1 = v1 > b1 ? v1 : b1; b2 = v2 > b2 ? v2 : b2; b3 = v3 > b3 ? v3 : b3
            i += 4
        }
        while i < n { b0 = p[i] > b0 ? p[i] : b0; i += 1 }
        return max(max(b0, b1), max(b2, b3))
    }

    /// c ← c − a·g over n ≥ 1 values, returning the largest new value (the same four-way form).
    @inline(__always)
    static func subtractScaledReturningMax<T: BLASScalar>(_ c: UnsafeMutablePointer<T>, _ a: T, _ g: UnsafePointer<T>, _ n: Int) -> T {
        var (b0, b1, b2, b3) = (-T.infinity, -T.infinity, -T.infinity, -T.infinity)
        var i = 0
        while i + 4 <= n {
            let v0 = c[i] - a * g[i], v1 = c[i + 1] - a * g[i + 1], v2 = c[i + 2] - a * g[i + 2], v3 = c[i + 3] - a * g[i + 3]
            c[i] = v0; c[i + 1] = v1; c[i + 2] = v2; c[i + 3] = v3
            b0 = v0 > b0 ? v0 : b0; b1 = v1 > b1 ? v1 : b1; b2 = v2 > b2 ? v2 : b2; b3 = v3 > b3 ? v3 : b3
            i += 4
        }
        while i < n { let v = c[i] - a * g[i]; c[i] = v; b0 = v > b0 ? v : b0; i += 1 }
        return max(max(b0, b1), max(b2, b3))
    }

    /// The block length of `subtractScaledArgmax`.
    static let blockSize = 64

    /// c ← c − a·g over n values, and the first position of the largest new value. The update
    /// runs block by block, each block keeping its maximum in `blockMaxima` (vectorised); the
    /// position is then searched for in the first block holding the overall maximum only,
    /// rather than over all n values one by one.
    @inline(__always)
    static func subtractScaledArgmax<T: BLASScalar>(
        _ c: UnsafeMutablePointer<T>, _ a: T, _ g: UnsafePointer<T>, _ n: Int,
        blockMaxima: UnsafeMutablePointer<T>
    ) -> Int {
        let blocks = (n + blockSize - 1) / blockSize
        var largest = -T.infinity
        for k in 0..<blocks {
            let start = k * blockSize
            let blockLargest = subtractScaledReturningMax(c + start, a, g + start, min(blockSize, n - start))
            blockMaxima[k] = blockLargest
            largest = blockLargest > largest ? blockLargest : largest
        }
        var k = 0
        while k < blocks - 1 && blockMaxima[k] != largest { k += 1 }
        let start = k * blockSize
        return start + firstIndex(of: largest, c + start, min(blockSize, n - start))
    }

    /// The first position holding `value` (which is among the n values).
    @inline(__always)
    static func firstIndex<T: BLASScalar>(of value: T, _ p: UnsafePointer<T>, _ n: Int) -> Int {
        var i = 0
        while i < n - 1 && p[i] != value { i += 1 }
        return i
    }

    /// The path's coefficients summed per atom, atoms in increasing order.
    static func mergedByAtom<T: BLASScalar>(_ path: SparseCodes<T>) -> SparseCodes<T> {
        var codes = SparseCodes<T>(width: path.width)
        for b in 0..<path.count {
            var sums: [Int: T] = [:]
            for e in path.range(b) { sums[path.indices[e], default: 0] += path.values[e] }
            let atoms = sums.keys.sorted()
            codes.append(indices: atoms, values: atoms.map { sums[$0]! })
        }
        return codes
    }
}
