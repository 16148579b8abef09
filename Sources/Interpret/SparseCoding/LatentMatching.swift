import LinAlg

/// How two SAEs' latents are matched.
public struct LatentMatchingOptions: Codable, Equatable, Sendable {
    /// A latent has a partner when its matched score (decoder cosine, or activation
    /// correlation) is at least this.
    public var threshold: Double
    /// Shuffles of the permutation null of the mean matched activation correlation (0: none).
    public var permutations: Int
    public var seed: UInt64

    public init(threshold: Double = 0.7, permutations: Int = 0, seed: UInt64 = 0) {
        self.threshold = threshold
        self.permutations = permutations
        self.seed = seed
    }

    public func validate() throws {
        guard threshold.isFinite, (-1...1).contains(threshold) else {
            throw InterpretError("the matching threshold is a cosine or a correlation, in [-1, 1]; got \(threshold)")
        }
        try PermutationNull.validate(permutations: permutations)
    }
}

/// A latent of A and its partner in B.
public struct LatentPair: Codable, Equatable, Sendable {
    public var latentA: Int
    public var latentB: Int
    /// The decoder cosine or the activation correlation of the pair.
    public var score: Double
}

/// One criterion's one-to-one matching of A's latents with B's (a maximum-weight linear
/// assignment; with unequal sizes every latent of the smaller SAE is matched).
public struct LatentPairing: Codable, Equatable, Sendable {
    public enum Criterion: String, Codable, Sendable {
        /// Cosine between decoder directions: the same direction written into the model.
        case decoder
        /// Pearson correlation of the latents' activations over the same samples: the same
        /// samples read out.
        case activation
    }

    public var criterion: Criterion
    public var pairs: [LatentPair]
    /// The matched scores from highest to lowest: the matched-score curve.
    public var sortedScores: [Double]
    public var meanScore: Double
    /// The shares of A's and of B's latents whose partner scores at least the threshold.
    public var shareA: Double
    public var shareB: Double
    /// Latents with no partner at the threshold (dead latents, for activations, among them).
    public var unmatchedA: [Int]
    public var unmatchedB: [Int]
    /// The mean matched score with B's samples shuffled (activations, when asked for).
    public var null: PermutationNull?

    init(_ criterion: Criterion, pairs: [LatentPair], latents: (a: Int, b: Int), threshold: Double, null: PermutationNull? = nil) {
        self.criterion = criterion
        self.pairs = pairs.sorted { $0.latentA < $1.latentA }
        sortedScores = pairs.map(\.score).sorted(by: >)
        meanScore = pairs.isEmpty ? 0 : sortedScores.reduce(0, +) / Double(pairs.count)
        let kept = pairs.filter { $0.score >= threshold }
        shareA = Double(kept.count) / Double(latents.a)
        shareB = Double(kept.count) / Double(latents.b)
        let (a, b) = (Set(kept.map(\.latentA)), Set(kept.map(\.latentB)))
        unmatchedA = (0..<latents.a).filter { !a.contains($0) }
        unmatchedB = (0..<latents.b).filter { !b.contains($0) }
        self.null = null
    }

    /// Each of A's `latents` latents' pair, indexed by latent (nil: it has none).
    public func pairByLatentA(_ latents: Int) -> [LatentPair?] {
        var out = [LatentPair?](repeating: nil, count: latents)
        for p in pairs { out[p.latentA] = p }
        return out
    }

    /// A's latent → its partner, for the pairs at the threshold or above.
    func partners(threshold: Double) -> [Int: Int] {
        Dictionary(uniqueKeysWithValues: pairs.filter { $0.score >= threshold }.map { ($0.latentA, $0.latentB) })
    }
}

/// A latent of A that several latents of B take as their closest decoder direction: the
/// feature splitting a larger SAE shows.
public struct LatentSplit: Codable, Equatable, Sendable {
    public var latentA: Int
    /// B's latents whose closest latent of A (by decoder cosine, at the threshold) is this one.
    public var latentsB: [Int]
    public var cosines: [Double]
}

/// Two SAEs' latents matched one-to-one (two seeds, two sizes, two layers or two models):
/// universality is the share of latents with a partner, feature splitting the latents of the
/// smaller SAE that several of the larger one's point to.
public struct LatentMatching: Codable, Equatable, Sendable {
    public var saeA: String
    public var saeB: String
    public var latentsA: Int
    public var latentsB: Int
    public var threshold: Double
    public var decoder: LatentPairing
    /// On shared samples, when they were given.
    public var activation: LatentPairing?
    /// What the activations were read from, and how many samples.
    public var data: String?
    public var samples: Int?
    /// The share of A's latents whose partners at the threshold agree under both criteria,
    /// among those with a partner under both.
    public var agreement: Double?
    /// Latents of A with two or more latents of B closest to them, most first.
    public var splits: [LatentSplit]

