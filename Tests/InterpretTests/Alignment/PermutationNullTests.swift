import Foundation
import Interpret
import LinAlg
import TensorIO
import TestSupport
import XCTest

/// Permutation nulls of layer similarity: each shuffle's value is the measure recomputed on
/// shuffled samples, identical data gets the smallest p-value there is, independent data gets
/// uniform p-values (and dependent data does not), and mutual k-NN equals the numpy reference
/// of Tests/Fixtures/alignment/make_mutual_knn_fixtures.py.
final class PermutationNullTests: XCTestCase {
    /// The CKA settings every check runs over: both kernels, both estimators, and the linear
    /// kernel both in feature space (more samples than features) and on Gram matrices.
    let settings: [(String, CKAKernel, Bool)] = [
        ("linear", .linear, false), ("linear debiased", .linear, true),
        ("rbf", .rbf(threshold: 0.5), false), ("rbf debiased", .rbf(threshold: 1), true)
    ]

    func testPValueIsTheShareOfShufflesAtLeastAsHighCountingTheObservedOrder() {
        let null = PermutationNull(observed: 0.5, null: [0.1, 0.5, 0.7, 0.2])
        XCTAssertEqual(null.pValue, 3.0 / 5.0)
        XCTAssertEqual(null.mean, 0.375)
        XCTAssertEqual(
            null.spread, (((0.1 - 0.375) * (0.1 - 0.375) + 0.125 * 0.125 + 0.325 * 0.325 + 0.175 * 0.175) / 4).squareRoot(), accuracy: 1e-15
        )
        XCTAssertEqual(PermutationNull(observed: 1, null: [0, 0, 0]).pValue, 0.25)
        XCTAssertThrowsError(try PermutationNull.validate(permutations: -1))
    }

    /// A shuffle's value is CKA computed from scratch on B's samples in the shuffle's order,
    /// for every kernel and estimator, in feature space and on Gram matrices.
    func testEachShuffleIsTheMeasureOfTheShuffledSamples() throws {
        var rng = SeededRandom(seed: 3)
        for (n, width) in [(40, 6), (12, 30)] {
            let x: Matrix<Double> = rng.normalMatrix(rows: n, cols: width)
            var y = matmul(x, rng.normalMatrix(rows: width, cols: 5) as Matrix<Double>)
            y.addToEachRow([Double](repeating: 3, count: 5))
            for (name, kernel, debiased) in settings {
                let options = CKAOptions(kernel: kernel, debiased: debiased, permutations: 1, seed: 11)
                let m = try LayerCKA.compute(x.converted(to: Float.self), y.converted(to: Float.self), options: options)
                let null = try XCTUnwrap(m.null?[0][0])
                // The accumulator draws its shuffles from its own stream of the seed.
                var base = SeededRandom(seed: 11)
                var shuffles = base.fork(1)
                let order = shuffles.permutation(n)
                let direct = try CKA.similarity(
                    x.converted(to: Float.self), y.rows(order).converted(to: Float.self), kernel: kernel, debiased: debiased)
                XCTAssertEqual(null.mean, direct, accuracy: 1e-6, "\(name), \(n)×\(width)")
                XCTAssertEqual(m.values[0][0], try CKA.similarity(x, y, kernel: kernel, debiased: debiased), accuracy: 1e-6)
            }
        }
    }

    /// Identical representations (up to a rotation and scale, which CKA ignores) score above
    /// every shuffle, so p = 1/(N + 1) < 1/N, whole or in minibatches, and so does mutual k-NN.
    func testIdenticalDataGetsThePValueOfNoShuffleAtLeastAsHigh() throws {
        var rng = SeededRandom(seed: 5)
        let n = 60
        let x: Matrix<Float> = rng.normalMatrix(rows: n, cols: 8)
        let rotation = try QR(rng.normalMatrix(rows: 8, cols: 8) as Matrix<Double>).q.converted(to: Float.self)
        var y = matmul(x, rotation)
        y.scale(by: 3)
        let shuffles = 19
        var all = settings.map { ($0.0, CKAOptions(kernel: $0.1, debiased: $0.2, permutations: shuffles, seed: 2)) }
        all.append(("minibatch", CKAOptions(batchSize: 20, permutations: shuffles, seed: 2)))
        all.append(("mutual k-NN", CKAOptions(measure: .mutualKNN, neighbours: 5, permutations: shuffles, seed: 2)))
        for (name, options) in all {
            let m = try LayerCKA.compute(x, y, options: options)
            let null = try XCTUnwrap(m.null?[0][0], name)
            XCTAssertEqual(null.permutations, shuffles)
            XCTAssertEqual(null.pValue, 1.0 / Double(shuffles + 1), name)
            XCTAssertLessThan(null.pValue, 1.0 / Double(shuffles))
            XCTAssertLessThan(null.mean, m.values[0][0] - 3 * null.spread, name)
        }
    }

