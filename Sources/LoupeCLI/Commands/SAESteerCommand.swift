import ArgumentParser
import Figures
import Foundation
import Interpret
import Transformers

struct SAESteerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "steer",
        abstract: "Steer a language model with an SAE latent, or ablate it, and show the next-token change.",
        discussion: reflow(
            """
            Runs CHECKPOINT on --prompt with the SAE's hook point changed at every token (special
            tokens left as they are): --alpha A adds A × the latent's decoder direction;
            --ablate takes the latent's part of the reconstruction out (x − f_j(x)·d_j, the
            SAE's error kept). Prints the likeliest next tokens after the prompt before and
            after, and the KL divergence between the two distributions.

            Examples:
              loupe sae steer sae-gpt2 demo:gpt2-tiny --prompt "The hacker" --latent 12 --alpha 8
              loupe sae steer sae-gpt2 demo:gpt2-tiny --prompt "The hacker" --latent 12 --ablate --json
            """)
    )

    @Argument(help: "The SAE directory (cfg.json + sae_weights.safetensors).") var sae: String
    @Argument(help: "A transformer checkpoint folder, or demo:gpt2-tiny.") var model: String
    @Option(help: "The text to continue.") var prompt: String
    @Option(help: "The latent to steer with or ablate.") var latent: Int
    @Option(help: "Add alpha × the latent's decoder direction.") var alpha: Double?
    @Flag(help: "Take the latent's part of the reconstruction out instead.") var ablate = false
    @Option(help: "The hook point (default: the one the SAE's cfg.json names).") var layer: String?
    @Flag(help: "Print the result as one JSON object.") var json = false

    func validate() throws {
        guard (alpha != nil) != ablate else { throw ValidationError("give --alpha A (steer) or --ablate, one of them") }
        guard !prompt.isEmpty else { throw ValidationError("--prompt is empty") }
    }

    func run() throws {
        guard TextModels.isTextModel(model) else {
            throw ValidationError("\(model) is not a transformer checkpoint; steering changes a language model's next token")
        }
        let (autoencoder, info) = try openSAE(sae)
        guard let hook = layer ?? info?.layer else {
            throw ValidationError("\(sae)/cfg.json names no hook point: give --layer HOOK")
        }
        let transformer = try TextModels.load(model)
        guard let tokenizer = transformer.tokenizer else { throw ValidationError("\(model): no tokenizer.json to read --prompt") }
        let cutter = try ContextCutter(for: transformer, length: nil, specials: .tokenizer)
        guard let ids = cutter.contexts(try tokenizer.encode(prompt, addSpecialTokens: false)).first,
            ids.count - cutter.before.count - cutter.after.count == (try tokenizer.encode(prompt, addSpecialTokens: false)).count
        else { throw ValidationError("--prompt is longer than one context of \(cutter.length) tokens") }
        let result = try LatentSteering.measure(
            autoencoder, latent: latent, change: ablate ? .ablate : .steer(alpha: alpha!), on: transformer, hook: hook, prompt: ids,
            special: Set(cutter.before + cutter.after))
        if json { return try printJSON(result) }
        let what = ablate ? "latent \(latent) ablated" : "\(NumberFormat.readable(alpha!)) × latent \(latent)'s direction added"
        Console.print(
            "\(model) at \(hook), \(result.tokens) tokens, \(what) (its activation at the last token: \(NumberFormat.readable(result.activation)))"
        )
        var table = Table(["before", "p", "p after", "", "after", "p", "p before"], rightAligned: [1, 2, 5, 6])
        for (b, a) in zip(result.before, result.after) {
            table.append([
                shown(b.text), NumberFormat.readable(b.before, digits: 3), NumberFormat.readable(b.after, digits: 3), "",
                shown(a.text), NumberFormat.readable(a.after, digits: 3), NumberFormat.readable(a.before, digits: 3)
            ])
        }
        Console.print(table.text)
        Console.print("KL(before ‖ after) = \(NumberFormat.readable(result.kl)) nats")
    }

    /// A token's text with its spaces and line breaks visible.
    private func shown(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "\n", with: "\\n") + "'"
    }
}