    /// Matches `a`'s latents with `b`'s by decoder cosine (both must write into spaces of the
    /// same width), and by activation correlation when `codes` gives both SAEs' dense codes on
    /// the same samples (rows).
    public static func compare<T: BLASScalar>(
        _ a: SparseAutoencoder<T>, _ b: SparseAutoencoder<T>, names: (String, String),
        codes: (a: Matrix<Double>, b: Matrix<Double>, data: String)? = nil,
        options: LatentMatchingOptions = .init(), progress: ProgressHandler? = nil
    ) throws -> LatentMatching {
        try options.validate()
        let latents = (a: a.latentCount, b: b.latentCount)
        let cosines = try decoderCosines(a, b, names: names)
        if let progress, !progress(0, "matching decoder directions") { throw CancellationError() }
        let assignment = try LinearAssignment(cost: cosines, maximize: true)
        let decoderPairs = assignment.columnForRow.enumerated().compactMap { i, j in
            j.map { LatentPair(latentA: i, latentB: $0, score: cosines[i, $0]) }
        }
        let decoder = LatentPairing(.decoder, pairs: decoderPairs, latents: latents, threshold: options.threshold)
        var result = LatentMatching(
            saeA: names.0, saeB: names.1, latentsA: latents.a, latentsB: latents.b, threshold: options.threshold, decoder: decoder,
            splits: splits(cosines, threshold: options.threshold))
        guard let codes else { return result }
        guard codes.a.cols == latents.a, codes.b.cols == latents.b else {
            throw InterpretError(
                "latent matching: codes of \(codes.a.cols) and \(codes.b.cols) latents for SAEs of \(latents.a) and \(latents.b)")
        }
        // Convergent learning's machinery: correlations, the assignment, and its null.
        let units = try ConvergentLearning.compare(
            units: codes.a, codes.b, layerA: names.0, layerB: names.1,
            options: ConvergentOptions(methods: [], permutations: options.permutations, seed: options.seed), progress: progress)
        let activation = LatentPairing(
            .activation, pairs: units.bipartite.pairs.map { LatentPair(latentA: $0.unitA, latentB: $0.unitB, score: $0.correlation) },
            latents: latents, threshold: options.threshold, null: units.bipartite.null)
        let (byDecoder, byActivation) = (decoder.partners(threshold: options.threshold), activation.partners(threshold: options.threshold))
        let both = byDecoder.keys.filter { byActivation[$0] != nil }
        result.activation = activation
        result.data = codes.data
        result.samples = codes.a.rows
        result.agreement = both.isEmpty ? nil : Double(both.count(where: { byDecoder[$0] == byActivation[$0] })) / Double(both.count)
        return result
    }

    /// cos(d_i^A, d_j^B) for every pair of decoder rows (a zero row has cosine 0 to all).
    static func decoderCosines<T: BLASScalar>(
        _ a: SparseAutoencoder<T>, _ b: SparseAutoencoder<T>, names: (String, String)
    ) throws -> Matrix<Double> {
        guard a.inputSize == b.inputSize else {
            throw InterpretError(
                "latent matching: \(names.0) decodes into \(a.inputSize) dimensions and \(names.1) into \(b.inputSize); decoder directions compare only in one space"
            )
        }
        let cosines = rowCosines(a.decoder, b.decoder)
        guard !cosines.hasNonFinite else { throw InterpretError("latent matching: a decoder holds NaN or infinity") }
        return cosines
    }

    /// For each latent of B its closest latent of A; the latents of A chosen by two or more at
    /// the threshold.
    static func splits(_ cosines: Matrix<Double>, threshold: Double) -> [LatentSplit] {
        var children: [Int: [(Int, Double)]] = [:]
        for j in 0..<cosines.cols {
            let column = cosines.column(j)
            guard let i = column.indices.max(by: { column[$0] < column[$1] }), column[i] >= threshold else { continue }
            children[i, default: []].append((j, column[i]))
        }
        return children.filter { $0.value.count >= 2 }
            .map { LatentSplit(latentA: $0.key, latentsB: $0.value.map(\.0), cosines: $0.value.map(\.1)) }
            .sorted { ($0.latentsB.count, $1.latentA) > ($1.latentsB.count, $0.latentA) }
    }
}
