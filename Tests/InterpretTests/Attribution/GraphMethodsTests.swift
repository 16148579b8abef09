import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// The methods on networks that are graphs (the residual CNN and MLP of
/// Tests/Fixtures/networks/make_graph_fixtures.py): the linear interpreter is exact through
/// add, concat and kept batchnorms; the methods that walk a chain say so in one line.
final class GraphMethodsTests: XCTestCase {
    static let file = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/networks/graphs.safetensors")

    private func load(_ name: String) throws -> (SafeTensorsFile, Network<Float>) {
        let file = try SafeTensors.read(Self.file)
        let spec = try ArchitectureSpec.decode(Data(try XCTUnwrap(file.metadata["\(name).arch"]).utf8), source: name)
        return (file, try NetworkFile.build(spec, tensors: file.tensors, source: name))
    }

    /// f(x) = A(x)·x + b(x) on a residual CNN with a batchnorm on its input and one after the
    /// add; and Σ_k c_k A_k(x) is torch's gradient of c·f at x.
    func testInterpreterIsExactOnAResidualNetwork() throws {
        let (file, net) = try load("rescnn")
        let x: Matrix<Double> = try XCTUnwrap(file.tensors["rescnn.x"]).matrix()
        let interpreter = try LinearInterpreter(network: net.converted(to: Double.self))
        XCTAssertEqual(interpreter.biasLayers, ["bn0", "conv1", "conv2", "conv3", "bn4", "conv4", "fc"])
        let maps = try interpreter.interpret(x)
        XCTAssertEqual(maps.biasShares.count, interpreter.biasLayers.count)
        XCTAssertLessThanOrEqual(maps.residuals.maxAbs(), 1e-10)
        let direction: Matrix<Double> = try XCTUnwrap(file.tensors["rescnn.direction"]).matrix()
        let expected: Matrix<Double> = try XCTUnwrap(file.tensors["rescnn.input_grad"]).matrix()
        for n in 0..<x.rows {
            let gradient = matvec(maps.templates(sample: n).transposed(), Array(direction.row(n)))
            let worst = zip(gradient, expected.row(n)).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            XCTAssertLessThanOrEqual(worst, 1e-6, "sample \(n)")
        }
    }

    /// On demo:resnet (folded batchnorms, three residual adds, max and average pooling) the
    /// affine maps reproduce every logit of every test sample.
    func testInterpreterReproducesDemoResNetLogits() throws {
        let net = try DemoModels.load("resnet").converted(to: Double.self)
        let x = try DataSource.load("builtin:digits:test").x.converted(to: Double.self)
        let maps = try LinearInterpreter(network: net).interpret(x)
        XCTAssertLessThanOrEqual(maps.residuals.maxAbs(), 1e-5 * max(1, maps.scores.maxAbs()))
        XCTAssertEqual(maps.scores, net.scores(x))
    }

    func testInterpreterRefusesAGate() throws {
        let (_, net) = try load("resmlp")
        assertThrowsMessage(try LinearInterpreter(network: net), contains: ["piecewise-linear", "layer 'gate'", "is sigmoid"])
    }

    func testWhatEachMethodDoesWithABranch() throws {
        let (_, net) = try load("rescnn")
        assertThrowsMessage(
            try GitRebasin.run(net, net), contains: ["Re-Basin: concat 'cat' puts the units of several layers side by side"])
        // LRP follows the graph (a kept batchnorm passes relevance on, as in Zennit), but has no
        // rule for a gate.
        XCTAssertEqual(try LRP(network: net).layerRules.first { $0.layer == "bn0" }?.rule, "pass")
        let (_, mlp) = try load("resmlp")
        assertThrowsMessage(try LRP(network: mlp), contains: ["mul 'mul' (a gate), which no rule here covers yet"])
        assertThrowsMessage(
            try BilinearSite(network: mlp, layer: "fc3"), contains: ["the bilinear decomposition runs on chains of layers so far"])
    }

    /// A grouped (and a depthwise) convolution is an ordinary one with zeros outside its groups
    /// to the interpreter and to LRP; Re-Basin refuses to mix its groups.
    func testGroupedConvolutions() throws {
        let (file, net) = try load("grouped")
        let x: Matrix<Double> = try XCTUnwrap(file.tensors["grouped.x"]).matrix()
        XCTAssertLessThanOrEqual(try LinearInterpreter(network: net.converted(to: Double.self)).interpret(x).residuals.maxAbs(), 1e-10)
        let lrp = try LRP(
            network: net.converted(to: Double.self),
            configuration: LRPConfiguration(composite: .uniform(.zero), stabilizer: 0, biasAbsorbsRelevance: true))
        let batch = try lrp.explain(x, target: .predicted)
        let gradient = GradientTimesInput.explain(network: net.converted(to: Double.self), x: x, directions: batch.directions)
        assertClose(batch.relevance, gradient, tolerance: 1e-9, "LRP-0 against gradient × input")
        assertThrowsMessage(try PermutationSpec(net), contains: ["'conv1' is a grouped convolution (2 groups)"])
    }

