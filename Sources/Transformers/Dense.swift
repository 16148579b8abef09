import LinAlg
import Networks

/// x·W + b for a batch of rows, W held as the checkpoint holds it (read in place from the
/// file when it is float32): torch's Linear stores [out, in] (the product reads it transposed,
/// no copy is made), GPT-2's Conv1D [in, out].
struct Dense: Sendable {
    let weight: Weight
    /// Whether `weight` is [out, in].
    let outIn: Bool
    let bias: [Float]?

    var outputs: Int { outIn ? weight.rows : weight.cols }

    /// torch's nn.Linear `name` (name.weight [out, in], name.bias when `bias`).
    static func linear(_ t: CheckpointTensors, _ name: String, in inputs: Int, out outputs: Int, bias: Bool) throws -> Dense {
        Dense(
            weight: try t.weight("\(name).weight", outputs, inputs), outIn: true,
            bias: bias ? try t.vector("\(name).bias", outputs) : nil)
    }

    /// GPT-2's Conv1D `name` (name.weight [in, out], name.bias).
    static func conv1D(_ t: CheckpointTensors, _ name: String, in inputs: Int, out outputs: Int) throws -> Dense {
        Dense(weight: try t.weight("\(name).weight", inputs, outputs), outIn: false, bias: try t.vector("\(name).bias", outputs))
    }

    func callAsFunction(_ x: Matrix<Float>) -> Matrix<Float> {
        var y = matmul(x, weight, transposeB: outIn)
        if let bias { y.addToEachRow(bias) }
        return y
    }
}

/// The normalisation of a transformer's residual stream, each token's vector on its own.
enum TokenNorm: Sendable {
    case layer(LayerNorm<Float>)
    /// Llama's RMSNorm: x / √(mean(x²) + ε) · weight, no shift.
    case rms(weight: [Float], eps: Float)

    func callAsFunction(_ x: Matrix<Float>) -> Matrix<Float> {
        switch self {
        case .layer(let norm): return norm.forward(x)
        case .rms(let weight, let eps):
            var out = x
            let d = x.cols
            out.withUnsafeMutableBufferPointer { p in
                for r in 0..<x.rows {
                    let row = p.baseAddress! + r * d
                    // Accumulated in Double, as LayerNorm's statistics are: torch's mean sums
                    // pairwise, more exactly than a Float running sum.
                    var squares = 0.0
                    for i in 0..<d { squares += Double(row[i]) * Double(row[i]) }
                    let scale = Float(1 / (squares / Double(d) + Double(eps)).squareRoot())
                    for i in 0..<d { row[i] = weight[i] * (row[i] * scale) }
                }
            }
            return out
        }
    }
}
