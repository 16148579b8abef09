import LinAlg
import Networks

public struct RebasinOptions: Codable, Equatable, Sendable {
    public enum Method: String, Codable, CaseIterable, Sendable {
        /// Weight matching: needs no data.
        case weight
        /// Activation matching: needs data.
        case activation
    }
    public var method: Method
    /// Orders the coordinate descent of weight matching.
    public var seed: UInt64
    public var maximumSweeps: Int
    /// Points on each linear-mode-connectivity curve (needs labelled data); nil skips the curves.
    public var interpolationSteps: Int?
    /// The points on each curve when there is labelled data to draw them from.
    public static let defaultInterpolationSteps = 25
    /// Also interpolate with REPAIR (`Repair`): each channel's statistics reset to the
    /// interpolation of the endpoints'; the merged model is repaired too. Needs data.
    public var repair: Bool

    public init(
        method: Method = .weight, seed: UInt64 = 0, maximumSweeps: Int = 100, interpolationSteps: Int? = nil,
        repair: Bool = false
    ) {
        self.method = method
        self.seed = seed
        self.maximumSweeps = maximumSweeps
        self.interpolationSteps = interpolationSteps
        self.repair = repair
    }
}

/// The permutation found for one layer's units.
public struct PermutedGroup: Codable, Equatable, Sendable {
    public var layer: String
    public var size: Int
    /// Unit u of permuted B is unit permutation[u] of B.
    public var permutation: [Int]
    /// Units that keep their place.
    public var fixedUnits: Int
}

/// Every figure of a Re-Basin run.
public struct RebasinResult: Codable, Equatable, Sendable {
    public var modelA: String
    public var modelB: String
    public var method: RebasinOptions.Method
    public var data: String?
    public var groups: [PermutedGroup]
    /// Sweeps of weight matching's coordinate descent.
    public var sweeps: Int?
    /// ‖θ_A − θ_B‖ before and after permuting B.
    public var distanceNaive: Double
    public var distancePermuted: Double
    /// The largest difference between B's and permuted B's logits over the data, each
    /// |Δ| / max(1, |logit|) (as the PyTorch parity tests measure): permuting must not change
    /// the function, so this is Float32 rounding of sums taken in another order.
    public var maxLogitDifference: Double?
    public var evaluationA: Evaluation?
    public var evaluationB: Evaluation?
    /// The merged model, ½θ_A + ½π(θ_B).
    public var evaluationMerged: Evaluation?
    /// Loss and accuracy from A to B, and from A to permuted B.
    public var naive: InterpolationCurve?
    public var permuted: InterpolationCurve?
    /// From A to permuted B with REPAIR at every λ (`RebasinOptions.repair`).
    public var repaired: InterpolationCurve?
    /// Whether the merged model was repaired.
    public var mergedRepaired: Bool?
}

/// A Re-Basin run's result and the two networks it makes.
public struct RebasinOutcome: Sendable {
    public var result: RebasinResult
    /// B with its hidden units permuted to line up with A's; same function as B.
    public var permuted: Network<Float>
    /// The midpoint of A and permuted B.
    public var merged: Network<Float>
}

