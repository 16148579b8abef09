/// How far a similarity score stands above chance: the same score computed N times with the
/// samples of one side shuffled (so that the two sides no longer see the same samples), and the
/// observed score compared with those N.
///
/// The p-value is (1 + #{null ≥ observed}) / (N + 1), Phipson & Smyth's (2010) exact form:
/// the observed pairing counts as one of the N + 1 orders, so p is never 0, is at least
/// 1/(N + 1) even for identical data, and is uniform over {1, …, N + 1}/(N + 1) when the two
/// sides are independent.
public struct PermutationNull: Codable, Equatable, Sendable {
    /// Shuffles drawn.
    public var permutations: Int
    /// The mean of the shuffled scores: what the score is by chance alone.
    public var mean: Double
    /// Their standard deviation.
    public var spread: Double
    public var pValue: Double

    /// The null of `observed` from the scores of the shuffles.
    public init(observed: Double, null: [Double]) {
        precondition(!null.isEmpty, "PermutationNull: no shuffled scores")
        var moments = RunningMoments()
        for v in null { moments.add(v) }
        permutations = null.count
        mean = moments.mean
        spread = moments.standardDeviation
        // A shuffle that ties the observed score counts against it, as the formula asks.
        let atLeast = null.count(where: { $0 >= observed })
        pValue = Double(1 + atLeast) / Double(null.count + 1)
    }

    /// How many null standard deviations the observed score is above the null mean (nil when
    /// the shuffled scores do not vary).
    public func standardScore(of observed: Double) -> Double? { spread > 0 ? (observed - mean) / spread : nil }

    /// The nulls of several scores computed together: `score(order)` returns every score with
    /// the samples of one side in `order` (a permutation of 0..<samples), and is called once per
    /// shuffle, the shuffles drawn from `seed`. `progress` hears of each shuffle ("shuffle 3/99")
    /// and stops the test (CancellationError) by returning false.
    public static func test(
        observed: [Double], samples: Int, permutations: Int, seed: UInt64,
        progress: ((_ fraction: Double, _ status: String) -> Bool)? = nil,
        score: (_ order: [Int]) throws -> [Double]
    ) throws -> [PermutationNull] {
        precondition(permutations >= 1, "PermutationNull.test: at least one permutation")
        var rng = SeededRandom(seed: seed)
        var shuffled = [[Double]](repeating: [], count: observed.count)
        for done in 1...permutations {
            let scores = try score(rng.permutation(samples))
            precondition(scores.count == observed.count, "PermutationNull.test: \(scores.count) scores for \(observed.count)")
            for (k, s) in scores.enumerated() { shuffled[k].append(s) }
            if let progress, !progress(Double(done) / Double(permutations), "shuffle \(done)/\(permutations)") {
                throw CancellationError()
            }
        }
        return zip(observed, shuffled).map { PermutationNull(observed: $0, null: $1) }
    }
}

extension PermutationNull {
    /// The most shuffles asked for at once: far more than any p-value needs, and a bound on the
    /// work a typing slip can start.
    public static let maximumPermutations = 100_000

    /// Refuses a count outside 0…maximumPermutations, naming it.
    public static func validate(permutations: Int) throws {
        guard (0...maximumPermutations).contains(permutations) else {
            throw LinAlgError.invalidInput(
                "the number of permutations must be between 0 and \(maximumPermutations), got \(permutations)")
        }
    }
}
