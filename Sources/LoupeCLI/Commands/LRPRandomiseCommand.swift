import ArgumentParser
import Figures
import Foundation
import Interpret
import Networks

struct LRPRandomiseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "randomise",
        abstract: "Model randomisation: do the maps change when the model's weights are destroyed?",
        discussion: reflow(
            """
            The sanity check of Adebayo et al. (2018): the relevance maps of the trained model are \
            compared with those of the same architecture whose layers with parameters are \
            re-initialised (as a fresh model is), from the output down — stage 1 the output layer, \
            stage 2 also the layer below, and so on to the first layer (--independent: one layer at \
            a time, the others trained). Each randomised model explains the output the trained one \
            explains. Per stage, Spearman's rank correlation ρ between each sample's trained and \
            randomised map (ties take their average rank), and of their absolute values, is \
            averaged over the samples, with its standard deviation. Maps that explain the model \
            should fall far from ρ = 1 as its layers are destroyed.

            Examples:
              loupe lrp randomise demo:cnn --data builtin:digits:test
              loupe lrp randomise demo:mlp-1 --data builtin:digits:test \\
                  --composite epsilon --samples 200 --independent
              loupe lrp randomise demo:cnn --data builtin:digits:test \\
                  --seed 7 --target label --json
            """)
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Option(help: "The data's first this many samples are compared.") var samples = ModelRandomisationOptions().samples
    @Option(help: "The composite (or one rule for every layer).") var composite = ModelRandomisationOptions().configuration.composite
    @OptionGroup var lrpOptions: LRPOptions
    @Option(help: "Seed of the re-initialised parameters.") var seed = ModelRandomisationOptions().seed
    @Flag(help: "Randomise one layer per stage, the others trained, instead of cascading from the output down.")
    var independent = false
    @Option(help: "Samples per batch.") var batch = ModelRandomisationOptions().batchSize
    @Flag(help: "Print the result as one JSON object.") var json = false
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        guard samples > 0, batch > 0 else { throw ValidationError("--samples and --batch must be positive") }
    }

    func run() throws {
        let (network, data) = try openModelAndData(model, modelOptions, dataOptions, outputs: [], force: false)
        let options = ModelRandomisationOptions(
            seed: seed, samples: samples, configuration: try lrpOptions.configuration(composite: composite),
            target: try lrpOptions.parsedTarget(for: network), order: independent ? .independent : .cascading, batchSize: batch)
        let bar = ProgressBar("model randomisation")
        let result = try ModelRandomisation(network: network, options: options).compute(data: data, progress: bar.handler)
        bar.finish()
        if json { try printJSON(result, figures: result.figures); return }
        Console.print(TerminalText.randomisation(result))
    }
}
