import LinAlg
import Networks

/// Permutations of B's hidden units that bring its activations closest to A's on data (Git
/// Re-Basin §3.1): for each group independently, minimise ‖Z_A − Z_B Pᵀ‖², i.e. maximise
/// ⟨P, Z_Aᵀ Z_B⟩, a linear assignment. Z holds a layer's units as columns: samples for flat
/// layers, samples × positions for channels.
public enum ActivationMatching {
    public static func run(
        _ spec: PermutationSpec, a: Network<Float>, b: Network<Float>, data: Matrix<Float>,
        progress: ProgressHandler? = nil
    ) throws -> [[Int]] {
        let layers = spec.groups.map(\.activationLayer)
        let actsA = try LayerActivations.collect(a, data, layers: layers)
        let actsB = try LayerActivations.collect(b, data, layers: layers)
        var permutations: [[Int]] = []
        for (g, layer) in layers.enumerated() {
            let shape = try a.shape(of: layer)
            let za = LayerActivations.units(actsA[g], shape: shape).converted(to: Double.self)
            let zb = LayerActivations.units(actsB[g], shape: shape).converted(to: Double.self)
            permutations.append(try LinearAssignment(cost: matmul(za, zb, transposeA: true), maximize: true).permutation)
            if let progress, !progress(Double(g + 1) / Double(layers.count), "activation matching \(layer)") {
                throw CancellationError()
            }
        }
        return permutations
    }
}
