import Foundation

/// The one random generator of Loupe: xoshiro256** (Blackman & Vigna), seeded through
/// SplitMix64 so that any 64-bit seed gives a well-mixed state. The same seed gives the same
/// stream on every machine, which is what makes `--seed` reproducible.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)
    /// A second normal deviate left over from the last Box–Muller pair.
    private var spareNormal: Double?

    public init(seed: UInt64) {
        var x = seed
        func splitMix() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s.1 &* 5, 7) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = rotl(s.3, 45)
        return result
    }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A generator for a sub-task whose stream does not depend on how much this one was used
    /// later: derived from this generator's next output and a label.
    public mutating func fork(_ label: UInt64 = 0) -> SeededRandom {
        SeededRandom(seed: next() ^ (label &* 0x9E37_79B9_7F4A_7C15))
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func uniform() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// Uniform in [low, high).
    public mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

    /// Standard normal, by the Box–Muller transform (both deviates of a pair are used).
    public mutating func normal() -> Double {
        if let z = spareNormal { spareNormal = nil; return z }
        var u1 = uniform()
        while u1 == 0 { u1 = uniform() }
        let u2 = uniform()
        let r = (-2 * log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spareNormal = r * sin(theta)
        return r * cos(theta)
    }

    public mutating func normal(mean: Double, std: Double) -> Double { mean + std * normal() }

    /// Uniform integer in 0..<n (unbiased).
    public mutating func int(below n: Int) -> Int {
        precondition(n > 0, "SeededRandom.int(below:) needs n > 0")
        return Int(next(upperBound: UInt64(n)))
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        shuffle(&p)
        return p
    }

    public mutating func shuffle<C: MutableCollection & RandomAccessCollection>(_ c: inout C) where C.Index == Int {
        guard c.count > 1 else { return }
        for i in stride(from: c.count - 1, to: 0, by: -1) {
            c.swapAt(c.startIndex + i, c.startIndex + int(below: i + 1))
        }
    }

    /// `k` distinct indices from 0..<n, in random order (partial Fisher–Yates).
    public mutating func sample(_ k: Int, from n: Int) -> [Int] {
        precondition(k >= 0 && k <= n, "SeededRandom.sample: cannot draw \(k) of \(n) without replacement")
        var pool = Array(0..<n)
        for i in 0..<k { pool.swapAt(i, i + int(below: n - i)) }
        return Array(pool.prefix(k))
    }

    /// A rows × cols matrix of N(0, std²) entries.
    public mutating func normalMatrix<T: BLASScalar>(
        rows: Int, cols: Int, std: Double = 1,
        of: T.Type = T.self
    ) -> Matrix<T> {
        Matrix(rows: rows, cols: cols, storage: (0..<(rows * cols)).map { _ in T(std * normal()) })
    }

    /// A rows × cols matrix of U[low, high) entries.
    public mutating func uniformMatrix<T: BLASScalar>(
        rows: Int, cols: Int, low: Double, high: Double,
        of: T.Type = T.self
    ) -> Matrix<T> {
        Matrix(rows: rows, cols: cols, storage: (0..<(rows * cols)).map { _ in T(uniform(low, high)) })
    }
}
