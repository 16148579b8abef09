import Foundation
import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// Git Re-Basin: the permutation spec keeps the function, matching recovers a known
/// permutation, and the interpolation figures follow their definitions.
final class RebasinTests: XCTestCase {
    /// A second network of `network`'s architecture with fresh weights.
    func sibling(_ network: Network<Float>, seed: UInt64) throws -> Network<Float> {
        var other = network
        other.initializeParameters(seed: seed)
        return other
    }

    func randomPermutations(_ spec: PermutationSpec, seed: UInt64) -> [[Int]] {
        var rng = SeededRandom(seed: seed)
        return spec.groups.map { rng.permutation($0.size) }
    }

    /// |a − b| ≤ tolerance · max(1, |b|) everywhere.
    func assertSameLogits(
        _ a: Network<Float>, _ b: Network<Float>, on x: Matrix<Float>, tolerance: Double = 1e-5,
        _ what: String, line: UInt = #line
    ) {
        let la = a.forward(x), lb = b.forward(x)
        let worst = zip(la.storage, lb.storage).map { Double(abs($0 - $1)) / max(1, Double(abs($1))) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, tolerance, "\(what): logits differ by \(worst)", line: line)
    }

    func cnnWithBatchnorm() throws -> Network<Float> {
        let folder = fixtures.appendingPathComponent("networks")
        return try NetworkFile.load(
            folder.appendingPathComponent("cnn.safetensors"),
            architecture: folder.appendingPathComponent("cnn.arch.json"))
    }

    func testSpecOfAnMLP() throws {
        let spec = try PermutationSpec(try DemoModels.load("mlp-1"))
        XCTAssertEqual(spec.groups.map(\.layer), ["fc1", "fc2"])
        XCTAssertEqual(spec.groups.map(\.size), [256, 256])
        XCTAssertEqual(spec.groups.map(\.activationLayer), ["relu1", "relu2"])
        XCTAssertEqual(spec.groups[0].axes.map(\.tensor), ["fc1.weight", "fc1.bias", "fc2.weight"])
        XCTAssertEqual(spec.groups[1].axes.map(\.tensor), ["fc2.weight", "fc2.bias", "fc3.weight"])
        // fc2.weight [256, 256]: rows belong to fc2's units, columns (outer 256, inner 1) to fc1's.
        XCTAssertEqual(spec.groups[0].axes[2].outer, 256)
        XCTAssertEqual(spec.groups[0].axes[2].inner, 1)
        XCTAssertEqual(spec.groups[1].axes[0].outer, 1)
        XCTAssertEqual(spec.groups[1].axes[0].inner, 256)
    }

    func testSpecOfACNNExpandsChannelsThroughFlatten() throws {
        let spec = try PermutationSpec(try cnnWithBatchnorm())
        XCTAssertEqual(spec.groups.map(\.layer), ["conv1", "conv2", "fc1"])
        XCTAssertEqual(spec.groups.map(\.activationLayer), ["pool1", "pool2", "relu3"])
        // fc1 reads the flattened conv2 channels: each channel owns a block of H·W inputs.
        let flattened = try XCTUnwrap(spec.groups[1].axes.last)
        let cnn = try cnnWithBatchnorm()
        let pool2 = try cnn.shape(of: "pool2")
        XCTAssertEqual(flattened.inner, pool2[1] * pool2[2])
        XCTAssertEqual(flattened.tensor, cnn.layers.first { $0.name == "fc1" }!.tensorNames[0])
    }

    func testPermutingKeepsTheFunction() throws {
        let x = try Digits.load(.test).x
        for model in [try DemoModels.load("mlp-1"), try DemoModels.load("bilinear"), try DemoModels.load("cnn"), try cnnWithBatchnorm()] {
            let spec = try PermutationSpec(model)
            let permuted = spec.apply(randomPermutations(spec, seed: 3), to: model)
            XCTAssertNotEqual(permuted.flatParameters, model.flatParameters, model.name)
            assertSameLogits(permuted, model, on: x, model.name)
        }
    }

