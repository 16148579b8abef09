import Interpret
import LinAlg
import XCTest

final class MatchingPursuitTests: XCTestCase {
    func unitAtoms<T: BLASScalar>(_ count: Int, _ d: Int, seed: UInt64, _: T.Type = T.self) -> Matrix<T> {
        var rng = SeededRandom(seed: seed)
        var atoms: Matrix<T> = rng.normalMatrix(rows: count, cols: d)
        let norms = atoms.rowNorms()
        for j in 0..<count { atoms.setRow(j, atoms.row(j).map { $0 / norms[j] }) }
        return atoms
    }

    /// The Gram-matrix update of the correlations gives the codes that recomputing D r every
    /// step gives: the same atoms in the same order, the same coefficients.
    func testGramUpdateEqualsDirectRecomputation() {
        for stopping in [
            MatchingPursuitStopping(maxSteps: 12),
            MatchingPursuitStopping(maxSteps: 12, stopWhenSupportUnchanged: true)
        ] {
            let atoms: Matrix<Double> = unitAtoms(96, 16, seed: 1)
            var rng = SeededRandom(seed: 2)
            let x: Matrix<Double> = rng.normalMatrix(rows: 40, cols: 16)
            let bias = (0..<16).map { _ in 0.1 * rng.normal() }
            let fast = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: gram(atoms, transpose: false), stopping: stopping)
            let direct = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: nil, stopping: stopping)
            XCTAssertEqual(fast.path.indices, direct.path.indices)
            XCTAssertEqual(fast.path.l0, direct.path.l0)
            for (a, b) in zip(fast.path.values, direct.path.values) { XCTAssertEqual(a, b, accuracy: 1e-12) }
            for (a, b) in zip(fast.residualNormSquared, direct.residualNormSquared) { XCTAssertEqual(a, b, accuracy: 1e-10) }
            XCTAssertGreaterThan(fast.path.nonzeroCount, 40 * 5)
        }
        // In Float32 too (the codes Loupe's SAEs use), to rounding.
        let atoms: Matrix<Float> = unitAtoms(512, 64, seed: 3)
        var rng = SeededRandom(seed: 4)
        let x: Matrix<Float> = rng.normalMatrix(rows: 64, cols: 64)
        let bias = [Float](repeating: 0, count: 64)
        let stopping = MatchingPursuitStopping(maxSteps: 16)
        let fast = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: gram(atoms, transpose: false), stopping: stopping)
        let direct = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: nil, stopping: stopping)
        XCTAssertEqual(fast.path.indices, direct.path.indices)
        for (a, b) in zip(fast.codes.values, direct.codes.values) { XCTAssertEqual(a, b, accuracy: 1e-4) }
    }

    /// Orthonormal atoms: pursuit takes the coefficients one by one, largest first, and stops
    /// when no atom correlates positively with what is left.
    func testOrthonormalAtomsByHand() {
        let atoms = Matrix<Double>([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 0, -1]])
        let x = Matrix<Double>([[2, 3, -1], [0.5, 0, 0]])
        let bias = [0.0, 0.0, 1.0]
        let result = MatchingPursuit.encode(
            x, atoms: atoms, bias: bias, gram: gram(atoms, transpose: false),
            stopping: MatchingPursuitStopping(maxSteps: 10))
        // r₀ = (2, 3, −2): atom 1 (3), atom 0 (2), atom 3 (2), then nothing positive is left.
        XCTAssertEqual(Array(result.path.indices[result.path.range(0)]), [1, 0, 3])
        XCTAssertEqual(Array(result.path.values[result.path.range(0)]), [3, 2, 2])
        // r₀ = (0.5, 0, −1): atom 3 (1), then atom 0 (0.5).
        XCTAssertEqual(Array(result.path.indices[result.path.range(1)]), [3, 0])
        XCTAssertEqual(result.codes.dense, Matrix([[2, 3, 0, 2], [0.5, 0, 0, 1]]))
        for r in result.residualNormSquared { XCTAssertEqual(r, 0, accuracy: 1e-15) }
    }

    /// The residual paths of a pursuit run to k steps, recomputed here from its atoms and
    /// coefficients: ‖r_t‖ after each step.
    func residualNorms(_ x: Matrix<Double>, _ atoms: Matrix<Double>, _ path: SparseCodes<Double>, sample b: Int) -> [Double] {
        var r = Array(x.row(b))
        return path.range(b).map { e in
            for i in r.indices { r[i] -= path.values[e] * atoms[path.indices[e], i] }
            return norm(r)
        }
    }

    /// Each adaptive rule cuts the full k-step path at the step the rule names: the first step
    /// that repeats an atom, or the first whose residual is below the threshold.
    func testAdaptiveStoppingCutsTheFullPath() {
        let atoms: Matrix<Double> = unitAtoms(6, 3, seed: 5)  // few atoms in few dimensions: repeats
        var rng = SeededRandom(seed: 6)
        let x: Matrix<Double> = rng.normalMatrix(rows: 60, cols: 3)
        let bias = [0.0, 0.0, 0.0]
        let g = gram(atoms, transpose: false)
        let full = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: g, stopping: MatchingPursuitStopping(maxSteps: 8))
        let repeatStop = MatchingPursuit.encode(
            x, atoms: atoms, bias: bias, gram: g,
            stopping: MatchingPursuitStopping(maxSteps: 8, stopWhenSupportUnchanged: true))
        let threshold = 0.3
        let residualStop = MatchingPursuit.encode(
            x, atoms: atoms, bias: bias, gram: g,
            stopping: MatchingPursuitStopping(maxSteps: 8, residualThreshold: threshold))
        var repeats = 0, early = 0
        for b in 0..<x.rows {
            let path = Array(full.path.indices[full.path.range(b)])
            let firstRepeat = path.indices.first { t in path[..<t].contains(path[t]) }
            if firstRepeat != nil { repeats += 1 }
            XCTAssertEqual(
                Array(repeatStop.path.indices[repeatStop.path.range(b)]), Array(path.prefix((firstRepeat ?? path.count - 1) + 1)))
            let norms = residualNorms(x, atoms, full.path, sample: b)
            let firstBelow = norms.firstIndex { $0 < threshold }
            if let firstBelow, firstBelow < path.count - 1 { early += 1 }
            XCTAssertEqual(residualStop.path.l0[b], (firstBelow ?? path.count - 1) + 1, "sample \(b)")
        }
        XCTAssertGreaterThan(repeats, 10)
        XCTAssertGreaterThan(early, 10)
        // Merged codes: an atom picked twice is one latent whose value is the sum.
        XCTAssertLessThan(full.codes.nonzeroCount, full.path.nonzeroCount)
        XCTAssertEqual(full.codes.dense, full.path.dense)
    }

    /// An MP-SAE decodes to x − r: the reconstruction error is the final residual.
    func testReconstructionErrorIsTheResidual() {
        let atoms: Matrix<Float> = unitAtoms(64, 8, seed: 7)
        var rng = SeededRandom(seed: 8)
        let x: Matrix<Float> = rng.normalMatrix(rows: 10, cols: 8)
        let bias = (0..<8).map { _ in Float(rng.normal()) }
        let sae = SparseAutoencoder(
            architecture: .matchingPursuit, encoder: Matrix(rows: 0, cols: 8), encoderBias: [],
            decoder: atoms, decoderBias: bias, k: 5)
        let codes = sae.encode(x)
        let error = x - sae.decode(codes)
        let result = MatchingPursuit.encode(
            x, atoms: atoms, bias: bias, gram: gram(atoms, transpose: false),
            stopping: MatchingPursuitStopping(maxSteps: 5))
        for b in 0..<10 {
            XCTAssertEqual(Double(norm(Array(error.row(b)))), Double(result.residualNormSquared[b]).squareRoot(), accuracy: 1e-4)
        }
        XCTAssertTrue(codes.l0.allSatisfy { $0 <= 5 })
    }

    /// The residual curve is what reconstructing the first t steps of each path leaves, atoms
    /// of any norm; samples that stop early keep their last residual.
    func testResidualCurveIsWhatTheFirstStepsLeave() {
        var rng = SeededRandom(seed: 7)
        var atoms: Matrix<Float> = unitAtoms(48, 12, seed: 8)
        for j in stride(from: 0, to: 48, by: 3) { atoms.setRow(j, atoms.row(j).map { $0 * 0.7 }) }
        let x: Matrix<Float> = rng.normalMatrix(rows: 30, cols: 12)
        let bias = (0..<12).map { _ in Float(0.2 * rng.normal()) }
        let sae = SparseAutoencoder<Float>(
            architecture: .matchingPursuit, encoder: Matrix(rows: 0, cols: 12), encoderBias: [], decoder: atoms, decoderBias: bias, k: 6,
            stopping: MatchingPursuitStopping(maxSteps: 6, residualThreshold: 1.2))
        let curve = PursuitCurve.measure(sae, on: x)
        let path = MatchingPursuit.encode(x, atoms: atoms, bias: bias, gram: nil, stopping: sae.stopping).path
        XCTAssertLessThan(path.l0.min()!, 6, "some sample should stop early for the test to mean anything")
        var energy = [Double](repeating: 0, count: 7)
        for b in 0..<x.rows {
            var r = zip(x.row(b), bias).map { Double($0) - Double($1) }
            energy[0] += r.reduce(0) { $0 + $1 * $1 }
            for t in 1...6 {
                if t <= path.range(b).count {
                    let i = path.range(b).lowerBound + t - 1
                    let atom = Array(atoms.row(path.indices[i]))
                    for c in 0..<12 { r[c] -= Double(path.values[i]) * Double(atom[c]) }
                }
                energy[t] += r.reduce(0) { $0 + $1 * $1 }
            }
        }
        XCTAssertEqual(curve.residualEnergy.count, 7)
        for t in 0...6 { XCTAssertEqual(curve.residualEnergy[t], energy[t] / energy[0], accuracy: 1e-5, "step \(t)") }
        XCTAssertEqual(curve.samples, 30)
    }
}
