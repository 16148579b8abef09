import ArgumentParser
import Figures
import Foundation
import Interpret
import LinAlg
import TensorIO
import Transformers

struct SAEMatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match",
        abstract: "Match two SAEs' latents one to one: universality across seeds, splitting across sizes.",
        discussion: reflow(
            """
            Latents are paired by a maximum-weight one-to-one assignment, twice: by the
            cosine of their decoder directions, and by the Pearson correlation of their
            activations on the same samples. A latent has a partner when its pair scores
            at least --threshold. Reported: the share of each SAE's latents with a
            partner, the sorted matched scores (the curve), the latents left without one,
            how often the two criteria agree, and the latents of A that two or more of
            B's latents point to (feature splitting: give the smaller SAE as A).

            Activations come from what each SAE's cfg.json records (model, layer, data),
            or from MODEL --layer --data, --text (a transformer's SAEs; both read the same
            tokens) or --acts FILE (both SAEs on the same activations). Two SAEs of
            different layers or models are compared on their own hook points of the same
            samples. Without data, or with --decoder-only, only decoders are compared.
            --permutations N tests the mean matched correlation against N shuffles of B's
            samples (a p-value).

            Examples:
              loupe sae match sae-seed1 sae-seed2 --acts synth.npy --permutations 99
              loupe sae match sae-relu1-a sae-relu1-b --data builtin:digits:test
              loupe sae match sae-1k sae-4k --decoder-only --out pairs.csv
              loupe sae match lm-seed1 lm-seed2 --text corpus.txt --max-tokens 8192 --json
            """)
    )

    @Argument(help: "SAE A's directory (the smaller one, when sizes differ).") var saeA: String
    @Argument(help: "SAE B's directory.") var saeB: String
    @OptionGroup var activations: ActivationOptions
    @Option(help: ArgumentHelp("A partner's decoder cosine or activation correlation is at least this.", valueName: "T"))
    var threshold: Double = LatentMatchingOptions().threshold
    @Option(help: ArgumentHelp("Shuffles of the permutation null of the matched correlation (0: none).", valueName: "N"))
    var permutations: Int = LatentMatchingOptions().permutations
    @Option(help: "Seed of the shuffles.") var seed: UInt64 = LatentMatchingOptions().seed
    @Flag(help: "Compare the decoders only, even when activations are at hand.") var decoderOnly = false
    @Option(help: "One row per latent of A with its partners: .csv, .npy, .safetensors or .npz.") var out: String?
    @OptionGroup var overwrite: OverwriteOption
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    var options: LatentMatchingOptions { LatentMatchingOptions(threshold: threshold, permutations: permutations, seed: seed) }

    func validate() throws {
        if let out { try OutputFile.validate(out) }
        do { try options.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let (a, infoA) = try openSAE(saeA), (b, infoB) = try openSAE(saeB)
        let reading = !decoderOnly && readsActivations(infoA, infoB)
        try checkOutputs(
            [("--out", out)],
            inputs: CommandInputs.sae(saeA) + CommandInputs.sae(saeB)
                + (reading ? activations.inputs(recorded: infoA) + activations.inputs(recorded: infoB) : []), force: overwrite.force)
        let bar = ProgressBar("sae match")
        var codes: (a: Matrix<Double>, b: Matrix<Double>, data: String)?
        if reading {
            let (sourceA, sourceB) = (try activations.source(recorded: infoA), try activations.source(recorded: infoB))
            guard sourceA.count == sourceB.count else {
                throw ValidationError(
                    "\(sourceA.name) gives \(sourceA.count) samples and \(sourceB.name) \(sourceB.count); matching by activation needs the same samples (or give --decoder-only)"
                )
            }
            codes = (
                try a.encode(sourceA) { f, _ in bar.handler(f / 2, "encoding with A") }.dense.converted(to: Double.self),
                try b.encode(sourceB) { f, _ in bar.handler(0.5 + f / 2, "encoding with B") }.dense.converted(to: Double.self),
                sourceA.name == sourceB.name ? sourceA.name : "\(sourceA.name) and \(sourceB.name)"
            )
        }
        let result = try LatentMatching.compare(a, b, names: (saeA, saeB), codes: codes, options: options, progress: bar.handler)
        bar.finish()
        if let out { try write(result, to: out) }
        if json { try printJSON(result, figures: result.figures); return }
        Console.print(TerminalText.latentMatching(result))
        if let out { Console.print("wrote \(out)") }
    }

    /// Whether activations are to be read: the user named some, or both SAEs record data of
    /// their own (a transformer's SAEs need --text: a text is not recorded).
    private func readsActivations(_ a: SAEFileInfo?, _ b: SAEFileInfo?) -> Bool {
        if activations.model != nil || activations.acts != nil || activations.dataOptions.data != nil
            || activations.textSample.text.text != nil
        {
            return true
        }
        return [a, b].allSatisfy { info in
            guard let info, info.data != nil else { return false }
            return info.model.map { !TextModels.isTextModel($0) } ?? true
        }
    }

    /// One row per latent of A: its decoder partner and cosine, and its activation partner and
    /// correlation (−1 and NaN where it has none).
    private func write(_ r: LatentMatching, to path: String) throws {
        let pairings = [r.decoder] + (r.activation.map { [$0] } ?? [])
        let byLatent = pairings.map { $0.pairByLatentA(r.latentsA) }
        let table = Matrix<Double>(rows: r.latentsA, cols: 1 + 2 * pairings.count) { i, c in
            guard c > 0 else { return Double(i) }
            let pair = byLatent[(c - 1) / 2][i]
            return (c - 1) % 2 == 0 ? pair.map { Double($0.latentB) } ?? -1 : pair?.score ?? .nan
        }
        let header = ["latent_a"] + pairings.flatMap { ["\($0.criterion.rawValue)_partner", "\($0.criterion.rawValue)_score"] }
        try OutputFile.write(
            main: ("pairs", Tensor(table)), csvHeader: header, metadata: ["loupe.sae_a": r.saeA, "loupe.sae_b": r.saeB], to: path)
    }
}