    /// On independent data the p-values of CKA are uniform over {1, …, N + 1}/(N + 1): over
    /// 1000 repetitions the Kolmogorov–Smirnov distance to that law stays below its 0.1 %
    /// critical value, and each tail holds its share within four standard errors. The same
    /// check fails on weakly dependent data, so it is not one any set of p-values passes. Mutual
    /// k-NN's values are discrete (ties count against the observed pairing), so its p-values
    /// can only be conservative: each tail holds at most its share.
    func testIndependentDataGetsUniformPValues() throws {
        let repetitions = 1000, shuffles = 19, n = 24
        func pValues(dependence: Float, options: CKAOptions, seed: UInt64) throws -> [Double] {
            var rng = SeededRandom(seed: seed)
            return try (0..<repetitions).map { r in
                let x: Matrix<Float> = rng.normalMatrix(rows: n, cols: 4)
                var y: Matrix<Float> = rng.normalMatrix(rows: n, cols: 3)
                if dependence != 0 { y = y + dependence * x.columns([0, 1, 2]) }
                var o = options
                o.seed = UInt64(r)
                return try XCTUnwrap(LayerCKA.compute(x, y, options: o).null?[0][0].pValue)
            }
        }
        let uniform = { (p: Double) in (p * Double(shuffles + 1)).rounded(.down) / Double(shuffles + 1) }
        func ksDistance(_ ps: [Double]) -> Double {
            let sorted = ps.sorted()
            return (1...(shuffles + 1)).map { step -> Double in
                let level = Double(step) / Double(shuffles + 1)
                let below = Double(sorted.count(where: { $0 <= level + 1e-12 })) / Double(sorted.count)
                return abs(below - uniform(level))
            }.max()!
        }
        let critical = 1.949 / Double(repetitions).squareRoot()
        for (name, kernel, debiased) in settings {
            let ps = try pValues(dependence: 0, options: CKAOptions(kernel: kernel, debiased: debiased, permutations: shuffles), seed: 7)
            XCTAssertLessThan(ksDistance(ps), critical, name)
            for alpha in [0.05, 0.1, 0.25, 0.5] {
                let share = Double(ps.count(where: { $0 <= alpha + 1e-12 })) / Double(repetitions)
                XCTAssertEqual(share, alpha, accuracy: 4 * (alpha * (1 - alpha) / Double(repetitions)).squareRoot(), "\(name) α \(alpha)")
            }
        }
        let dependent = try pValues(dependence: 0.35, options: CKAOptions(permutations: shuffles), seed: 7)
        XCTAssertGreaterThan(ksDistance(dependent), 2 * critical, "weak dependence must be told from independence")
        let knn = try pValues(dependence: 0, options: CKAOptions(measure: .mutualKNN, neighbours: 3, permutations: shuffles), seed: 9)
        for alpha in [0.05, 0.1, 0.25, 0.5] {
            let share = Double(knn.count(where: { $0 <= alpha + 1e-12 })) / Double(repetitions)
            XCTAssertLessThanOrEqual(share, alpha + 4 * (alpha * (1 - alpha) / Double(repetitions)).squareRoot(), "mutual k-NN α \(alpha)")
        }
    }

