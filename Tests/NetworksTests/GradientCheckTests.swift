import LinAlg
import Networks
import XCTest

/// Every layer's backward pass against central finite differences, in Float64.
final class GradientCheckTests: XCTestCase {
    /// Builds an untrained network from layer specs, in Float64, with random parameters.
    func network(_ input: [Int], _ layers: [LayerSpec], seed: UInt64) throws -> Network<Double> {
        let spec = ArchitectureSpec(name: "check", input: InputSpec(shape: input), layers: layers)
        var net = try NetworkFile.untrained(spec, seed: seed).converted(to: Double.self)
        var rng = SeededRandom(seed: seed + 100)
        net.setFlatParameters((0..<net.parameterCount).map { _ in rng.normal() * 0.5 })
        return net
    }

    func linear(_ name: String, out: Int, bias: Bool = true) -> LayerSpec {
        var s = LayerSpec(name: name, kind: "linear", weight: "\(name).w", bias: bias ? "\(name).b" : nil)
        s.out = out
        return s
    }

    /// Checks dL/dx and dL/dθ for L = Σ c ⊙ f(x) with a random c.
    func check(
        _ net: Network<Double>, samples: Int = 3, seed: UInt64 = 7, tolerance: Double = 1e-6,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var rng = SeededRandom(seed: seed)
        let x: Matrix<Double> = rng.normalMatrix(rows: samples, cols: net.inputSize)
        let c: Matrix<Double> = rng.normalMatrix(rows: samples, cols: net.outputSize)
        func loss(_ n: Network<Double>, _ x: Matrix<Double>) -> Double { n.forward(x).hadamard(c).sum() }
        let (gx, gθ) = net.backward(trace: net.trace(x), gradient: c)
        let h = 1e-6
        for i in 0..<x.count {
            var xp = x, xm = x
            xp.withUnsafeMutableBufferPointer { $0[i] += h }
            xm.withUnsafeMutableBufferPointer { $0[i] -= h }
            let numeric = (loss(net, xp) - loss(net, xm)) / (2 * h)
            XCTAssertEqual(gx.storage[i], numeric, accuracy: tolerance * max(1, abs(numeric)), "input \(i)", file: file, line: line)
        }
        let theta = net.flatParameters
        XCTAssertEqual(gθ.count, theta.count, file: file, line: line)
        for i in 0..<theta.count {
            var plus = net, minus = net
            var tp = theta, tm = theta
            tp[i] += h
            tm[i] -= h
            plus.setFlatParameters(tp)
            minus.setFlatParameters(tm)
            let numeric = (loss(plus, x) - loss(minus, x)) / (2 * h)
            XCTAssertEqual(gθ[i], numeric, accuracy: tolerance * max(1, abs(numeric)), "parameter \(i)", file: file, line: line)
        }
    }

    func testLinearAndSmoothActivations() throws {
        for kind in ["tanh", "sigmoid", "gelu", "gelu_tanh", "silu", "elu", "identity", "dropout"] {
            check(try network([5], [linear("a", out: 4), LayerSpec(name: "f", kind: kind), linear("b", out: 3, bias: false)], seed: 1))
        }
    }

    func testReLUAndLeakyReLU() throws {
        // Random inputs almost surely avoid the kink at 0.
        check(try network([6], [linear("a", out: 8), LayerSpec(name: "r", kind: "relu"), linear("b", out: 3)], seed: 2))
        var leaky = LayerSpec(name: "r", kind: "leaky_relu")
        leaky.negativeSlope = 0.3
        check(try network([6], [linear("a", out: 8), leaky, linear("b", out: 3)], seed: 2))
    }

    func testBilinearWithBiases() throws {
        var b = LayerSpec(name: "bl", kind: "bilinear")
        b.left = "bl.l"; b.right = "bl.r"; b.leftBias = "bl.lb"; b.rightBias = "bl.rb"; b.out = 4
        check(try network([5], [linear("e", out: 6, bias: false), b, linear("h", out: 3)], seed: 3))
    }

    func testConvolutionWithStrideAndPadding() throws {
        var c = LayerSpec(name: "c", kind: "conv2d", weight: "c.w", bias: "c.b")
        c.out = 3; c.kernel = IntPair(3, 2); c.stride = IntPair(2, 1); c.padding = IntPair(1, 0)
        check(try network([2, 5, 4], [c, LayerSpec(name: "f", kind: "flatten"), linear("o", out: 2)], seed: 4))
        c.dilation = IntPair(2, 1)
        check(try network([2, 6, 4], [c, LayerSpec(name: "f", kind: "flatten"), linear("o", out: 2)], seed: 4))
    }

    func testPooling() throws {
        for kind in ["maxpool2d", "avgpool2d"] {
            var c = LayerSpec(name: "c", kind: "conv2d", weight: "c.w", bias: "c.b")
            c.out = 2; c.kernel = IntPair(3); c.padding = IntPair(1)
            var p = LayerSpec(name: "p", kind: kind)
            p.kernel = IntPair(2); p.stride = IntPair(2, 1)
            check(try network([1, 4, 5], [c, p, LayerSpec(name: "f", kind: "flatten"), linear("o", out: 3)], seed: 5))
        }
    }

    func testSoftmax() throws {
        check(try network([4], [linear("a", out: 5), LayerSpec(name: "s", kind: "softmax")], seed: 6))
    }

    func testCrossEntropyGradient() {
        var rng = SeededRandom(seed: 8)
        let z: Matrix<Double> = rng.normalMatrix(rows: 4, cols: 5)
        let labels = [0, 3, 4, 1]
        let (loss, g) = crossEntropy(logits: z, labels: labels)
        // By hand for row 0: −z₀ + log Σ exp z.
        let expected = (0..<4).map { r in -z[r, labels[r]] + log((0..<5).map { exp(z[r, $0]) }.reduce(0, +)) }.reduce(0, +) / 4
        XCTAssertEqual(loss, expected, accuracy: 1e-12)
        let h = 1e-6
        for i in 0..<z.count {
            var zp = z, zm = z
            zp.withUnsafeMutableBufferPointer { $0[i] += h }
            zm.withUnsafeMutableBufferPointer { $0[i] -= h }
            let numeric = (crossEntropy(logits: zp, labels: labels).loss - crossEntropy(logits: zm, labels: labels).loss) / (2 * h)
            XCTAssertEqual(g.storage[i], numeric, accuracy: 1e-8)
        }
    }

    func testBackwardFromAnInnerActivationLeavesLaterParametersAlone() throws {
        let net = try network([3], [linear("a", out: 4), LayerSpec(name: "s", kind: "softmax")], seed: 9)
        let x = Matrix<Double>([[1, 2, 3]])
        let g = Matrix<Double>([[1, 0, 0, 0]])
        let (_, full) = net.backward(trace: net.trace(x), gradient: g, at: 1)
        // Gradient at the linear output: dθ for W is g ⊗ x, for b is g.
        XCTAssertEqual(Array(full[0..<3]), [1, 2, 3])
        XCTAssertEqual(Array(full[12..<16]), [1, 0, 0, 0])
    }
}