    /// Layernorm weights and biases move with the units they scale: over a flat layer, over all
    /// of a convolution's [C, H, W] (in blocks of H·W), and not at all when they span only the
    /// last axis; the permuted network computes the same, and weight matching undoes a shuffle.
    func testLayerNormFollowsItsUnits() throws {
        func layer(_ name: String, _ kind: String, out: Int? = nil, norm: [Int]? = nil) -> LayerSpec {
            var s = LayerSpec(name: name, kind: kind)
            if out != nil || kind == "layernorm" { (s.weight, s.bias) = ("\(name).w", "\(name).b") }
            s.out = out
            s.normalizedShape = norm
            if kind == "conv2d" { (s.kernel, s.padding) = (IntPair(3), IntPair(1)) }
            return s
        }
        let specs = [
            ArchitectureSpec(
                name: "mlp-ln", input: InputSpec(shape: [64]),
                layers: [
                    layer("fc1", "linear", out: 24), layer("ln1", "layernorm"), layer("gelu", "gelu"),
                    layer("fc2", "linear", out: 10)
                ]),
            ArchitectureSpec(
                name: "cnn-ln", input: InputSpec(shape: [1, 8, 8]),
                layers: [
                    layer("conv", "conv2d", out: 4), layer("ln1", "layernorm", norm: [4, 8, 8]), layer("relu", "relu"),
                    layer("ln2", "layernorm", norm: [8]), layer("flatten", "flatten"), layer("fc", "linear", out: 10)
                ])
        ]
        let x = try Digits.load(.test).x.rows(in: 0..<50)
        for spec in specs {
            var model = try NetworkFile.untrained(spec, seed: 4)
            var rng = SeededRandom(seed: 5)
            model.setFlatParameters(model.flatParameters.map { _ in Float(rng.normal()) })  // layernorms not the identity
            let permutations = try PermutationSpec(model)
            XCTAssertEqual(
                permutations.groups[0].axes.map(\.tensor),
                spec.name == "mlp-ln" ? ["fc1.w", "fc1.b", "ln1.w", "ln1.b", "fc2.w"] : ["conv.w", "conv.b", "ln1.w", "ln1.b", "fc.w"])
            let shuffle = randomPermutations(permutations, seed: 6)
            let b = permutations.apply(shuffle, to: model)
            assertSameLogits(b, model, on: x, spec.name)
            let found = try WeightMatching.run(
                permutations, a: PermutationSpec.tensors(of: model), b: PermutationSpec.tensors(of: b), seed: 1)
            XCTAssertEqual(permutations.apply(found.permutations, to: b).flatParameters, model.flatParameters, spec.name)
        }
    }

    /// A reshape that keeps the channels outermost (back from flat to [C, H, W]) lets their
    /// permutation through; one that splits a linear layer's features into channels is refused.
    func testReshapeKeepsChannelsOrIsRefused() throws {
        func layer(_ name: String, _ kind: String, out: Int? = nil, shape: [Int]? = nil) -> LayerSpec {
            var s = LayerSpec(name: name, kind: kind, weight: out == nil ? nil : "\(name).w", bias: out == nil ? nil : "\(name).b")
            s.out = out
            s.shape = shape
            if kind == "conv2d" { (s.kernel, s.padding) = (IntPair(3), IntPair(1)) }
            return s
        }
        let through = try NetworkFile.untrained(
            ArchitectureSpec(
                name: "through", input: InputSpec(shape: [1, 8, 8]),
                layers: [
                    layer("c1", "conv2d", out: 4), layer("relu", "relu"), layer("flat", "flatten"),
                    layer("back", "reshape", shape: [4, 8, 8]), layer("c2", "conv2d", out: 3), layer("f", "flatten"),
                    layer("fc", "linear", out: 10)
                ]), seed: 2)
        let spec = try PermutationSpec(through)
        let permuted = spec.apply(randomPermutations(spec, seed: 3), to: through)
        XCTAssertNotEqual(permuted.flatParameters, through.flatParameters)
        assertSameLogits(permuted, through, on: try Digits.load(.test).x.rows(in: 0..<50), "through a reshape")
        let split = try NetworkFile.untrained(
            ArchitectureSpec(
                name: "split", input: InputSpec(shape: [64]),
                layers: [
                    layer("fc1", "linear", out: 32), layer("r", "reshape", shape: [2, 4, 4]), layer("c", "conv2d", out: 2),
                    layer("f", "flatten"), layer("fc2", "linear", out: 10)
                ]), seed: 2)
        assertThrowsMessage(try PermutationSpec(split), contains: ["reshape 'r'", "[32] into [2, 4, 4]", "32 units of 'fc1'"])
    }

