import ArgumentParser
import Figures
import Foundation
import Interpret

struct SAEDashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "Latent dashboards of an SAE on a language model: top contexts, activation bands, logit effects.",
        discussion: reflow(
            """
            Runs CHECKPOINT over the first --max-tokens tokens of --text at the SAE's hook point
            and shows, for each latent asked for, as sae_vis does: its density and largest
            activation with a histogram of its non-zero values; the contexts where it is largest
            and examples from lower thirds of its range, each token marked with the latent's
            value where it fires; the tokens its decoder direction promotes and suppresses
            through the unembedding; and the tokens that most often come just before it fires.

            Examples:
              loupe sae dashboard sae-gpt2 demo:gpt2-tiny --text corpus.txt --latent 12
              loupe sae dashboard sae-gpt2 demo:gpt2-tiny --text corpus.txt --latent 3,12,40 --json
            """)
    )

    @Argument(help: "The SAE directory (cfg.json + sae_weights.safetensors).") var sae: String
    @OptionGroup var activations: ActivationOptions
    @Option(help: ArgumentHelp("Latents, comma-separated.", valueName: "J[,K…]")) var latent: String
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func run() throws {
        let latents = try latent.split(separator: ",").map { part -> Int in
            guard let j = Int(part.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--latent \(latent): expected latent numbers separated by commas, e.g. 3,12")
            }
            return j
        }
        let (model, info) = try openSAE(sae)
        guard let source = try activations.source(recorded: info) as? TextHookSource else {
            throw ValidationError("a dashboard reads a language model's text: give CHECKPOINT --text FILE (and --layer HOOK)")
        }
        let dashboards = try LatentDashboard.compute(model, latents: latents, on: source)
        if json { return try printJSON(["dashboards": dashboards]) }
        Console.print(dashboards.map(TerminalText.dashboard).joined(separator: "\n\n"))
    }
}

extension TerminalText {
    /// A latent's dashboard as text: each excerpt's tokens joined, a firing token followed by
    /// its value in brackets.
    static func dashboard(_ d: LatentDashboard) -> String {
        var lines = [
            "latent \(d.latent) at \(d.hook): fires on \(NumberFormat.percent(d.density, digits: 2)) of tokens, max \(NumberFormat.readable(d.maxActivation))",
            "histogram of non-zero values (0 … max): " + Sparkline.text(d.histogram)
        ]
        for band in d.bands {
            lines.append("\(band.label) (\(band.contexts) contexts)")
            for e in band.excerpts {
                let text = zip(e.tokens, e.values).map { token, value in
                    token.replacingOccurrences(of: "\n", with: "↵") + (value > 0 ? "⟦\(NumberFormat.readable(value, digits: 2))⟧" : "")
                }.joined()
                lines.append("  context \(e.context + 1): …\(text)…")
            }
        }
        func list(_ values: [LatentDashboard.TokenValue]) -> String {
            values.map { "'\($0.text)' \(NumberFormat.readable($0.value, digits: 3))" }.joined(separator: "  ")
        }
        lines.append("promotes:   " + list(d.promoted))
        lines.append("suppresses: " + list(d.suppressed))
        lines.append("after:      " + d.preceding.map { "'\($0.text)' ×\(Int($0.value))" }.joined(separator: "  "))
        return lines.joined(separator: "\n")
    }
}
