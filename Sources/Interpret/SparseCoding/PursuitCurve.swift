import LinAlg

/// How fast matching pursuit explains its inputs: after each step t = 0, 1, …, the fraction of
/// Σ‖x − b_dec‖² still in the residual (a sample that stopped earlier keeps its last residual).
/// The MP-SAE paper plots this curve; a report of an MP-SAE shows it.
public struct PursuitCurve: Codable, Sendable, Equatable {
    /// Index t: Σ‖r_t‖² / Σ‖r_0‖² over the samples.
    public var residualEnergy: [Double]
    public var samples: Int

    /// The curve over `x`'s rows. Each step subtracts c·d_j with c = ⟨r, d_j⟩, so
    /// ‖r − c·d_j‖² = ‖r‖² − c²(2 − ‖d_j‖²): the curve follows from the path and the atoms' norms
    /// without reconstructing each step (c² for the unit-norm atoms training keeps).
    public static func measure(_ sae: SparseAutoencoder<Float>, on x: Matrix<Float>) -> PursuitCurve {
        precondition(sae.architecture == .matchingPursuit, "PursuitCurve: a matching-pursuit SAE")
        let path = MatchingPursuit.encode(
            x, atoms: sae.decoder, bias: sae.decoderBias, gram: nil, stopping: sae.stopping
        ).path
        let atomNorms = sae.decoder.rowNorms().map { Double($0) * Double($0) }
        var centred = x
        centred.addToEachRow(sae.decoderBias.map { -$0 })
        let start = centred.rowNorms().map { Double($0) * Double($0) }
        let steps = path.l0.max() ?? 0
        var energy = [Double](repeating: 0, count: steps + 1)
        for b in 0..<path.count {
            var left = start[b]
            energy[0] += left
            let range = path.range(b)
            for t in stride(from: 1, through: steps, by: 1) {
                if t <= range.count {
                    let i = range.lowerBound + t - 1
                    let c = Double(path.values[i])
                    left = max(left - c * c * (2 - atomNorms[path.indices[i]]), 0)
                }
                energy[t] += left
            }
        }
        let total = energy[0]
        return PursuitCurve(residualEnergy: energy.map { total > 0 ? $0 / total : 0 }, samples: x.rows)
    }
}
