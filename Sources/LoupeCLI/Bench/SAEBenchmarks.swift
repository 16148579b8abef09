import Foundation
import Interpret
import LinAlg
import Transformers

/// SAE training throughput (standard and top-k) beside the sgemm rate of the same run, training
/// from a language model as it reads a text, matching two SAEs' latents, and matching pursuit's
/// encoding with the Gram-matrix update against recomputing D r every step.
enum SAEBenchmarks: BenchmarkGroup {
    static let name = "sae"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        let (dIn, dSAE, batch, k) = context.quick ? (128, 1024, 1024, 32) : (512, 4096, 4096, 32)
        let size = "d_in \(dIn), d_sae \(dSAE), batch \(batch)"
        let data = try SyntheticFeatures.generate(
            samples: 2 * batch, dimension: dIn, features: dSAE,
            meanActive: Double(k), seed: 1)
        let source = ActivationMatrix(data.activations, name: "synthetic")
        let (d, m, b) = (Double(dIn), Double(dSAE), Double(batch))
        // The products a step needs: standard, five dense ones (encoder, decoder, and the
        // three of the backward pass); top-k, the encoder's, and the k active rows' decode,
        // decoder gradient, code gradient and encoder gradient (2 FLOPs per multiply-add).
        let flops: [SAEArchitecture: Double] = [.standard: 10 * b * d * m, .topk: 2 * b * d * m + 8 * b * Double(k) * d]
        for architecture in [SAEArchitecture.standard, .topk] {
            var session = try SAETrainingSession(
                source: source,
                options: SAETrainingOptions(
                    architecture: architecture, latents: dSAE, k: k, steps: 1000, batchSize: batch, seed: 1))
            _ = try session.advance()  // the first step allocates the optimiser state
            let t = try Stopwatch.best(budget: 3, maxRuns: 5) { _ = try session.advance() }
            let gflops = flops[architecture]! / t / 1e9
            let share = context.sgemmGFLOPS.map { String(format: " = %.0f %% of sgemm", 100 * gflops / $0) } ?? ""
            report(
                BenchmarkRecord(
                    group: name, name: "train step \(architecture.rawValue)" + (architecture == .topk ? " (k \(k))" : ""),
                    size: size, seconds: t, rate: b / t, unit: "samples/s",
                    note: String(format: "%.1f GFLOP/s", gflops) + share))
        }

        let lm = try streamedTraining(batch: context.quick ? 1024 : 4096, steps: context.quick ? 4 : 20)
        report(
            BenchmarkRecord(
                group: name, name: "train step topk from demo:gpt2-tiny reading its corpus", size: lm.size, seconds: lm.seconds,
                rate: Double(lm.batch) / lm.seconds, unit: "tokens/s", note: "the model's forward pass included"))

        try latentMatching(quick: context.quick, report: report)

