import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// Unit correlation, matching, sparse prediction and spectral clustering (Li et al. 2016),
/// each against a brute-force answer or a planted structure.
final class ConvergentLearningTests: XCTestCase {
    /// Units of B: A's units in the order `order`, plus noise of the given size.
    func permutedCopy(_ a: Matrix<Double>, order: [Int], noise: Double, rng: inout SeededRandom) -> Matrix<Double> {
        var b = a.columns(order)
        b.add(rng.normalMatrix(rows: a.rows, cols: order.count, std: noise))
        return b
    }

    /// A correlation matrix with the given values (the units behind it play no part).
    func correlation(_ values: [[Double]]) throws -> UnitCorrelation {
        var rng = SeededRandom(seed: 1)
        let a: Matrix<Double> = rng.normalMatrix(rows: 40, cols: values.count)
        let b: Matrix<Double> = rng.normalMatrix(rows: 40, cols: values[0].count)
        var c = try UnitCorrelation(a, b, layerA: "a", layerB: "b")
        c.matrix = values
        return c
    }

    /// Every injective map of 0..<m into 0..<n.
    func injections(_ m: Int, _ n: Int) -> [[Int]] {
        guard m > 0 else { return [[]] }
        return injections(m - 1, n).flatMap { prefix in (0..<n).filter { !prefix.contains($0) }.map { prefix + [$0] } }
    }

    func testBipartiteMatchingEqualsBruteForce() throws {
        var rng = SeededRandom(seed: 4)
        for (m, n) in [(5, 5), (6, 6), (3, 5), (5, 3)] {
            for _ in 0..<5 {
                let values = (0..<m).map { _ in (0..<n).map { _ in rng.uniform(-1, 1) } }
                let matching = try UnitMatching.bipartite(try correlation(values))
                let best: Double
                if m <= n {
                    best = injections(m, n).map { f in f.enumerated().reduce(0.0) { $0 + values[$1.offset][$1.element] } }.max()!
                } else {
                    best = injections(n, m).map { f in f.enumerated().reduce(0.0) { $0 + values[$1.element][$1.offset] } }.max()!
                }
                XCTAssertEqual(matching.pairs.count, min(m, n))
                XCTAssertEqual(matching.pairs.reduce(0) { $0 + $1.correlation }, best, accuracy: 1e-12, "\(m)×\(n)")
                XCTAssertEqual(Set(matching.pairs.map(\.unitB)).count, min(m, n), "one-to-one")
                XCTAssertEqual(matching.sortedCorrelations, matching.pairs.map(\.correlation).sorted(by: >))
                XCTAssertEqual(matching.columnOrder.sorted(), Array(0..<n))
            }
        }
    }

    func testSemiMatchingTakesEachUnitsBestPartner() throws {
        let values: [[Double]] = [[0.1, 0.9, 0.3], [0.2, 0.8, 0.7], [0.6, 0.5, 0.4]]
        let c = try correlation(values)
        let semi = UnitMatching.semi(c)
        XCTAssertEqual(semi.pairs.map(\.unitB), [1, 1, 0])
        XCTAssertEqual(semi.distinctUnitsB, 2)
        XCTAssertEqual(semi.sortedCorrelations, [0.9, 0.8, 0.6])
        // Rows 0 and 2 meet their partners on the diagonal; row 1's partner is placed already,
        // so its place takes the unit no one picked.
        XCTAssertEqual(semi.columnOrder, [1, 2, 0])
        let bipartite = try UnitMatching.bipartite(c)
        XCTAssertEqual(bipartite.pairs.map(\.unitB), [1, 2, 0])
        // Each unit's best partner is at least its assigned one.
        XCTAssertGreaterThanOrEqual(semi.meanCorrelation, bipartite.meanCorrelation)
    }

    func testRecoversAPermutationOfUnitsAndAlignsTheMatrix() throws {
        var rng = SeededRandom(seed: 8)
        let a: Matrix<Double> = rng.normalMatrix(rows: 500, cols: 12)
        let order = rng.permutation(12)
        let b = permutedCopy(a, order: order, noise: 0.1, rng: &rng)
        let result = try ConvergentLearning.compare(units: a, b, layerA: "fc1", layerB: "fc1")
        // Unit order[j] of A became unit j of B.
        for pair in result.bipartite.pairs { XCTAssertEqual(order[pair.unitB], pair.unitA) }
        XCTAssertEqual(result.semi.pairs.map(\.unitB), result.bipartite.pairs.map(\.unitB))
        for i in 0..<12 {
            XCTAssertGreaterThan(result.alignedMatrix[i][i], 0.98)
            XCTAssertEqual(result.alignedMatrix[i][i], result.correlation.matrix[i][result.bipartite.columnOrder[i]])
        }
    }

