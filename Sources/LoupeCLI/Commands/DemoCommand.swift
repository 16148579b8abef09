import ArgumentParser
import Figures
import Foundation
import Networks

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train and cache the demo models (demo:mlp-1, demo:mlp-2, demo:bilinear, demo:cnn, demo:resnet, demo:resnet-2).",
        discussion: reflow(
            """
            The demo models are trained on builtin:digits:train with fixed seeds and cached under
            $XDG_CACHE_HOME/loupe (default ~/.cache/loupe). Every command trains a demo model on
            first use; this command does all of them at once and reports their test accuracy.

            Examples:
              loupe demo                 train what is not cached yet
              loupe demo --retrain       train them all again
              loupe demo --json
            """)
    )

    @Flag(help: "Train again even when cached.") var retrain = false
    @Flag(help: "Print the result as one JSON object.") var json = false

    func run() throws {
        struct Row: Encodable {
            let model: String; let architecture: String; let parameters: Int
            let testAccuracy: Double; let testLoss: Double; let trainSeconds: Double?; let file: String
        }
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
        if json { try printJSON(["models": rows]); return }
        var table = Table(["model", "architecture", "parameters", "test accuracy", "test loss", "trained in"], rightAligned: [2, 3, 4, 5])
        for r in rows {
            table.append([
                r.model, r.architecture, "\(r.parameters)", String(format: "%.2f %%", 100 * r.testAccuracy),
                String(format: "%.4f", r.testLoss), r.trainSeconds.map { String(format: "%.1f s", $0) } ?? "cached"
            ])
        }
        Console.print(table.text)
        Console.print("cache: \(DemoModels.cacheDirectory.path)")
    }
}