    /// B is A with its hidden units shuffled: both matchings find the shuffle exactly, and
    /// permuting B by what they found gives A back.
    func testMatchingRecoversAKnownPermutation() throws {
        let x = try Digits.load(.test).x
        for a in [try DemoModels.load("mlp-1"), try DemoModels.load("bilinear"), try DemoModels.load("cnn")] {
            let spec = try PermutationSpec(a)
            let shuffle = randomPermutations(spec, seed: 9)
            let b = spec.apply(shuffle, to: a)
            // Unit u of B is unit shuffle[u] of A, so B's unit for A's unit shuffle[u] is u.
            let expected = shuffle.map { s in
                var inverse = [Int](repeating: 0, count: s.count)
                for (u, v) in s.enumerated() { inverse[v] = u }
                return inverse
            }
            let weight = try WeightMatching.run(spec, a: PermutationSpec.tensors(of: a), b: PermutationSpec.tensors(of: b), seed: 1)
            XCTAssertEqual(weight.permutations, expected, "weight matching, \(a.name)")
            XCTAssertEqual(spec.apply(weight.permutations, to: b).flatParameters, a.flatParameters)
            // Units that never fire on the data look alike to activation matching, which may
            // pair them in any order; every other unit is found.
            let activation = try ActivationMatching.run(spec, a: a, b: b, data: x)
            for (g, group) in spec.groups.enumerated() {
                let acts = try LayerActivations.collect(a, x, layers: [group.activationLayer])[0]
                let units = LayerActivations.units(acts, shape: try a.shape(of: group.activationLayer))
                let silent = Set((0..<units.cols).filter { j in (0..<units.rows).allSatisfy { units[$0, j] == 0 } })
                for i in 0..<group.size where !silent.contains(i) {
                    XCTAssertEqual(activation[g][i], expected[g][i], "activation matching, \(a.name) \(group.layer) unit \(i)")
                }
                XCTAssertLessThan(silent.count, group.size / 4, "\(a.name) \(group.layer)")
            }
        }
    }

    /// The acceptance run: two MLPs trained from different seeds.
    func testDemoMLPsBarrierFallsAfterPermuting() throws {
        let a = try DemoModels.load("mlp-1"), b = try DemoModels.load("mlp-2")
        let data = try Digits.load(.test)
        let outcome = try GitRebasin.run(a, b, data: data, options: RebasinOptions(method: .weight, seed: 0, interpolationSteps: 11))
        let r = outcome.result
        let naive = try XCTUnwrap(r.naive), permuted = try XCTUnwrap(r.permuted)
        XCTAssertLessThan(permuted.lossBarrier, naive.lossBarrier / 2, "naive \(naive.lossBarrier), permuted \(permuted.lossBarrier)")
        XCTAssertLessThan(r.distancePermuted, r.distanceNaive)
        XCTAssertLessThan(try XCTUnwrap(r.maxLogitDifference), 1e-5)
        assertSameLogits(outcome.permuted, b, on: data.x, "permuted demo:mlp-2")
        // The end points are the two models; the barrier is as defined.
        XCTAssertEqual(naive.loss[0], try XCTUnwrap(r.evaluationA).loss, accuracy: 1e-12)
        XCTAssertEqual(naive.loss[10], try XCTUnwrap(r.evaluationB).loss, accuracy: 1e-12)
        XCTAssertEqual(permuted.loss[10], try XCTUnwrap(r.evaluationB).loss, accuracy: 1e-6)
        XCTAssertEqual(naive.lossBarrier, naive.loss.max()! - (naive.loss[0] + naive.loss[10]) / 2, accuracy: 1e-15)
        XCTAssertEqual(permuted.lambdas, (0...10).map { Double($0) / 10 })
        // The merged model is the midpoint of A and permuted B, and is the curve's middle point.
        let midpoint = zip(a.flatParameters, outcome.permuted.flatParameters).map { Float(0.5 * Double($0) + 0.5 * Double($1)) }
        XCTAssertEqual(outcome.merged.flatParameters, midpoint)
        XCTAssertEqual(try XCTUnwrap(r.evaluationMerged).loss, permuted.loss[5], accuracy: 1e-12)
        XCTAssertEqual(r.groups.map(\.layer), ["fc1", "fc2"])
    }