    func testConstantUnitsTakeNoPart() throws {
        var rng = SeededRandom(seed: 3)
        var a: Matrix<Double> = rng.normalMatrix(rows: 100, cols: 4)
        var b = permutedCopy(a, order: [0, 1, 2, 3], noise: 0.05, rng: &rng)
        for r in 0..<100 { a[r, 2] = 0.1; b[r, 0] = 0 }
        let c = try UnitCorrelation(a, b, layerA: "relu1", layerB: "relu1")
        XCTAssertEqual(c.constantUnitsA, [2])
        XCTAssertEqual(c.constantUnitsB, [0])
        XCTAssertEqual(c.matrix[2], [0, 0, 0, 0])
        XCTAssertEqual(c.matrix.map { $0[0] }, [0, 0, 0, 0])
        let matching = try UnitMatching.bipartite(c)
        XCTAssertEqual(matching.pairs.map(\.unitA), [0, 1, 3])
        XCTAssertFalse(matching.pairs.contains { $0.unitB == 0 })
        // Aligned, every partner is on the diagonal after the constant unit too; the constant
        // unit's place takes B's unpicked (constant) unit.
        for pair in matching.pairs { XCTAssertEqual(matching.columnOrder[pair.unitA], pair.unitB) }
        XCTAssertEqual(matching.columnOrder[2], 0)
        var dead = a
        for r in 0..<100 { for j in 0..<4 { dead[r, j] = 0 } }
        assertThrowsMessage(try UnitCorrelation(dead, b, layerA: "relu1", layerB: "relu1"), contains: ["every unit", "constant"])
        assertThrowsMessage(try UnitCorrelation(a, b.rows(in: 0..<50), layerA: "x", layerB: "y"), contains: ["100", "50"])
    }

    /// The lasso solution satisfies its optimality conditions: |C_k − (G w)_k| ≤ λ where w_k = 0
    /// and C_k − (G w)_k = λ·sign(w_k) elsewhere.
    func testLassoSatisfiesItsOptimalityConditions() throws {
        var rng = SeededRandom(seed: 21)
        let n = 200
        let x: Matrix<Double> = rng.normalMatrix(rows: n, cols: 15)
        var y = matmul(x, rng.normalMatrix(rows: 15, cols: 3))
        y.add(rng.normalMatrix(rows: n, cols: 3, std: 0.5))
        let xc = x.centered(), yc = y.centered()
        var g = gram(xc, transpose: true)
        g.scale(by: 1 / Double(n))
        var c = matmul(xc, yc, transposeA: true)
        c.scale(by: 1 / Double(n))
        var lasso = Lasso(gram: g, cross: c)
        lasso.tolerance = 1e-24
        XCTAssertEqual(lasso.solve(lambda: lasso.lambdaMax * 1.0001).maxAbs(), 0)
        var start: Matrix<Double>?
        for fraction in [0.5, 0.1, 0.01] {
            let lambda = lasso.lambdaMax * fraction
            let w = lasso.solve(lambda: lambda, start: start)
            start = w
            for j in 0..<3 {
                let gw = matvec(g, Array(w.row(j)))
                var nonzero = 0
                for k in 0..<15 {
                    let residualCorrelation = c[k, j] - gw[k]
                    if w[j, k] == 0 {
                        XCTAssertLessThanOrEqual(abs(residualCorrelation), lambda + 1e-9)
                    } else {
                        nonzero += 1
                        XCTAssertEqual(residualCorrelation, lambda * (w[j, k] > 0 ? 1 : -1), accuracy: 1e-9)
                    }
                }
                if fraction == 0.5 { XCTAssertLessThan(nonzero, 15, "a large λ leaves weights out") }
            }
        }
    }

    /// Each unit of B is the sum of two units of A plus a little noise: it needs two.
    func testSparsePredictionFindsHowManyUnitsEachTargetNeeds() throws {
        var rng = SeededRandom(seed: 13)
        let a: Matrix<Double> = rng.normalMatrix(rows: 600, cols: 20)
        var b = Matrix<Double>(rows: 600, cols: 6)
        let sources = [(0, 1), (2, 3), (4, 5), (6, 7), (8, 9), (10, 11)]
        for r in 0..<600 {
            for (j, (p, q)) in sources.enumerated() { b[r, j] = a[r, p] + a[r, q] + 0.1 * rng.normal() }
        }
        for r in 0..<600 { b[r, 5] = 2 }  // a constant target
        let fit = try SparsePrediction.fit(from: a, to: b, options: SparsePredictionOptions(lambdaCount: 25, lambdaRatio: 1e-2))
        XCTAssertEqual(fit.constantTargets, [5])
        XCTAssertEqual(fit.unitsNeeded[5], 0)
        XCTAssertEqual(fit.path.count, 25)
        XCTAssertEqual(fit.path[0].meanUnits, 0, "no weights at λ_max")
        for j in 0..<5 {
            let (p, q) = sources[j]
            let used = fit.weights[j].indices.filter { fit.weights[j][$0] != 0 }
            XCTAssertTrue(used.contains(p) && used.contains(q), "target \(j) uses \(used)")
            XCTAssertGreaterThan(fit.validationR2[j], 0.98)
            // The other units get at most tiny weights.
            let stray = fit.weights[j].indices.filter { $0 != p && $0 != q }.map { abs(fit.weights[j][$0]) }.max()!
            XCTAssertLessThan(stray, 0.02)
        }
        XCTAssertEqual(fit.chosen, fit.path.indices.min { fit.path[$0].validationMSE < fit.path[$1].validationMSE })
        XCTAssertEqual(fit.trainingObservations + fit.validationObservations, 600)
        assertThrowsMessage(try SparsePrediction.fit(from: a.rows(in: 0..<3), to: b.rows(in: 0..<3)), contains: ["too few"])
    }