    func testMutualNeighboursMatchTheNumpyReference() throws {
        let folder = fixtures.appendingPathComponent("alignment")
        let arrays = try NPZ.read(folder.appendingPathComponent("mutual_knn.npz"))
        let expected = try JSONDecoder().decode(
            [String: Double].self, from: Data(contentsOf: folder.appendingPathComponent("mutual_knn.json")))
        let (a, b, c) = try (
            XCTUnwrap(arrays["a"]).matrix(Double.self), XCTUnwrap(arrays["b"]).matrix(Double.self),
            XCTUnwrap(arrays["c"]).matrix(Double.self)
        )
        let order = try XCTUnwrap(arrays["order"]).matrix(Double.self).storage.map { Int($0) }
        for k in [1, 5, 10, 30] {
            let (na, nb, nc) = try (
                NearestNeighbours(a, k: k, what: "a"), NearestNeighbours(b, k: k, what: "b"), NearestNeighbours(c, k: k, what: "c")
            )
            XCTAssertEqual(na.alignment(with: nb), try XCTUnwrap(expected["ab_k\(k)"]), accuracy: 1e-12, "k \(k)")
            XCTAssertEqual(na.alignment(with: nc), try XCTUnwrap(expected["ac_k\(k)"]), accuracy: 1e-12, "k \(k)")
            XCTAssertEqual(na.alignment(with: nb, order: order), try XCTUnwrap(expected["ab_shuffled_k\(k)"]), accuracy: 1e-12)
            // Through the layer-similarity front door, in Float32.
            let m = try LayerCKA.compute(
                a.converted(to: Float.self), b.converted(to: Float.self), options: CKAOptions(measure: .mutualKNN, neighbours: k))
            XCTAssertEqual(m.values[0][0], try XCTUnwrap(expected["ab_k\(k)"]), accuracy: 1e-12)
            XCTAssertEqual(m.measureName, "mutual \(k)-NN")
        }
        XCTAssertEqual(try NearestNeighbours(a, k: 1, what: "a").alignment(with: NearestNeighbours(a, k: 1, what: "a")), 1)
    }

    func testMutualNeighboursRefuseWhatTheyCannotCompute() {
        let x = Matrix<Float>(rows: 5, cols: 2, repeating: 1)
        assertThrowsMessage(try NearestNeighbours(x, k: 5, what: "'fc1'"), contains: ["'fc1'", "k = 5", "5 samples"])
        assertThrowsMessage(
            try LayerCKA.compute(x, x, options: CKAOptions(measure: .mutualKNN, batchSize: 4)), contains: ["mutual k-NN", "minibatch"])
        assertThrowsMessage(
            try LayerCKA.compute(x, x, options: CKAOptions(measure: .mutualKNN, kernel: .rbf(threshold: 1))), contains: ["kernel"])
        assertThrowsMessage(try LayerCKA.compute(x, x, options: CKAOptions(permutations: -2)), contains: ["permutations", "-2"])
    }
}

/// The null of convergent learning's matchings: each shuffle is the matching recomputed with
/// B's samples in the shuffle's order, a convolutional layer's positions moving with their sample.
final class MatchingNullTests: XCTestCase {
    func testEachShuffleIsTheMatchingOfTheShuffledSamples() throws {
        var rng = SeededRandom(seed: 8)
        for positions in [1, 3] {
            let samples = 40
            let a: Matrix<Double> = rng.normalMatrix(rows: samples * positions, cols: 5)
            let b =
                matmul(a, rng.normalMatrix(rows: 5, cols: 4) as Matrix<Double>) + 0.5
                * (rng.normalMatrix(rows: samples * positions, cols: 4) as Matrix<Double>)
            let r = try ConvergentLearning.compare(
                units: a, b, layerA: "a", layerB: "b", positions: positions, options: ConvergentOptions(permutations: 3, seed: 4))
            var shuffles = SeededRandom(seed: 4)
            var bipartite: [Double] = [], semi: [Double] = []
            for _ in 0..<3 {
                let order = shuffles.permutation(samples)
                let rows = order.flatMap { s in (s * positions)..<((s + 1) * positions) }
                let c = try UnitCorrelation(a, b.rows(rows), layerA: "a", layerB: "b")
                bipartite.append(try UnitMatching.bipartite(c).meanCorrelation)
                semi.append(UnitMatching.semi(c).meanCorrelation)
            }
            let expected = PermutationNull(observed: r.bipartite.meanCorrelation, null: bipartite)
            XCTAssertEqual(try XCTUnwrap(r.bipartite.null), expected, "positions \(positions)")
            XCTAssertEqual(try XCTUnwrap(r.semi.null), PermutationNull(observed: r.semi.meanCorrelation, null: semi))
            XCTAssertEqual(expected.pValue, 0.25, "related layers beat every shuffle")
            XCTAssertGreaterThan(expected.mean, 0.05, "matching finds sizeable correlations even in shuffled samples")
        }
        XCTAssertNil(
            try ConvergentLearning.compare(
                units: Matrix(rows: 5, cols: 2) { i, j in Double(i * j + i) }, Matrix(rows: 5, cols: 2) { i, j in Double(i + j * j * i) },
                layerA: "a", layerB: "b"
            ).bipartite.null)
    }
}
