import LinAlg
import Networks

/// REPAIR (Jordan, Sedghi, Saukh, Entezari & Neyshabur 2022, "REPAIR: REnormalizing Permuted
/// Activations for Interpolation Repair"). Between two networks whose units are lined up, the
/// interpolated network's channels shrink: each is an average of two imperfectly correlated
/// ones, so its variance collapses layer after layer and the loss barrier stays high even
/// where the permutation is good. REPAIR resets every channel's mean and standard deviation
/// in the interpolated network to the interpolation of the endpoints':
///
///     μ* = (1 − λ)μ_A + λμ_B,   σ* = (1 − λ)σ_A + λσ_B,
///
/// measured on data at the output of each linear and convolution layer (after its folded
/// batchnorm) but the last. The correction is folded into that layer, y' = (y − μ)·σ*/σ + μ*:
/// its weight rows scaled by σ*/σ and its bias moved, in topological order, so that each
/// layer's statistics are measured with every correction before it in place.
public enum Repair {
    /// A channel's mean and standard deviation over samples and positions.
    public struct Statistics: Sendable {
        public var mean: [Double]
        public var std: [Double]
    }

    /// The layers REPAIR corrects: linear and conv2d layers with a bias, except those whose
    /// output is the network's (the logits keep their values).
    public static func layers(of network: Network<Float>) -> [Int] {
        network.layers.indices.filter { i in
            switch network.layers[i].operation {
            case .linear(let l): return l.bias != nil && !feedsOutputDirectly(network, i)
            case .conv2d(let c): return c.bias != nil && !feedsOutputDirectly(network, i)
            default: return false
            }
        }
    }

    /// Whether only shape-keeping layers lie between layer i and the output.
    private static func feedsOutputDirectly(_ network: Network<Float>, _ i: Int) -> Bool {
        var t = network.layers.count
        while t > i + 1 {
            let layer = network.layers[t - 1]
            switch layer.operation {
            case .flatten, .reshape, .permute, .softmax, .activation(.identity), .activation(.dropout):
                t = network.inputIndices(of: t - 1)[0]
            default: return false
            }
        }
        return t == i + 1
    }

    private static func channels(_ layer: Layer<Float>) -> (count: Int, positions: Int) {
        layer.outputShape.count == 3 ? (layer.outputShape[0], layer.outputShape[1] * layer.outputShape[2]) : (layer.outputSize, 1)
    }

    /// Every corrected layer's output statistics in `network` over `x`.
    public static func statistics(_ network: Network<Float>, layers: [Int], x: Matrix<Float>) -> [Int: Statistics] {
        let trace = network.trace(x)
        var out: [Int: Statistics] = [:]
        for i in layers {
            let (c, p) = channels(network.layers[i])
            let (mean, variance) = trace[i + 1].channelStatistics(channels: c, positions: p)
            out[i] = Statistics(mean: mean, std: variance.map { $0.squareRoot() })
        }
        return out
    }

    /// `interpolated` (the network at λ between A and permuted B) with its channels' statistics
    /// reset to the interpolation of `a`'s and `b`'s (from `statistics`) over `x`.
    public static func repaired(
        _ interpolated: Network<Float>, lambda: Double, a: [Int: Statistics], b: [Int: Statistics], x: Matrix<Float>
    ) -> Network<Float> {
        var network = interpolated
        var acts = [x]
        for i in network.layers.indices {
            var output = network.layers[i].forward(network.inputIndices(of: i).map { acts[$0] })
            if let sa = a[i], let sb = b[i] {
                let (c, p) = channels(network.layers[i])
                let (mean, variance) = output.channelStatistics(channels: c, positions: p)
                var scale = [Double](repeating: 1, count: c), shift = [Double](repeating: 0, count: c)
                for k in 0..<c {
                    let target = ((1 - lambda) * sa.mean[k] + lambda * sb.mean[k], (1 - lambda) * sa.std[k] + lambda * sb.std[k])
                    // A channel that is constant here has no spread to rescale; it is only moved.
                    let std = variance[k].squareRoot()
                    scale[k] = std > 1e-12 ? target.1 / std : 1
                    shift[k] = target.0 - mean[k] * scale[k]
                }
                network.layers[i].scaleOutputs(by: scale, adding: shift)
                output = network.layers[i].forward(network.inputIndices(of: i).map { acts[$0] })
            }
            acts.append(output)
        }
        return network
    }
}