    func testPermutedBilinearAndCNNKeepTheirFunction() throws {
        let data = try Digits.load(.test)
        for a in [try DemoModels.load("bilinear"), try DemoModels.load("cnn")] {
            let b = try sibling(a, seed: 77)
            for method in RebasinOptions.Method.allCases {
                let outcome = try GitRebasin.run(a, b, data: data, options: RebasinOptions(method: method))
                assertSameLogits(outcome.permuted, b, on: data.x, "\(a.name) \(method)")
                XCTAssertLessThan(outcome.result.distancePermuted, outcome.result.distanceNaive, "\(a.name) \(method)")
            }
        }
    }

    func testSavedPermutedNetworkLoadsAndComputesTheSame() throws {
        let dir = try temporaryDirectory(self)
        let a = try cnnWithBatchnorm(), b = try sibling(a, seed: 5)
        let outcome = try GitRebasin.run(a, b)
        let url = dir.appendingPathComponent("b_permuted.safetensors")
        try NetworkFile.save(outcome.permuted, to: url)
        let reloaded = try NetworkFile.load(url)
        assertSameLogits(reloaded, b, on: try Digits.load(.test).x, "reloaded")
        XCTAssertEqual(reloaded.parameterSlots.map(\.tensorName), b.parameterSlots.map(\.tensorName))
    }

    func testProgressReportsAndCancels() throws {
        let a = try DemoModels.load("mlp-1"), b = try DemoModels.load("mlp-2")
        let data = try Digits.load(.test)
        var fractions: [Double] = []
        _ = try GitRebasin.run(a, b, data: data, options: RebasinOptions(interpolationSteps: 3)) { f, _ in
            fractions.append(f); return true
        }
        XCTAssertEqual(try XCTUnwrap(fractions.last), 1, accuracy: 1e-12)
        XCTAssertEqual(fractions, fractions.sorted())
        for method in RebasinOptions.Method.allCases {
            XCTAssertThrowsError(try GitRebasin.run(a, b, data: data, options: RebasinOptions(method: method)) { _, _ in false }) {
                XCTAssertTrue($0 is CancellationError)
            }
        }
    }

    func testRefusesWhatItCannotMatch() throws {
        let mlp = try DemoModels.load("mlp-1"), cnn = try DemoModels.load("cnn")
        assertThrowsMessage(try GitRebasin.run(mlp, cnn), contains: ["demo:mlp-1", "demo:cnn", "architecture"])
        let wider = try NetworkFile.untrained(try ShortSpec.parse("mlp:64-128-256-10", name: "wider"), seed: 1)
        assertThrowsMessage(try GitRebasin.run(mlp, wider), contains: ["fc1", "one architecture"])
        assertThrowsMessage(
            try GitRebasin.run(mlp, try DemoModels.load("mlp-2"), options: RebasinOptions(method: .activation)),
            contains: ["needs data"])
        let single = try NetworkFile.untrained(try ShortSpec.parse("mlp:64-10", name: "logistic"), seed: 1)
        assertThrowsMessage(try PermutationSpec(single), contains: ["logistic", "1 parametrised layer"])
        let unlabelled = Dataset(name: "x.npy", x: try Digits.load(.test).x, labels: nil, sampleShape: [64])
        assertThrowsMessage(try ModeConnectivity.curve(mlp, mlp, data: unlabelled, steps: 5), contains: ["x.npy", "no labels"])
        assertThrowsMessage(try ModeConnectivity.curve(mlp, mlp, data: try Digits.load(.test), steps: 1), contains: ["at least 2"])
    }
}
