import Foundation

/// Rotary position embeddings (Llama): each head's pairs (i, i + d/2) at position t turned by
/// t·ωᵢ, with ωᵢ = θ^(−2i/d), or those frequencies rescaled for a longer context than training's.
public struct RotaryPositions: Sendable, Equatable {
    public let theta: Double
    public let scaling: Scaling?

    public enum Scaling: Sendable, Equatable {
        /// Every frequency divided by `factor` (position interpolation).
        case linear(factor: Double)
        /// Llama 3.1's: wavelengths beyond original/lowFrequency are divided by `factor`, those
        /// under original/highFrequency kept, and the band between blended smoothly.
        case llama3(factor: Double, lowFrequency: Double, highFrequency: Double, original: Double)
    }

    /// ωᵢ for a head of `dimension` values, in Float32 arithmetic step by step as transformers
    /// computes them (its angles are Float32 products of these), so that angles agree to the bit.
    public func frequencies(_ dimension: Int) -> [Float] {
        (0..<(dimension / 2)).map { i in
            let omega = 1 / Float(pow(theta, Double(Float(2 * i) / Float(dimension))))
            switch scaling {
            case nil: return omega
            case .linear(let factor): return omega / Float(factor)
            case .llama3(let factor, let low, let high, let original):
                let (factor, low, high, original) = (Float(factor), Float(low), Float(high), Float(original))
                let wavelength = 2 * Float.pi / omega
                if wavelength < original / high { return omega }
                if wavelength > original / low { return omega / factor }
                let smooth = (original / wavelength - low) / (high - low)
                return (1 - smooth) * omega / factor + smooth * omega
            }
        }
    }
}
