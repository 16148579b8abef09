import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// Git Re-Basin on residual networks: the layers an add sums share one permutation (the
/// residual stream), and REPAIR takes the barrier down where batchnorm leaves it high.
final class ResNetRebasinTests: XCTestCase {
    /// demo:resnet: a stem and three blocks. The stem's channels, and the second convolution of
    /// each block after it, are summed into one stream: one group, which every layer reading
    /// the stream takes as its input permutation; each block's inner channels are a group.
    func testResidualStreamIsOneGroup() throws {
        let net = try DemoModels.load("resnet")
        let spec = try PermutationSpec(net)
        XCTAssertEqual(spec.groups.map(\.layer), ["conv1", "block1.conv1", "block2.conv1", "conv2", "block3.conv1"])
        XCTAssertEqual(spec.groups.map(\.size), [32, 32, 32, 64, 64])
        let stream = Set(spec.groups[0].axes.map(\.tensor))
        // (A folded convolution without a bias of its own takes its batchnorm's bias name.)
        for tensor in [
            "conv1.weight", "bn1.bias", "block1.conv2.weight", "block1.bn2.bias", "block2.conv2.weight", "block2.bn2.bias",
            "block1.conv1.weight", "block2.conv1.weight", "conv2.weight"
        ] {
            XCTAssertTrue(stream.contains(tensor), tensor)
        }
        XCTAssertEqual(spec.groups[0].activationLayer, "pool1", "the stream as the next stage reads it")
        XCTAssertTrue(Set(spec.groups[3].axes.map(\.tensor)).isSuperset(of: ["block3.conv2.weight", "fc1.weight"]))
        // Any permutations keep the function.
        var rng = SeededRandom(seed: 3)
        let permutations = spec.groups.map { g in (0..<g.size).map { ($0, rng.uniform(0, 1)) }.sorted { $0.1 < $1.1 }.map(\.0) }
        let x = try DataSource.load("builtin:digits:test").x.rows(in: 0..<64)
        assertClose(spec.apply(permutations, to: net).forward(x), net.forward(x), tolerance: 1e-5, "permuted ResNet")
    }

    /// Two ResNets from different seeds: permuted B computes B; the permuted barriers are below
    /// the naive ones, and with REPAIR the loss barrier falls far below both (variance collapse
    /// leaves those high).
    func testBarrierFallsWithRepair() throws {
        let (a, b) = (try DemoModels.load("resnet"), try DemoModels.load("resnet-2"))
        let data = try DataSource.load("builtin:digits:test")
        for method in RebasinOptions.Method.allCases {
            let outcome = try GitRebasin.run(a, b, data: data, options: RebasinOptions(method: method, interpolationSteps: 9, repair: true))
            let r = outcome.result
            XCTAssertLessThanOrEqual(try XCTUnwrap(r.maxLogitDifference), 1e-5, "\(method)")
            let (naive, permuted, repaired) = (try XCTUnwrap(r.naive), try XCTUnwrap(r.permuted), try XCTUnwrap(r.repaired))
            XCTAssertLessThan(permuted.accuracyBarrier, naive.accuracyBarrier, "\(method)")
            XCTAssertLessThan(permuted.lossBarrier, naive.lossBarrier, "\(method)")
            XCTAssertLessThan(repaired.lossBarrier, permuted.lossBarrier / 2, "\(method)")
            XCTAssertLessThan(repaired.accuracyBarrier, permuted.accuracyBarrier / 2, "\(method)")
            // The repaired curve ends at A and B themselves: REPAIR at λ = 0 and 1 changes nothing.
            XCTAssertEqual(repaired.loss.first!, naive.loss.first!, accuracy: 1e-4)
            XCTAssertEqual(repaired.loss.last!, permuted.loss.last!, accuracy: 1e-4)
            XCTAssertEqual(r.mergedRepaired, true)
            XCTAssertEqual(
                try XCTUnwrap(r.evaluationMerged).accuracy, repaired.accuracy[4], accuracy: 1e-9,
                "the merged model is the repaired midpoint")
        }
        assertThrowsMessage(try GitRebasin.run(a, b, options: RebasinOptions(repair: true)), contains: ["REPAIR needs data"])
    }

    /// After REPAIR each corrected channel has the interpolated mean and spread (hand-checked
    /// on the merged model's first convolution).
    func testRepairSetsTheInterpolatedStatistics() throws {
        let (a, b) = (try DemoModels.load("resnet"), try DemoModels.load("resnet-2"))
        let x = try DataSource.load("builtin:digits:test").x
        let layers = Repair.layers(of: a)
        XCTAssertFalse(layers.contains(a.layers.count - 1), "the logits keep their values")
        let (sa, sb) = (Repair.statistics(a, layers: layers, x: x), Repair.statistics(b, layers: layers, x: x))
        let lambda = 0.3
        let repaired = Repair.repaired(ModeConnectivity.interpolate(a, b, lambda: lambda), lambda: lambda, a: sa, b: sb, x: x)
        let after = Repair.statistics(repaired, layers: layers, x: x)
        for i in layers {
            for c in after[i]!.mean.indices where sa[i]!.std[c] > 1e-3 {
                XCTAssertEqual(after[i]!.mean[c], (1 - lambda) * sa[i]!.mean[c] + lambda * sb[i]!.mean[c], accuracy: 1e-3)
                XCTAssertEqual(after[i]!.std[c], (1 - lambda) * sa[i]!.std[c] + lambda * sb[i]!.std[c], accuracy: 1e-3)
            }
        }
    }
}
