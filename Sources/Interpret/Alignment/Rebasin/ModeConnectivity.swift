import LinAlg
import Networks

/// Loss and accuracy along the straight line between two networks' parameters.
public struct InterpolationCurve: Codable, Equatable, Sendable {
    /// λ from 0 (model A) to 1 (model B), evenly spaced.
    public var lambdas: [Double]
    /// Mean cross-entropy at each λ.
    public var loss: [Double]
    public var accuracy: [Double]
    /// max_λ L(λ) − ½(L(0) + L(1)), as Git Re-Basin defines the loss barrier.
    public var lossBarrier: Double
    /// ½(acc(0) + acc(1)) − min_λ acc(λ): the same idea for accuracy.
    public var accuracyBarrier: Double
}

/// Linear mode connectivity: θ(λ) = (1 − λ)θ_A + λθ_B evaluated along λ ∈ [0, 1].
public enum ModeConnectivity {
    /// A's architecture with the interpolated parameters (λ = 0 gives A exactly, 1 gives B).
    public static func interpolate(_ a: Network<Float>, _ b: Network<Float>, lambda: Double) -> Network<Float> {
        let pa = a.flatParameters, pb = b.flatParameters
        precondition(pa.count == pb.count, "ModeConnectivity.interpolate: \(pa.count) parameters against \(pb.count)")
        var out = a
        out.setFlatParameters(zip(pa, pb).map { Float((1 - lambda) * Double($0) + lambda * Double($1)) })
        return out
    }

    /// The curve at `steps` evenly spaced λ (at least 2: the end points) on labelled data;
    /// `adjusting` changes the network at each λ before it is evaluated (REPAIR).
    public static func curve(
        _ a: Network<Float>, _ b: Network<Float>, data: Dataset, steps: Int,
        adjusting adjust: ((Network<Float>, Double) -> Network<Float>)? = nil, progress: ProgressHandler? = nil
    ) throws -> InterpolationCurve {
        guard steps >= 2 else { throw InterpretError("an interpolation curve needs at least 2 steps, got \(steps)") }
        guard data.labels != nil else { throw InterpretError("data '\(data.name)' has no labels; loss and accuracy along λ need them") }
        try data.check(against: a)
        let lambdas = (0..<steps).map { Double($0) / Double(steps - 1) }
        var loss: [Double] = [], accuracy: [Double] = []
        for (k, lambda) in lambdas.enumerated() {
            let network = interpolate(a, b, lambda: lambda)
            let e = (adjust?(network, lambda) ?? network).evaluate(data.x, labels: data.labels)!
            loss.append(e.loss)
            accuracy.append(e.accuracy)
            if let progress, !progress(Double(k + 1) / Double(steps), "λ = \(lambda)") { throw CancellationError() }
        }
        return InterpolationCurve(
            lambdas: lambdas, loss: loss, accuracy: accuracy,
            lossBarrier: loss.max()! - (loss.first! + loss.last!) / 2,
            accuracyBarrier: (accuracy.first! + accuracy.last!) / 2 - accuracy.min()!)
    }
}