    /// Relevance reaches token ids as the sum over each token's vector: with LRP-0 that is the
    /// gradient × input of the rest of the network at the looked-up vectors, token by token.
    /// The interpreter and Re-Basin say why they do not apply.
    func testLRPSumsEachTokensVector() throws {
        func spec(_ input: String, _ layers: [String]) throws -> ArchitectureSpec {
            let json =
                #"{"format": "loupe.arch/1", "name": "m", "input": {"shape": \#(input)}, "layers": [\#(layers.joined(separator: ","))]}"#
            return try ArchitectureSpec.decode(Data(json.utf8), source: "m.json")
        }
        let rest = [
            #"{"name": "flat", "kind": "flatten"}"#, #"{"name": "fc1", "kind": "linear", "out": 4, "weight": "w1", "bias": "b1"}"#,
            #"{"name": "relu", "kind": "relu"}"#, #"{"name": "fc2", "kind": "linear", "out": 3, "weight": "w2", "bias": "b2"}"#
        ]
        let embed = #"{"name": "embed", "kind": "embedding", "num_embeddings": 5, "out": 2, "weight": "wte"}"#
        let net = try NetworkFile.untrained(try spec("[3]", [embed] + rest), seed: 11)
        let tail = try NetworkFile.build(try spec("[3, 2]", rest), tensors: NetworkFile.tensors(of: net), source: "tail")
        let ids = Matrix<Double>(rows: 4, cols: 3, storage: [4, 0, 4, 1, 2, 3, 0, 0, 0, 3, 3, 1])
        let lrp = try LRP(
            network: net.converted(to: Double.self),
            configuration: LRPConfiguration(composite: .uniform(.zero), stabilizer: 0, biasAbsorbsRelevance: true))
        XCTAssertEqual(lrp.layerRules.first?.rule, "summed over each token's vector")
        let batch = try lrp.explain(ids, target: .predicted)
        let vectors = net.converted(to: Double.self).layers[0].forward(ids)
        let gradient = GradientTimesInput.explain(network: tail.converted(to: Double.self), x: vectors, directions: batch.directions)
        let perToken = Matrix(
            rows: ids.rows, cols: ids.cols, storage: Matrix(rows: ids.count, cols: 2, storage: gradient.storage).rowSums())
        assertClose(batch.relevance, perToken, tolerance: 1e-12, "LRP-0 per token against gradient × input of the vectors")
        XCTAssertGreaterThan(batch.relevance.maxAbs(), 1e-3)
        // Pixel flipping sets tokens to the baseline, which must be an id.
        let data = Dataset(name: "ids", x: ids.converted(), labels: nil, sampleShape: [3])
        for (baseline, refused) in [(0.0, false), (0.5, true), (5, true)] {
            let flip = {
                try PixelFlippingResult.compute(
                    network: net, data: data, samples: [0, 1], methods: [LRPConfiguration()],
                    options: PixelFlippingOptions(steps: 3, baseline: .value(baseline), randomOrders: 1))
            }
            if refused {
                assertThrowsMessage(
                    try flip(), contains: ["pixel flipping: the baseline \(Float(baseline)) is not a token id of model 'm'"])
            } else {
                XCTAssertEqual(try flip().curves.first?.meanScore.count, 4)
            }
        }
        // zB's box is of what its layer reads: after an embedding, vectors, not the ids' range.
        var ranged = try spec("[3]", [embed] + rest)
        ranged.input.range = [0, 4]
        let withRange = try NetworkFile.build(ranged, tensors: NetworkFile.tensors(of: net), source: "m")
        assertThrowsMessage(
            try LRP(network: withRange, configuration: LRPConfiguration(composite: .deepTaylor)),
            contains: ["zB on layer 'fc1' needs the box of the values it reads, but model 'm' reads token ids"])
        XCTAssertNoThrow(try LRP(network: withRange, configuration: LRPConfiguration(composite: .deepTaylor, inputBox: -3...3)))
        assertThrowsMessage(try LinearInterpreter(network: net), contains: ["layer 'embed' of 'm' is embedding"])
        assertThrowsMessage(
            try PermutationSpec(net), contains: ["Re-Basin: embedding 'embed' lays its units along the last axis of [3, 2]"])
    }

    /// Activations of any node, and the part of the network after a cut, for SAEs and CKA.
    func testActivationsOfAnyNode() throws {
        let (file, net) = try load("rescnn")
        let x: Matrix<Float> = try XCTUnwrap(file.tensors["rescnn.x"]).matrix()
        let data = Dataset(name: "x", x: x, labels: nil, sampleShape: [3, 6, 6])
        let trace = net.trace(x)
        for layer in ["conv3", "add2", "cat"] {
            let source = try LayerActivationSource(network: net, layer: layer, data: data)
            XCTAssertEqual(try source.rows(in: 0..<x.rows), trace[try net.traceIndex(of: layer)], layer)
        }
    }
}
