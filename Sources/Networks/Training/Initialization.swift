import Foundation
import LinAlg

extension Network where T == Float {
    /// Draws fresh parameters as PyTorch initialises Linear and Conv2d layers: weights and
    /// biases uniform in ±1/√fan_in (kaiming_uniform with a = √5); the others as noted.
    public mutating func initializeParameters(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for i in layers.indices {
            let params = layers[i].parameters
            guard !params.isEmpty else { continue }
            switch layers[i].operation {
            case .layerNorm, .batchNorm:
                // As torch initialises LayerNorm and BatchNorm: the identity map, weight 1 and
                // bias 0 (and running mean 0, variance 1).
                layers[i].setParameters(params.map { p in p.values.map { _ in ["weight", "running_var"].contains(p.role) ? 1 : 0 } })
                continue
            case .embedding:
                // As torch initialises Embedding: N(0, 1).
                layers[i].setParameters(params.map { p in p.values.map { _ in Float(rng.normal()) } })
                continue
            default: break
            }
            let fanIn = params[0].shape.dropFirst().reduce(1, *)
            let bound = 1 / Double(fanIn).squareRoot()
            layers[i].setParameters(params.map { p in p.values.map { _ in Float(rng.uniform(-bound, bound)) } })
        }
    }
}
