import Figures
import Interpret
import LinAlg

/// `method = "sae-match"`: two SAEs trained on a layer (two seeds; or a second model, layer or
/// size) and their latents matched one to one by decoder cosine and by activation correlation
/// on the same samples (`LatentMatching`).
public enum SAEMatchMethod: ProbeMethod {
    public static let name = "sae-match"
    public static let summary = "train two SAEs (two seeds, sizes, layers or models) and match their latents by decoder and by activation"
    public static let parameters =
        SAEProbeSettings.parameters + [
            ProbeParameter(
                "seeds", .integers, about: "the two SAEs' training seeds (default \(defaultSeeds.map(String.init).joined(separator: ", ")))"
            ),
            ProbeParameter("model_b", .model, about: "the second SAE's model (default: model)"),
            ProbeParameter("layer_b", .string, about: "the second SAE's layer (default: layer); its width must be the first's"),
            ProbeParameter("latents_b", .integer, about: "the second SAE's dictionary size (default: as the first)"),
            ProbeParameter(
                "threshold", .number,
                about:
                    "a latent has a partner when its decoder cosine or activation correlation is at least this (default \(NumberFormat.readable(LatentMatchingOptions().threshold)))"
            ),
            ProbeParameter(
                "permutations", .integer,
                about:
                    "shuffles of the permutation null of the mean matched correlation (default \(LatentMatchingOptions().permutations): none)"
            ),
            ProbeParameter(
                "max_tokens", .integer,
                about:
                    "a transformer checkpoint: the tokens of the text the activations are compared on (default \(SAEMethod.defaultTokens))")
        ]

    /// Two seeds, so that what is matched is what training found twice.
    static let defaultSeeds = [1, 2]

    public static func validate(_ p: ProbeParameters) throws {
        try SAEProbeSettings.validate(p)
        if let seeds = p.integers("seeds"), seeds.count != 2 || seeds.contains(where: { $0 < 0 }) {
            throw WorkbenchError("seeds must be two numbers from 0, one per SAE; got \(seeds)")
        }
        for key in ["latents_b", "max_tokens"] {
            if let v = p.integer(key), v < 1 { throw WorkbenchError("\(key) must be at least 1") }
        }
        do { try options(p, seed: 0).validate() } catch { throw WorkbenchError("\(error)") }
    }

    /// The matching options a run's parameters ask for.
    static func options(_ p: ProbeParameters, seed: UInt64) -> LatentMatchingOptions {
        let defaults = LatentMatchingOptions()
        return LatentMatchingOptions(
            threshold: p.number("threshold") ?? defaults.threshold, permutations: p.integer("permutations") ?? defaults.permutations,
            seed: seed)
    }

    /// One of the two SAEs: the hook point it reads and how it is trained.
    struct Side {
        var model: String
        var layer: String
        var seed: UInt64
        var latents: Int?

        /// The run's training options with this side's seed and size; a batch is at most the
        /// `samples` there are.
        func options(_ p: ProbeParameters, samples: Int) -> SAETrainingOptions {
            var o = SAEProbeSettings.options(p, seed: seed, samples: samples)
            o.latents = latents
            return o
        }
    }

    static func sides(_ p: ProbeParameters) -> (a: Side, b: Side) {
        let seeds = p.integers("seeds") ?? defaultSeeds
        let (model, layer) = (p.string("model")!, p.string("layer")!)
        return (
            Side(model: model, layer: layer, seed: UInt64(seeds[0]), latents: p.integer("latents")),
            Side(
                model: p.string("model_b") ?? model, layer: p.string("layer_b") ?? layer, seed: UInt64(seeds[1]),
                latents: p.integer("latents_b") ?? p.integer("latents"))
        )
    }

    public static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection {
        let p = run.parameters
        let (a, b) = sides(p)
        guard context.isTextModel(a.model) == context.isTextModel(b.model) else {
            throw WorkbenchError(
                "model_b: '\(b.model)' and '\(a.model)' must both be transformer checkpoints or both networks (the codes are compared on the same samples)"
            )
        }
        // Both hook points first: a second of another width or other samples is refused before
        // any training.
        let readings = try [a, b].map { side in
            try context.isTextModel(side.model) ? onText(side, p, context: context) : onNetwork(side, run, context: context)
        }
        let (ra, rb) = (readings[0], readings[1])
        guard ra.source.dimension == rb.source.dimension else {
            throw WorkbenchError(
                "\(p.string("layer_b") == nil ? "model_b" : "layer_b"): \(b.layer) of '\(b.model)' has \(rb.source.dimension) values per sample and \(a.layer) of '\(a.model)' \(ra.source.dimension); decoder directions compare only in one space"
            )
        }
        // Row i of both codes must be the same sample: one text read as the same tokens.
        if let ta = ra.source as? TextHookSource, let tb = rb.source as? TextHookSource, ta.contexts != tb.contexts {
            throw WorkbenchError(
                "model_b: '\(b.model)' reads the text as other tokens than '\(a.model)'; matching by activation needs the same samples"
            )
        }
        var trained: [SAETrainingRun] = []
        var codes: [Matrix<Double>] = []
        for (i, (side, reading)) in zip([a, b], readings).enumerated() {
            let sae = try reading.train(side.options(p, samples: reading.trainingSamples)) {
                progress(0.4 * (Double(i) + $0.fraction), "SAE \(i == 0 ? "A" : "B"): step \($0.point.step)/\($0.totalSteps)")
            }
            trained.append(sae)
            codes.append(
                try sae.sae.encode(reading.source) { f, _ in progress(0.8 + 0.05 * (Double(i) + f), "encoding") }.dense.converted(
                    to: Double.self))
        }
        let names = [a, b].map { "\(context.reference($0.model)) \($0.layer) seed \($0.seed)" }
        let m = try LatentMatching.compare(
            trained[0].sae, trained[1].sae, names: (names[0], names[1]), codes: (codes[0], codes[1], ra.data),
            options: options(p, seed: context.seed(for: run))
        ) { f, status in progress(0.9 + 0.1 * f, status) }
        return section(m, training: trained.map(\.summary))
    }

    /// A side's hook point: the samples its codes are compared on, what they are, and how its
    /// SAE is trained (with at most `trainingSamples` per batch).
    struct Reading {
        var source: ActivationSource
        var data: String
        var trainingSamples: Int
        var train: (SAETrainingOptions, (SAETrainingProgress) -> Bool) throws -> SAETrainingRun
    }

    /// A network's layer over the run's data: the SAE trains on it and is compared on it.
    private static func onNetwork(_ side: Side, _ run: ProbeRun, context: ProbeContext) throws -> Reading {
        let (source, _) = try SAEProbeSettings.source(run, context, model: side.model, layer: side.layer)
        return Reading(
            source: source, data: try context.data(for: run).name, trainingSamples: source.count,
            train: { try SAETrainer.train(on: source, options: $0, progress: $1) })
    }

    /// A transformer's hook point: the SAE trains from the model as it reads the probe's text
    /// (as the `sae` run does) and is compared on the text's first `max_tokens` tokens.
    private static func onText(_ side: Side, _ p: ProbeParameters, context: ProbeContext) throws -> Reading {
        let spec = try context.textHook(side.model, hook: side.layer, excludeSpecial: false)
        let source = try spec.source(maxTokens: p.integer("max_tokens") ?? SAEMethod.defaultTokens)
        return Reading(
            source: source, data: "the first \(source.count) tokens of \(spec.text)", trainingSamples: .max,
            train: { try SAETrainer.train(try spec.trainingSession(options: $0).session, progress: $1) })
    }
}
