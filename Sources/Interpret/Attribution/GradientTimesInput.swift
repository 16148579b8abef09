import LinAlg
import Networks

/// Gradient × input, the baseline every attribution is compared with: R = x ⊙ ∇_x(u · f(x)),
/// u the target's direction (one-hot for a class), f the scores. On a ReLU / max-pool network
/// it equals LRP-0 with biases taking part (the backward pass of LRP-0 is the gradient's), so
/// its relevance has the same scale as LRP's and Σ_i R_i = u·f(x) − the biases' share.
public enum GradientTimesInput {
    @_specialize(exported:true,where T == Float)
    @_specialize(exported:true,where T == Double)
    public static func explain<T>(network: Network<T>, x: Matrix<T>, directions: Matrix<T>) -> Matrix<T> {
        let trace = network.trace(x)
        return x.hadamard(network.backward(trace: trace, gradient: directions, at: network.scoreIndex).input)
    }
}
