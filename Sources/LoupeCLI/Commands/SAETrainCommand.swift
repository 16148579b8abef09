import ArgumentParser
import Figures
import Foundation
import Interpret
import Networks
import TensorIO
import Transformers

struct SAETrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a sparse autoencoder on a model layer's activations or an activation file.",
        discussion: reflow(
            """
            Architectures: standard (ReLU, L1 on f·‖W_dec row‖), topk, batchtopk,
            jumprelu, gated (a gate picks the active latents, a magnitude path
            sharing its encoder gives their values; L1 on the gate), matching_pursuit
            (mp). Inputs are scaled to mean norm √d in
            training and the scale is folded into the saved weights, so the SAE
            works on raw activations. The SAE is then evaluated on the training
            activations (--no-eval to skip).

            Examples:
              loupe sae train --acts synth.npy -a topk --k 8 --d-sae 512 --out sae-topk
              loupe sae train demo:mlp-1 --layer relu1 --data builtin:digits:train -a \\
                  standard --l1 3 --out sae-std
              loupe sae train --acts resid.npy -a mp --k 16 --expansion 16 --epochs 2 \\
                  --out sae-mp
              loupe sae train demo:gpt2-tiny --text corpus.jsonl \\
                  --layer blocks.2.hook_resid_post -a topk --k 16 --steps 500 --out sae-lm

            On a transformer checkpoint with --text, the model reads the text as
            training goes and its activations are mixed in a shuffling buffer of
            --buffer contexts (as SAELens's activation store does), so memory stays
            flat however long the text; at its end the text starts again. The
            tokens that wrap each context (BOS, [CLS], [SEP]; with --exclude-special
            every special token) are no samples. --cache DIR writes the activations
            once and later runs read them from there. The SAE is evaluated on the
            first --max-tokens tokens, with the model's loss when it is spliced in.
            """)
    )

    @OptionGroup var activations: ActivationOptions
    @Option(name: [.short, .long], help: "The SAE architecture (mp is matching_pursuit).")
    var architecture: SAEArchitecture = SAETrainingOptions.defaults.architecture
    @Option(help: "Number of latents d_sae.") var dSae: Int?
    @Option(help: "d_sae as a multiple of d_in (when --d-sae is not given).") var expansion: Double = SAETrainingOptions.defaults
        .expansionFactor
    @Option(help: "Active latents per sample (topk, mp) or on average (batchtopk).") var k: Int = SAETrainingOptions.defaults.k
    @Option(
        help:
            "L1 coefficient of the standard SAE (default \(NumberFormat.readable(SAETrainingOptions.defaultSparsityCoefficient(.standard)))) and of the gated SAE's gate (default \(NumberFormat.readable(SAETrainingOptions.defaultSparsityCoefficient(.gated)))), on inputs normalised to norm √d."
    )
    var l1: Double?
    @Option(
        help:
            "L0 coefficient of the JumpReLU SAE (default \(NumberFormat.readable(SAETrainingOptions.defaultSparsityCoefficient(.jumprelu))))."
    )
    var l0: Double?
    @Option(help: "JumpReLU: width of the straight-through estimator's kernel.") var bandwidth: Double = SAETrainingOptions.defaults
        .bandwidth
    @Option(help: "JumpReLU: the threshold every latent starts at.") var initialThreshold: Double = SAETrainingOptions.defaults
        .initialThreshold
    @Option(help: "Learning rate (Adam).") var lr: Double = SAETrainingOptions.defaults.learningRate
    @Option(help: "Optimisation steps (default \(SAETrainingOptions.defaults.steps), unless --epochs is given).") var steps: Int?
    @Option(help: "Passes over the activations (instead of --steps).") var epochs: Double?
    @Option(help: "Samples per minibatch.") var batch: Int = SAETrainingOptions.defaults.batchSize
    @Option(help: "Learning-rate warm-up steps (default 5 % of the steps).") var warmup: Int?
    @Option(help: "Final fraction of the steps over which the learning rate decays to 0.") var decay: Double = SAETrainingOptions.defaults
        .decayFraction
    @Option(help: "Clip the gradient norm to this value (0: no clipping).") var clip: Double =
        SAETrainingOptions.defaults.maxGradientNorm ?? 0
    @Flag(name: .customLong("no-normalize"), help: "Train on the raw activations (no scaling to mean norm √d).")
    var noNormalize = false
    @Option(help: "Steps without firing after which a latent is dead (default a tenth of the run, 10 to 1000).")
    var deadWindow: Int?
    @Option(help: "Coefficient of the auxiliary-k loss (topk, batchtopk; 0 turns it off).") var auxK: Double = SAETrainingOptions.defaults
        .auxKCoefficient
    @Option(help: "Standard SAE: resample dead latents every N steps (default a quarter of the run; 0: never).")
    var resampleEvery: Int?
    @Option(help: "Random seed (initialisation and batch order).") var seed: UInt64 = 0
    @Option(
        help: ArgumentHelp(
            "--text: the shuffling buffer, in contexts (N × --ctx tokens; default \(SAETrainingSession.bufferBatches) batches' worth).",
            valueName: "N"))
    var buffer: Int?
    @Option(
        help: ArgumentHelp(
            "--text: run the model over the whole text once into DIR (memory-mapped .npy shards) and train from there; DIR holding them for this model, hook and text is reused.",
            valueName: "DIR"))
    var cache: String?
    @Option(help: "The SAE directory to write (cfg.json + sae_weights.safetensors).") var out: String
    @OptionGroup var overwrite: OverwriteOption
    @Flag(inversion: .prefixedNo, help: "Evaluate the trained SAE on the training activations.") var eval = true
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
        guard steps == nil || epochs == nil else { throw ValidationError("give --steps or --epochs, not both") }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
        if let epochs, epochs <= 0 { throw ValidationError("--epochs must be positive") }
        guard expansion > 0 else { throw ValidationError("--expansion must be positive") }
        if let buffer, buffer <= 0 { throw ValidationError("--buffer must be positive") }
    }

    func run() throws {
        try OutputCheck.directory(
            out, writing: [SAEFile.configName, SAEFile.weightsName], inputs: activations.inputs(),
            force: overwrite.force)
        let text = try activations.textHook()
        guard text != nil || (buffer == nil && cache == nil) else {
            throw ValidationError("--buffer and --cache apply to training on a transformer checkpoint's --text")
        }
        // Without a cache a text is streamed: its number of samples is not known in advance.
        let source = try text == nil ? activations.source() : cache.map { try cachedSource(text!, folder: $0) }
        if source == nil, epochs != nil {
            throw ValidationError(
                "--epochs: a text is read as training goes, so its size is not known in advance; give --steps (or --cache DIR, which counts it)"
            )
        }
        let batchSize = min(batch, source?.count ?? batch)
        let stepCount =
            steps ?? epochs.map { max(Int(($0 * Double(source!.count) / Double(batchSize)).rounded(.up)), 1) }
            ?? SAETrainingOptions.defaults.steps
        let options = SAETrainingOptions(
            architecture: architecture, latents: dSae, expansionFactor: expansion, k: k,
            sparsityCoefficient: architecture == .jumprelu ? l0 : l1, learningRate: lr, steps: stepCount, batchSize: batchSize,
            warmupSteps: warmup, decayFraction: decay, maxGradientNorm: clip > 0 ? clip : nil,
            normalizeInput: !noNormalize, deadWindow: deadWindow, auxKCoefficient: auxK, resampleEvery: resampleEvery,
            bandwidth: bandwidth, initialThreshold: initialThreshold, seed: seed)
        let session: SAETrainingSession, stream: HookStream?
        if let source {
            (session, stream) = (try SAETrainingSession(source: source, options: options), nil)
        } else {
            let streamed = try text!.trainingSession(options: options, bufferContexts: buffer)
            (session, stream) = (streamed.session, streamed.stream)
        }
        let bar = ProgressBar("sae train")
        let started = DispatchTime.now().uptimeNanoseconds
        let run = try SAETrainer.train(session) { p in
            let l = p.point.loss
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
            let pass = stream.map { $0.pass > 1 ? "  pass \($0.pass) over the text" : "" } ?? ""
            bar.update(
                p.fraction,
                String(
                    format: "step %d/%d  %.0f samples/s  loss %.4g  L0 %.1f  FVU %.4f  dead %.1f %%%@",
                    p.point.step, p.totalSteps, Double(p.point.step * batchSize) / max(seconds, 1e-9), l.total, l.l0, l.fvu,
                    100 * p.point.deadFraction, pass))
            return true
        }
        bar.finish()
        var report: SAEReport?
        // A text is evaluated on its first --max-tokens tokens, in memory, with the model.
        let evaluated = try eval ? text.map { try activations.textSource($0) } ?? source : nil
        if let evaluated {
            let evalBar = ProgressBar("sae eval")
            report = try SAEAnalysis.analyse(run.sae, on: evaluated, options: SAEAnalysisOptions(seed: seed)) { f, status in
                evalBar.update(f, status)
                return true
            }
            evalBar.finish()
            report?.training = run.summary
        }
        let layerSource = source as? LayerActivationSource
        var recordedMetrics = report?.metrics
        recordedMetrics?.latentFrequency = []
        recordedMetrics?.latentMeanActivation = []
        let info = SAEFileInfo(
            model: layerSource.map { _ in activations.model! } ?? text?.reference, layer: layerSource?.layer ?? text?.hook,
            data: layerSource?.data.name ?? text?.text ?? source?.name, training: run.summary.options,
            inputScale: run.summary.inputScale, finalTraining: run.summary.final, metrics: recordedMetrics,
            saeLens: text?.saeLens)
        try SAEFile.save(run.sae, info: info, to: URL(fileURLWithPath: out))

        struct Output: Encodable { let directory: String; let training: SAETrainingSummary; let report: SAEReport? }
        if json { try printJSON(Output(directory: out, training: run.summary, report: report), figures: report?.figures); return }
        let t = run.summary
        Console.print(
            String(
                format: "trained %@ SAE: %d steps of %d samples in %.1f s (%.0f samples/s); last tenth: loss %.4g, L0 %.1f, FVU %.4f",
                run.sae.architecture.rawValue, t.options.steps, t.options.batchSize, t.seconds,
                Double(t.samplesSeen) / max(t.seconds, 1e-9), t.final.total, t.final.l0, t.final.fvu))
        if let report { Console.print(TerminalText.sae(report)) }
        Console.print("saved \(out)")
    }

    /// The activation cache in `folder` for `text`, written first (the model run over the whole
    /// text once) when the folder is new or empty.
    private func cachedSource(_ text: TextHookSpec, folder: String) throws -> ActivationCache {
        let url = URL(fileURLWithPath: folder)
        guard url.standardizedFileURL.path != URL(fileURLWithPath: out).standardizedFileURL.path else {
            throw ValidationError("--cache \(folder) is the SAE's --out folder; give the cache a folder of its own")
        }
        let contents = try text.cacheContents()
        if FileManager.default.fileExists(atPath: url.appendingPathComponent(ActivationCache.manifestName).path) {
            let cache = try ActivationCache(opening: url, expecting: contents)
            Console.print("reusing \(folder): \(cache.count) tokens of \(text.hook)")
            return cache
        }
        let stream = try text.stream(cycles: false)
        let bar = ProgressBar("caching \(text.hook)")
        defer { bar.finish() }
        return try ActivationCache.write(stream, contents: contents, to: url) { f, status in
            bar.update(f, status)
            return true
        }
    }
}