    /// Four latent signals, each shown by a few units of A and a few of B: the clusters are
    /// exactly those blocks, and the eigengap finds four.
    func testSpectralClusteringFindsPlantedBlocks() throws {
        var rng = SeededRandom(seed: 17)
        let n = 400
        let latent: Matrix<Double> = rng.normalMatrix(rows: n, cols: 4)
        let blockOfA = [0, 0, 1, 1, 1, 2, 2, 3, 3, 3, 0], blockOfB = [3, 2, 1, 0, 0, 1, 2, 3]
        func units(_ blocks: [Int]) -> Matrix<Double> {
            var m = latent.columns(blocks)
            m.add(rng.normalMatrix(rows: n, cols: blocks.count, std: 0.5))
            return m
        }
        let a = units(blockOfA), b = units(blockOfB)
        let clustering = try UnitClustering.compute(a, b, liveA: Array(0..<11), liveB: Array(0..<8), clusters: nil, seed: 2)
        XCTAssertTrue(clustering.chosenByEigengap)
        XCTAssertEqual(clustering.clusters.count, 4)
        XCTAssertEqual(clustering.sharedClusters, 4)
        for cluster in clustering.clusters {
            let blocks = Set(cluster.unitsA.map { blockOfA[$0] } + cluster.unitsB.map { blockOfB[$0] })
            XCTAssertEqual(blocks.count, 1, "a cluster mixes blocks \(blocks)")
            let block = blocks.first!
            XCTAssertEqual(cluster.unitsA, blockOfA.indices.filter { blockOfA[$0] == block })
            XCTAssertEqual(cluster.unitsB, blockOfB.indices.filter { blockOfB[$0] == block })
            XCTAssertGreaterThan(cluster.meanAbsoluteCorrelation, 0.6)
        }
        // The same with the number of clusters given.
        let given = try UnitClustering.compute(a, b, liveA: Array(0..<11), liveB: Array(0..<8), clusters: 4, seed: 2)
        XCTAssertEqual(given.clusters, clustering.clusters)
        XCTAssertFalse(given.chosenByEigengap)
        assertThrowsMessage(
            try UnitClustering.compute(a, b, liveA: Array(0..<11), liveB: Array(0..<8), clusters: 40),
            contains: ["40 clusters", "19 units"])
    }

    func testDemoModelsHiddenLayers() throws {
        let a = try DemoModels.load("mlp-1"), b = try DemoModels.load("mlp-2")
        let data = try Digits.load(.test)
        let result = try ConvergentLearning.compare(
            a, b, data: data, layerA: "relu1", layerB: "relu1",
            options: ConvergentOptions(methods: [.sparse, .spectral], seed: 1))
        XCTAssertEqual(result.modelA, "demo:mlp-1")
        XCTAssertEqual(result.correlation.unitsA, 256)
        XCTAssertEqual(result.correlation.observations, data.count)
        XCTAssertEqual(
            result.bipartite.pairs.count, 256 - max(result.correlation.constantUnitsA.count, result.correlation.constantUnitsB.count))
        XCTAssertGreaterThanOrEqual(result.semi.meanCorrelation, result.bipartite.meanCorrelation)
        XCTAssertNotNil(result.sparse)
        XCTAssertNotNil(result.spectral)
        let clustered = result.spectral!.clusters.reduce(0) { $0 + $1.unitsA.count + $1.unitsB.count }
        XCTAssertEqual(clustered, result.correlation.liveUnitsA.count + result.correlation.liveUnitsB.count)
        // Channels of a convolution are units over samples and positions.
        let cnn = try DemoModels.load("cnn")
        let channels = try ConvergentLearning.compare(cnn, cnn, data: data, layerA: "relu1", layerB: "relu1")
        XCTAssertEqual(channels.correlation.unitsA, 16)
        XCTAssertEqual(channels.correlation.observations, data.count * 64)
        for pair in channels.bipartite.pairs { XCTAssertEqual(pair.unitA, pair.unitB); XCTAssertEqual(pair.correlation, 1, accuracy: 1e-9) }
        assertThrowsMessage(
            try ConvergentLearning.compare(cnn, a, data: data, layerA: "relu1", layerB: "relu1"),
            contains: ["[16, 8, 8]", "[256]"])
    }
}
