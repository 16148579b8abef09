import ArgumentParser
import Foundation
import Networks

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Convert an ONNX model into a Loupe model (.safetensors with its architecture).",
        discussion: reflow(
            """
            Reads a model exported with torch.onnx.export (in eval mode) and writes its weights
            with the loupe.arch/1 architecture embedded: layers named after the ONNX nodes,
            reading the layers that make their inputs; batchnorms after a convolution folded
            into it. Every command also opens a .onnx file directly; importing once saves
            reading the protobuf each time. Operators: Gemm, MatMul (+ Add of a bias), Conv,
            Relu, LeakyRelu, Sigmoid, Tanh, Gelu, Elu, Add, Mul, Sum, Concat (channels),
            BatchNormalization, LayerNormalization, MaxPool, AveragePool, GlobalAveragePool,
            ReduceMean over height and width, Flatten, Reshape to a constant shape, Transpose
            keeping the batch axis first, Softmax, Identity, Dropout, Constant; any other is
            refused naming the node.

            Examples:
              loupe import resnet.onnx --out resnet.safetensors
              loupe inspect resnet.onnx
            """)
    )

    @Argument(help: "The ONNX model.") var model: String
    @Option(help: "Write the Loupe model here (.safetensors).") var out: String
    @OptionGroup var overwrite: OverwriteOption

    func validate() throws {
        guard URL(fileURLWithPath: model).pathExtension.lowercased() == "onnx" else {
            throw ValidationError("\(model): expected an ONNX model (.onnx)")
        }
        guard URL(fileURLWithPath: out).pathExtension.lowercased() == "safetensors" else {
            throw ValidationError("--out \(out): a network is written as .safetensors")
        }
    }

    func run() throws {
        try checkOutputs([("--out", out)], inputs: CommandInputs.model(model), force: overwrite.force)
        let network = try NetworkFile.load(URL(fileURLWithPath: model))
        try NetworkFile.save(
            network, to: URL(fileURLWithPath: out), extraMetadata: ["loupe.imported": URL(fileURLWithPath: model).lastPathComponent])
        Console.print(
            "wrote \(out): \(network.layers.count) layers, \(network.learnedParameterCount) parameters, input \(shapeText(network.input.shape))"
        )
    }
}
