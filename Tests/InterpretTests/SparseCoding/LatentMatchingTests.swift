import Interpret
import LinAlg
import TestSupport
import XCTest

/// Latent matching recovers planted correspondences: an SAE against itself with its latents
/// shuffled, two SAEs trained from different seeds on the same synthetic features (their
/// latents paired through the true feature each one found), and a latent split in two.
final class LatentMatchingTests: XCTestCase {
    static let data = try! SyntheticFeatures.generate(samples: 8192, dimension: 32, features: 64, meanActive: 3, seed: 21)

    static func train(seed: UInt64, latents: Int = 64) throws -> SparseAutoencoder<Float> {
        try SAETrainer.train(
            on: ActivationMatrix(data.activations, name: "synthetic"),
            options: SAETrainingOptions(
                architecture: .topk, latents: latents, k: 3, learningRate: 3e-3, steps: 800, batchSize: 256, seed: seed)
        ).sae
    }

    static func codes(_ sae: SparseAutoencoder<Float>, _ source: ActivationSource) throws -> Matrix<Double> {
        try sae.encode(source).dense.converted(to: Double.self)
    }

    /// B is A with its latents in another order: both criteria find exactly that order.
    func testAShuffledCopyIsMatchedExactly() throws {
        let a = try Self.train(seed: 1)
        var rng = SeededRandom(seed: 5)
        let order = rng.permutation(a.latentCount)  // B's latent j is A's latent order[j]
        var b = a
        b.encoder = a.encoder.rows(order)
        b.encoderBias = order.map { a.encoderBias[$0] }
        b.decoder = a.decoder.rows(order)
        let source = ActivationMatrix(Self.data.activations.rows(in: 0..<2048), name: "synthetic")
        let m = try LatentMatching.compare(
            a, b, names: ("A", "B"), codes: (try Self.codes(a, source), try Self.codes(b, source), "synthetic"),
            options: LatentMatchingOptions(permutations: 9))
        let codes = try Self.codes(a, source)
        let dead = (0..<64).filter { j in (0..<codes.rows).allSatisfy { codes[$0, j] == codes[0, j] } }
        XCTAssertEqual(m.activation?.pairs.count, 64 - dead.count, "dead latents have no correlation to match by")
        XCTAssertEqual(m.decoder.pairs.count, 64)
        for pairing in [m.decoder, try XCTUnwrap(m.activation)] {
            for p in pairing.pairs where pairing.criterion == .decoder || !pairing.unmatchedA.contains(p.latentA) {
                XCTAssertEqual(order[p.latentB], p.latentA, "\(pairing.criterion)")
                XCTAssertEqual(p.score, 1, accuracy: 1e-9)
            }
        }
        XCTAssertEqual(m.decoder.shareA, 1)
        XCTAssertEqual(m.decoder.unmatchedB, [])
        XCTAssertEqual(m.agreement, 1)
        XCTAssertEqual(m.activation?.null?.pValue, 0.1)
        XCTAssertEqual(m.splits, [])
    }

    /// Two seeds, the same 64 features: each latent that found a true feature (cosine ≥ 0.9)
    /// is matched with the other SAE's latent that found the same one, by decoder and by
    /// activation, and most latents have a partner.
    func testTwoSeedsAreMatchedThroughTheFeaturesTheyFound() throws {
        let (a, b) = (try Self.train(seed: 1), try Self.train(seed: 2))
        let truth = Self.data.features
        // True feature → the one latent that found it: cosine ≥ 0.9, and no other latent above
        // 0.5 (a feature two latents share has no single partner to plant).
        func found(_ sae: SparseAutoencoder<Float>) -> [Int: Int] {
            var out: [Int: Int] = [:]
            for f in 0..<truth.rows {
                let cos = (0..<sae.latentCount).map { j -> Double in
                    let (u, v) = (truth.row(f), sae.decoder.row(j))
                    let d = zip(u, v).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                    return d / (Double(u.reduce(0) { $0 + $1 * $1 }).squareRoot() * Double(v.reduce(0) { $0 + $1 * $1 }).squareRoot())
                }
                let ranked = cos.indices.sorted { cos[$0] > cos[$1] }
                if cos[ranked[0]] >= 0.9, cos[ranked[1]] < 0.5 { out[f] = ranked[0] }
            }
            return out
        }
        let (inA, inB) = (found(a), found(b))
        let planted = inA.keys.filter { inB[$0] != nil }.map { (inA[$0]!, inB[$0]!) }
        XCTAssertGreaterThanOrEqual(planted.count, 32, "both seeds find most features, each in one latent")
        let source = ActivationMatrix(Self.data.activations, name: "synthetic")
        let m = try LatentMatching.compare(
            a, b, names: ("seed 1", "seed 2"), codes: (try Self.codes(a, source), try Self.codes(b, source), "synthetic"),
            options: LatentMatchingOptions(permutations: 19))
        for pairing in [m.decoder, try XCTUnwrap(m.activation)] {
            let partner = Dictionary(uniqueKeysWithValues: pairing.pairs.map { ($0.latentA, $0.latentB) })
            let recovered = planted.count(where: { partner[$0.0] == $0.1 })
            XCTAssertEqual(recovered, planted.count, "\(pairing.criterion): \(recovered) of \(planted.count) planted pairs")
            XCTAssertGreaterThanOrEqual(pairing.shareA, Double(planted.count) / 64 - 0.05, "\(pairing.criterion)")
            XCTAssertEqual(pairing.sortedScores, pairing.sortedScores.sorted(by: >))
        }
        XCTAssertEqual(m.activation?.null?.pValue, 0.05)
        XCTAssertGreaterThan(try XCTUnwrap(m.agreement), 0.95)
    }

    /// A latent of A that B has as two nearby directions is reported as split; the one-to-one
    /// matching takes one of them and leaves the other unmatched.
    func testASplitLatent() throws {
        let a = try Self.train(seed: 1)
        var b = a
        var rng = SeededRandom(seed: 3)
        let d = a.inputSize
        let base = Array(a.decoder.row(7))
        // B replaces latent 20 with a copy of latent 7 tilted a little: two directions near 7.
        let length = base.reduce(0) { $0 + $1 * $1 }.squareRoot()
        let tilt: [Float] = (0..<d).map { _ in Float(rng.normal()) * 0.05 * length }
        var rows = (0..<a.latentCount).map { Array(a.decoder.row($0)) }
        rows[20] = zip(base, tilt).map { $0 + $1 }
        b.decoder = Matrix(rows)
        let m = try LatentMatching.compare(a, b, names: ("A", "B"))
        XCTAssertEqual(m.splits.first?.latentA, 7)
        XCTAssertEqual(m.splits.first.map { Set($0.latentsB) }, [7, 20])
        XCTAssertEqual(m.splits.count, 1)
        XCTAssertTrue(m.decoder.unmatchedA.contains(20), "A's own latent 20 has no counterpart left in B")
    }

    func testRefusals() throws {
        let a = try Self.train(seed: 1)
        var narrow = a
        narrow.decoder = Matrix(rows: 64, cols: 8, repeating: 1)
        assertThrowsMessage(try LatentMatching.compare(a, narrow, names: ("a", "n")), contains: ["n into 8", "32 dimensions"])
        assertThrowsMessage(
            try LatentMatching.compare(a, a, names: ("a", "a"), options: LatentMatchingOptions(threshold: 2)), contains: ["threshold", "2"])
    }
}