        // Matching pursuit: k steps per sample over unit-norm atoms.
        let samples = context.quick ? 256 : 1024
        var rng = SeededRandom(seed: 2)
        var atoms: Matrix<Float> = rng.normalMatrix(rows: dSAE, cols: dIn)
        let norms = atoms.rowNorms()
        for j in 0..<dSAE { atoms.setRow(j, atoms.row(j).map { $0 / norms[j] }) }
        let x = data.activations.rows(in: 0..<samples)
        let bias = [Float](repeating: 0, count: dIn)
        let stopping = MatchingPursuitStopping(maxSteps: k)
        let mpSize = "d_in \(dIn), d_sae \(dSAE), k \(k), \(samples) samples"
        var gramMatrix = Matrix<Float>(rows: 0, cols: 0)
        let tGram = Stopwatch.best(budget: 1, maxRuns: 3) { gramMatrix = gram(atoms, transpose: false) }
        let tUpdate = Stopwatch.best(budget: 2, maxRuns: 5) {
            _ = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: gramMatrix, stopping: stopping)
        }
        let tDirect = Stopwatch.best(budget: 2, maxRuns: 3) {
            _ = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: nil, stopping: stopping)
        }
        report(
            BenchmarkRecord(
                group: name, name: "MP-SAE encode, Gram update", size: mpSize, seconds: tUpdate,
                rate: Double(samples) / tUpdate, unit: "samples/s",
                note: String(format: "%.1f× direct; G = D Dᵀ once: %@", tDirect / tUpdate, formatSeconds(tGram))))
        report(
            BenchmarkRecord(
                group: name, name: "MP-SAE encode, D r recomputed", size: mpSize, seconds: tDirect,
                rate: Double(samples) / tDirect, unit: "samples/s"))
    }

    /// `loupe sae match` of two SAEs of two seeds on the same synthetic features: decoder
    /// cosines and their assignment, then the activation correlations of the codes on the same
    /// samples and theirs (the codes are computed beforehand; encoding is timed above).
    static func latentMatching(quick: Bool, report: (BenchmarkRecord) -> Void) throws {
        let (dIn, latents, samples) = quick ? (64, 256, 1000) : (128, 1024, 2000)
        let data = try SyntheticFeatures.generate(samples: samples, dimension: dIn, features: latents, meanActive: 16, seed: 3)
        let source = ActivationMatrix(data.activations, name: "synthetic")
        let saes = try [1, 2].map { seed in
            try SAETrainer.train(
                on: source,
                options: SAETrainingOptions(
                    architecture: .topk, latents: latents, k: 16, steps: quick ? 50 : 200, batchSize: 1000, seed: UInt64(seed))
            ).sae
        }
        let codes = try saes.map { try $0.encode(source).dense.converted(to: Double.self) }
        let t = try Stopwatch.best(budget: 2, maxRuns: 3) {
            _ = try LatentMatching.compare(saes[0], saes[1], names: ("A", "B"), codes: (codes[0], codes[1], "synthetic"))
        }
        report(
            BenchmarkRecord(
                group: name, name: "latent matching, decoder + activations",
                size: "\(latents) × \(latents) latents, d_in \(dIn), \(samples) samples",
                seconds: t, rate: nil, unit: nil))
    }

    /// Seconds per step of a top-k SAE (k 32, d_sae 8 × 128) trained on demo:gpt2-tiny's
    /// blocks.2.hook_resid_post as the model reads its corpus in contexts of 128 tokens, or
    /// reads `contexts` (the token ids `scripts/bench-peers` gives SAELens too): the mean over
    /// `steps` steps after the buffer's first fill, so that refilling it (running the model) is
    /// counted in its share.
    static func streamedTraining(batch: Int, steps: Int, contexts: [[Int]]? = nil) throws -> (seconds: Double, batch: Int, size: String) {
        let model = try TextDemo.load()
        let hook = "blocks.2.hook_resid_post"
        let stream =
            try contexts.map {
                try HookStream(model: model, hook: hook, contexts: $0, source: "sae-lm-contexts.npy", excluded: [], cycles: true)
            }
            ?? HookStream(
                model: model, hook: hook, corpus: try TextCorpus(TextDemo.corpus, wholeFile: false, field: nil),
                cutter: try ContextCutter(for: model, length: 128, specials: .tokenizer), excluded: [], cycles: true)
        let options = SAETrainingOptions(architecture: .topk, latents: 1024, k: 32, steps: 2 * steps + 2, batchSize: batch, seed: 1)
        var session = try SAETrainingSession(
            stream: stream, bufferRows: SAETrainingSession.bufferBatches * batch, options: options)
        for _ in 0..<2 { _ = try session.advance() }  // optimiser state, and the buffer's first fill
        let start = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<steps { _ = try session.advance() }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / Double(steps)
        return (seconds, batch, "d_in 128, d_sae 1024, k 32, batch \(batch) tokens")
    }
}
