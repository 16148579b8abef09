import ArgumentParser
import Figures
import Foundation
import Networks
import Transformers

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract:
            "Train and cache the demo models (demo:mlp-1, demo:mlp-2, demo:bilinear, demo:cnn, demo:resnet, demo:resnet-2); check demo:gpt2-tiny.",
        discussion: reflow(
            """
            The demo models are trained on builtin:digits:train with fixed seeds and cached under
            $XDG_CACHE_HOME/loupe (default ~/.cache/loupe). Every command trains a demo model on
            first use; this command does all of them at once and reports their test accuracy.
            demo:gpt2-tiny, a small GPT-2 language model, ships with Loupe (scripts/train-demo-gpt2-tiny
            trained it with loupe train on its corpus); its loss is the mean next-token
            cross-entropy on the corpus lines held out of its training.

            Examples:
              loupe demo                 train what is not cached yet
              loupe demo --retrain       train them all again
              loupe demo --json
            """)
    )

    @Flag(help: "Train again even when cached.") var retrain = false
    @Flag(help: "Print the result as one JSON object.") var json = false

    struct Row: Encodable {
        let model: String; let architecture: String; let parameters: Int
        /// nil for the language model, whose loss is its next-token loss on held-out text.
        let testAccuracy: Double?; let testLoss: Double; let trainSeconds: Double?; let file: String
        /// Shipped with Loupe rather than trained on first use.
        var shipped = false
    }

    func run() throws {
        let test = try Digits.load(.test)
        var rows: [Row] = []
        for recipe in DemoModels.recipes {
            let url = DemoModels.cachedFile(recipe.name)
            if retrain { try? FileManager.default.removeItem(at: url) }
            var seconds: Double?
            let network: Network<Float>
            if DemoModels.isCached(recipe.name) {
                network = try DemoModels.load(recipe.name)
            } else {
                let bar = ProgressBar("demo:\(recipe.name)")
                let start = Date()
                network = try DemoModels.load(recipe.name, progress: bar.training())
                bar.finish()
                seconds = Date().timeIntervalSince(start)
            }
            let e = network.evaluate(test.x, labels: test.labels)!
            rows.append(
                Row(
                    model: "demo:\(recipe.name)", architecture: recipe.architecture, parameters: network.learnedParameterCount,
                    testAccuracy: e.accuracy, testLoss: e.loss, trainSeconds: seconds, file: url.path))
        }
        rows.append(try textDemoRow())
        if json { try printJSON(["models": rows]); return }
        var table = Table(["model", "architecture", "parameters", "test accuracy", "test loss", "trained in"], rightAligned: [2, 3, 4, 5])
        for r in rows {
            table.append([
                r.model, r.architecture, "\(r.parameters)", r.testAccuracy.map { String(format: "%.2f %%", 100 * $0) } ?? "—",
                String(format: "%.4f", r.testLoss), r.shipped ? "shipped" : r.trainSeconds.map { String(format: "%.1f s", $0) } ?? "cached"
            ])
        }
        Console.print(table.text)
        Console.print("cache: \(DemoModels.cacheDirectory.path)")
    }

    /// demo:gpt2-tiny: its shape, and its next-token loss on the held-out lines of its corpus.
    private func textDemoRow() throws -> Row {
        let bar = ProgressBar("demo:\(TextDemo.name): held-out loss")
        defer { bar.finish() }
        let parameters = try GPT2Parameters(checkpoint: TextDemo.folder)
        let model = try TextDemo.load()
        let text = try LanguageModelText(
            TextCorpus(TextDemo.corpus, wholeFile: false, field: nil), tokenizer: model.tokenizer!, holdOutEvery: TextDemo.holdOutEvery,
            progress: { bar.update($0 / 2, "tokenising") })
        let c = model.config
        let loss = try LanguageModelTrainer.meanLoss(
            parameters, sequences: LanguageModelText.windows(text.heldOut, context: c.maxPositions))
        return Row(
            model: TextModels.demo, architecture: "gpt2:l\(c.layers)-d\(c.dModel)-h\(c.heads)-c\(c.maxPositions)",
            parameters: parameters.count,
            testAccuracy: nil, testLoss: loss, trainSeconds: nil, file: TextDemo.folder.path, shipped: true)
    }
}
