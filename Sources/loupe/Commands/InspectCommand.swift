import ArgumentParser
import Foundation
import LinAlg
import Networks

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show a model's layers, shapes and parameter counts, and its accuracy on data.",
        discussion: """
        Examples:
          loupe inspect demo:cnn
          loupe inspect demo:mlp-1 --data builtin:digits:test
          loupe inspect model.safetensors --arch model.arch.json --data test.npz --json
        """
    )

    @Argument(help: "A .safetensors model or demo:NAME.") var model: String
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var dataOptions: DataOptions
    @Flag(help: "Print the result as one JSON object.") var json = false

    struct LayerRow: Encodable {
        let name: String, kind: String, inputShape: [Int], outputShape: [Int], parameters: Int, weightNorm: Double?
    }
    struct Output: Encodable {
        let model: String, name: String, parameters: Int, input: [Int], classes: [String]
        let layers: [LayerRow]
        let data: String?, evaluation: Evaluation?
    }

    func run() throws {
        let network = try openModel(model, modelOptions)
        let data = try dataOptions.load(required: false)
        if let data { try data.check(against: network) }
        let rows = network.layers.map { layer -> LayerRow in
            let params = layer.parameters
            let weightNorm = params.first.map { Double(norm($0.values)) }
            return LayerRow(name: layer.name, kind: layer.operation.kind, inputShape: layer.inputShape, outputShape: layer.outputShape,
                            parameters: params.reduce(0) { $0 + $1.values.count }, weightNorm: weightNorm)
        }
        let evaluation = data.flatMap { network.evaluate($0.x, labels: $0.labels) }
        let output = Output(model: model, name: network.name, parameters: network.parameterCount, input: network.input.shape,
                            classes: network.classNames, layers: rows, data: data?.name, evaluation: evaluation)
        if json { try printJSON(output); return }
        print("\(model)  (\(network.name))  input \(shapeText(network.input.shape))  \(network.outputSize) outputs  \(network.parameterCount) parameters")
        var table = TextTable(["layer", "kind", "input", "output", "parameters", "‖W‖"], numeric: [4, 5])
        for r in rows {
            table.add([r.name, r.kind, shapeText(r.inputShape), shapeText(r.outputShape), r.parameters > 0 ? "\(r.parameters)" : "",
                       r.weightNorm.map { String(format: "%.3f", $0) } ?? ""])
        }
        print(table.rendered)
        if let data {
            if let e = evaluation {
                print(String(format: "%@: %d samples, accuracy %.2f %%, loss %.4f", data.name, e.samples, 100 * e.accuracy, e.loss))
            } else {
                print("\(data.name): \(data.count) samples, no labels")
            }
        }
    }
}