/// Git Re-Basin (Ainsworth, Hayase & Srinivasa 2023): permute B's hidden units to match A's,
/// then look along the line between the two.
public enum GitRebasin {
    public static func run(
        _ a: Network<Float>, _ b: Network<Float>, data: Dataset? = nil,
        options: RebasinOptions = .init(), progress: ProgressHandler? = nil
    ) throws -> RebasinOutcome {
        try checkSameArchitecture(a, b)
        if let data { try data.check(against: a) }
        let spec = try PermutationSpec(a)
        // Matching takes the first 30 % of the progress bar, the curves the rest.
        let matchingProgress: ProgressHandler = { f, s in progress?(0.3 * f, s) ?? true }
        var sweeps: Int?
        let permutations: [[Int]]
        switch options.method {
        case .weight:
            let found = try WeightMatching.run(
                spec, a: PermutationSpec.tensors(of: a), b: PermutationSpec.tensors(of: b),
                seed: options.seed, maximumSweeps: options.maximumSweeps, progress: matchingProgress)
            permutations = found.permutations
            sweeps = found.sweeps
        case .activation:
            guard let data else { throw InterpretError("activation matching needs data (--data)") }
            permutations = try ActivationMatching.run(spec, a: a, b: b, data: data.x, progress: matchingProgress)
        }
        var permuted = spec.apply(permutations, to: b)
        permuted.name = "\(b.name) permuted to \(a.name)"
        // REPAIR measures each channel in A and permuted B once, and corrects the network at λ.
        var repair: ((Network<Float>, Double) -> Network<Float>)?
        if options.repair {
            guard let data else { throw InterpretError("REPAIR needs data (--data) to measure each channel's mean and spread") }
            let x = data.x.rows(in: 0..<min(data.count, Self.repairSamples))
            let layers = Repair.layers(of: a)
            let (statsA, statsB) = (Repair.statistics(a, layers: layers, x: x), Repair.statistics(permuted, layers: layers, x: x))
            repair = { Repair.repaired($0, lambda: $1, a: statsA, b: statsB, x: x) }
        }
        var merged = ModeConnectivity.interpolate(a, permuted, lambda: 0.5)
        if let repair { merged = repair(merged, 0.5) }
        merged.name = "merge of \(a.name) and \(b.name)"

        var result = RebasinResult(
            modelA: a.name, modelB: b.name, method: options.method, data: data?.name,
            groups: zip(spec.groups, permutations).map { group, p in
                PermutedGroup(
                    layer: group.layer, size: group.size, permutation: p,
                    fixedUnits: p.enumerated().filter { $0.offset == $0.element }.count)
            },
            sweeps: sweeps, distanceNaive: distance(a, b), distancePermuted: distance(a, permuted),
            mergedRepaired: options.repair ? true : nil)
        if let data {
            let original = b.scores(data.x), moved = permuted.scores(data.x)
            result.maxLogitDifference = zip(original.storage, moved.storage).reduce(0.0) { worst, pair in
                max(worst, Double(abs(pair.0 - pair.1)) / max(1, Double(abs(pair.0))))
            }
            result.evaluationA = a.evaluate(data.x, labels: data.labels)
            result.evaluationB = b.evaluate(data.x, labels: data.labels)
            result.evaluationMerged = merged.evaluate(data.x, labels: data.labels)
            if let steps = options.interpolationSteps {
                result.naive = try ModeConnectivity.curve(a, b, data: data, steps: steps) { f, s in
                    progress?(0.3 + 0.35 * f, "naive interpolation \(s)") ?? true
                }
                let share = repair == nil ? 0.35 : 0.175
                result.permuted = try ModeConnectivity.curve(a, permuted, data: data, steps: steps) { f, s in
                    progress?(0.65 + share * f, "permuted interpolation \(s)") ?? true
                }
                if let repair {
                    result.repaired = try ModeConnectivity.curve(a, permuted, data: data, steps: steps, adjusting: repair) { f, s in
                        progress?(0.825 + share * f, "permuted interpolation with REPAIR \(s)") ?? true
                    }
                }
            }
        }
        return RebasinOutcome(result: result, permuted: permuted, merged: merged)
    }

    /// The samples REPAIR measures channels on (the first of the data).
    static let repairSamples = 4096

    /// Refuses two networks whose layers or tensors differ, naming the first difference.
    public static func checkSameArchitecture(_ a: Network<Float>, _ b: Network<Float>) throws {
        guard a.layers.count == b.layers.count, a.input.shape == b.input.shape else {
            throw InterpretError(
                "'\(a.name)' (\(a.layers.count) layers, input \(shapeText(a.input.shape))) and '\(b.name)' (\(b.layers.count) layers, input \(shapeText(b.input.shape))) do not share an architecture"
            )
        }
        for (la, lb) in zip(a.layers, b.layers) {
            let shapesA = la.parameters.map(\.shape), shapesB = lb.parameters.map(\.shape)
            guard la.operation.kind == lb.operation.kind, la.outputShape == lb.outputShape, shapesA == shapesB, la.inputs == lb.inputs
            else {
                throw InterpretError(
                    "'\(a.name)' and '\(b.name)' differ at layer '\(la.name)': \(la.operation.kind) \(shapeText(la.outputShape)) against '\(lb.name)' \(lb.operation.kind) \(shapeText(lb.outputShape)); Re-Basin needs one architecture"
                )
            }
        }
    }

    private static func distance(_ a: Network<Float>, _ b: Network<Float>) -> Double {
        zip(a.flatParameters, b.flatParameters).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
    }
}
