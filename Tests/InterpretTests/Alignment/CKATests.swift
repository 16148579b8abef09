import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// CKA against the reference formulas of Google's demo notebook (fixtures made by
/// Tests/Fixtures/alignment/make_cka_fixtures.py), the invariances the paper proves, and
/// minibatch CKA against the full-data value.
final class CKATests: XCTestCase {
    struct Case { let x: Matrix<Double>; let y: Matrix<Double>; let expected: [String: Double] }

    func fixtureCases() throws -> [String: Case] {
        let folder = fixtures.appendingPathComponent("alignment")
        let arrays = try NPZ.read(folder.appendingPathComponent("cka.npz"))
        let json = try JSONDecoder().decode(
            [String: [String: Double]].self,
            from: Data(contentsOf: folder.appendingPathComponent("cka.json")))
        var cases: [String: Case] = [:]
        for (name, expected) in json {
            let x = try XCTUnwrap(arrays["\(name)_x"]), y = try XCTUnwrap(arrays["\(name)_y"])
            cases[name] = Case(x: x.matrix(Double.self), y: y.matrix(Double.self), expected: expected)
        }
        XCTAssertEqual(Set(cases.keys), ["demo", "wide", "small", "narrow"])
        return cases
    }

    func testMatchesTheReferenceDemo() throws {
        for (name, c) in try fixtureCases() {
            let settings: [(String, CKAKernel, Bool)] = [
                ("linear", .linear, false), ("linear_debiased", .linear, true),
                ("rbf_0.5", .rbf(threshold: 0.5), false), ("rbf_1.0", .rbf(threshold: 1), false),
                ("rbf_0.5_debiased", .rbf(threshold: 0.5), true)
            ]
            for (key, kernel, debiased) in settings {
                let value = try CKA.similarity(c.x, c.y, kernel: kernel, debiased: debiased)
                XCTAssertEqual(value, try XCTUnwrap(c.expected[key]), accuracy: 1e-6, "\(name) \(key)")
            }
        }
    }

    /// Float32 activations take Float32 products (summed in Float64 per block): the reference
    /// values still hold to 1e-6, and so do the Float64 ones on data far from the origin and
    /// longer than one block, where centring matters most.
    func testFloat32ActivationsAgreeWithTheFloat64Reference() throws {
        for (name, c) in try fixtureCases() {
            let (x, y) = (c.x.converted(to: Float.self), c.y.converted(to: Float.self))
            for (key, debiased) in [("linear", false), ("linear_debiased", true)] {
                XCTAssertEqual(
                    try CKA.similarity(x, y, debiased: debiased), try XCTUnwrap(c.expected[key]), accuracy: 1e-6, "\(name) \(key)")
            }
        }
        var rng = SeededRandom(seed: 12)
        let n = 3 * TallProducts.float32Block + 5
        let x: Matrix<Double> = rng.normalMatrix(rows: n, cols: 20)
        var y = matmul(x, rng.normalMatrix(rows: 20, cols: 12) as Matrix<Double>)
        y.addToEachRow([Double](repeating: 1000, count: 12))
        for debiased in [false, true] {
            XCTAssertEqual(
                try CKA.similarity(x.converted(to: Float.self), y.converted(to: Float.self), debiased: debiased),
                try CKA.similarity(x, y, debiased: debiased), accuracy: 1e-6)
        }
    }

    /// The demo's published figures, to the five digits it prints.
    func testDemoFiguresAsPrinted() throws {
        let c = try XCTUnwrap(try fixtureCases()["demo"])
        XCTAssertEqual(try CKA.similarity(c.x, c.y), 0.55761, accuracy: 5e-6)
        XCTAssertEqual(try CKA.similarity(c.x, c.y, kernel: .rbf(threshold: 0.5)), 0.65483, accuracy: 5e-6)
        XCTAssertEqual(try CKA.similarity(c.x, c.y, debiased: true), 0.51346, accuracy: 5e-6)
    }

    /// CKA is invariant to orthogonal transforms and isotropic scaling: CKA(X, XQ·s) = 1.
    func testInvariantToOrthogonalTransformAndScale() throws {
        var rng = SeededRandom(seed: 11)
        for (n, d) in [(50, 8), (10, 30)] {  // feature-space and Gram-matrix paths
            let x: Matrix<Double> = rng.normalMatrix(rows: n, cols: d)
            let q = try QR(rng.normalMatrix(rows: d, cols: d)).q
            var y = matmul(x, q)
            y.scale(by: 3.7)
            for kernel in [CKAKernel.linear, .rbf(threshold: 0.5)] {
                for debiased in [false, true] {
                    XCTAssertEqual(
                        try CKA.similarity(x, y, kernel: kernel, debiased: debiased), 1, accuracy: 1e-10,
                        "\(n)×\(d) \(kernel) debiased \(debiased)")
                }
            }
        }
    }

    /// HSIC is a U-statistic, so the average of its unbiased estimates over every subset of a
    /// given size is the full-data estimate: minibatch CKA over all subsets equals full debiased CKA.
    func testMinibatchOverAllSubsetsEqualsFullUnbiased() throws {
        var rng = SeededRandom(seed: 5)
        let x: Matrix<Double> = rng.normalMatrix(rows: 8, cols: 3)
        var y: Matrix<Double> = rng.normalMatrix(rows: 8, cols: 4)
        y.add(x.columns([0, 1, 2, 0]))
        // Linear kernel only: the RBF bandwidth follows each batch's median distance.
        var accumulator = CKAAccumulator(kernel: .linear, debiased: true, rows: ["X"], columns: ["Y"])
        for subset in combinations(of: 5, from: 8) {
            try accumulator.add(rows: [x.rows(subset)], columns: [y.rows(subset)])
        }
        XCTAssertEqual(accumulator.batches, 56)
        XCTAssertEqual(try accumulator.values()[0, 0], try CKA.similarity(x, y, debiased: true), accuracy: 1e-12)
    }

    /// Random minibatches converge to the full unbiased value as more of them are averaged.
    func testMinibatchConvergesToFullUnbiased() throws {
        let c = try XCTUnwrap(try fixtureCases()["demo"])
        let full = try CKA.similarity(c.x, c.y, debiased: true)
        let x = c.x.converted(to: Float.self), y = c.y.converted(to: Float.self)
        var errors: [Double] = []
        for epochs in [1, 10, 300] {
            let options = CKAOptions(batchSize: 10, epochs: epochs, seed: 3)
            errors.append(abs(try LayerCKA.compute(x, y, options: options).values[0][0] - full))
        }
        XCTAssertLessThan(errors[2], errors[0])
        XCTAssertLessThan(errors[2], 0.01, "errors \(errors)")
    }

    func testRefusesDegenerateInput() throws {
        var rng = SeededRandom(seed: 2)
        let x: Matrix<Double> = rng.normalMatrix(rows: 20, cols: 5)
        assertThrowsMessage(try CKA.similarity(x.rows(in: 0..<3), x.rows(in: 0..<3)), contains: ["at least 4 samples", "got 3"])
        let constant = Matrix<Double>(rows: 20, cols: 5, repeating: 0.1)
        for kernel in [CKAKernel.linear, .rbf(threshold: 0.5)] {
            assertThrowsMessage(
                try CKA.similarity(x, constant, kernel: kernel, names: ("fc1", "relu2")),
                contains: ["'relu2'", "constant"])
        }
        assertThrowsMessage(try CKA.similarity(x, x.rows(in: 0..<10)), contains: ["10 samples", "20"])
        var bad = x
        bad[3, 1] = .nan
        assertThrowsMessage(try CKA.similarity(bad, x), contains: ["NaN"])
        // Most samples identical: the median distance, and so the RBF bandwidth, is 0.
        var clumped = Matrix<Double>(rows: 20, cols: 5)
        clumped.setRow(0, [1, 2, 3, 4, 5])
        assertThrowsMessage(try CKA.similarity(x, clumped, kernel: .rbf(threshold: 0.5)), contains: ["median distance of 0"])
        XCTAssertNoThrow(try CKA.similarity(x, clumped))
        assertThrowsMessage(
            try LayerCKA.compute(
                x.converted(to: Float.self), x.converted(to: Float.self),
                options: CKAOptions(batchSize: 2)), contains: ["batch size", "at least 4"])
        assertThrowsMessage(
            try LayerCKA.compute(
                x.converted(to: Float.self), x.converted(to: Float.self),
                options: CKAOptions(kernel: .rbf(threshold: 0))), contains: ["threshold"])
    }

    func testLayerMatrixWithinOneModel() throws {
        let model = try DemoModels.load("mlp-1")
        let data = try Digits.load(.test)
        let m = try LayerCKA.compute(model, data: data)
        XCTAssertEqual(m.rowLayers, ["fc1", "relu1", "fc2", "relu2", "fc3"])
        XCTAssertEqual(m.rowLayers, m.columnLayers)
        XCTAssertNil(m.modelB)
        XCTAssertEqual(m.samples, data.count)
        for i in m.values.indices {
            XCTAssertEqual(m.values[i][i], 1, accuracy: 1e-12)
            for j in m.values.indices { XCTAssertEqual(m.values[i][j], m.values[j][i], accuracy: 1e-12) }
        }
        // Each entry is the pairwise CKA of the two layers' activations.
        let acts = try LayerActivations.collect(model, data.x, layers: ["relu1", "fc3"])
        XCTAssertEqual(m.values[1][4], try CKA.similarity(acts[0], acts[1]), accuracy: 1e-12)
        // Copies of their input (flatten, dropout) and a final softmax are left out.
        let layers = ["fc1", "drop", "relu", "flatten", "fc2", "softmax"].map { name -> LayerSpec in
            var s = LayerSpec(name: name, kind: ["fc1", "fc2"].contains(name) ? "linear" : name == "drop" ? "dropout" : name)
            if s.kind == "linear" { (s.weight, s.out) = ("\(name).w", 4) }
            return s
        }
        let copies = try NetworkFile.untrained(ArchitectureSpec(name: "c", input: InputSpec(shape: [6]), layers: layers), seed: 1)
        XCTAssertEqual(LayerCKA.defaultLayers(copies), ["fc1", "relu", "fc2"])
    }

    func testLayerMatrixBetweenModelsAndMinibatches() throws {
        let a = try DemoModels.load("mlp-1"), b = try DemoModels.load("mlp-2")
        let data = try Digits.load(.test)
        let full = try LayerCKA.compute(
            a, b, data: data, layersA: ["relu1", "relu2"], layersB: ["relu1", "relu2", "fc3"],
            options: CKAOptions(debiased: true))
        XCTAssertEqual(full.values.count, 2)
        XCTAssertEqual(full.values[0].count, 3)
        XCTAssertEqual(full.modelB, "demo:mlp-2")
        XCTAssertEqual(full.bestColumnForRow, [0, 1])
        let minibatch = try LayerCKA.compute(
            a, b, data: data, layersA: ["relu1", "relu2"], layersB: ["relu1", "relu2", "fc3"],
            options: CKAOptions(batchSize: 64, epochs: 20, seed: 1))
        XCTAssertTrue(minibatch.debiased)
        XCTAssertEqual(minibatch.batches, 20 * 8)
        for i in 0..<2 { for j in 0..<3 { XCTAssertEqual(minibatch.values[i][j], full.values[i][j], accuracy: 0.02) } }
        assertThrowsMessage(try LayerCKA.compute(a, b, data: data, layersA: ["fc9"]), contains: ["fc9"])
        let wrongWidth = Dataset(name: "x.npy", x: Matrix(rows: 10, cols: 12), labels: nil, sampleShape: [12])
        assertThrowsMessage(try LayerCKA.compute(a, b, data: wrongWidth), contains: ["12 values", "demo:mlp-1", "[64]"])
    }

    func testProgressReportsAndCancels() throws {
        let model = try DemoModels.load("mlp-1")
        let data = try Digits.load(.test)
        for options in [CKAOptions(), CKAOptions(batchSize: 100)] {
            var fractions: [Double] = []
            _ = try LayerCKA.compute(model, data: data, options: options) { f, _ in
                fractions.append(f); return true
            }
            XCTAssertEqual(fractions.last, 1)
            XCTAssertEqual(fractions, fractions.sorted())
            XCTAssertThrowsError(try LayerCKA.compute(model, data: data, options: options) { _, _ in false }) {
                XCTAssertTrue($0 is CancellationError)
            }
        }
    }

    func testMinibatchesCoverEverySampleEachEpoch() {
        let batches = LayerCKA.minibatches(samples: 103, size: 10, epochs: 2, seed: 9)
        XCTAssertEqual(batches.count, 22)
        XCTAssertEqual(Set(batches.map(\.count)), [9, 10])
        XCTAssertEqual(batches[..<11].flatMap { $0 }.sorted(), Array(0..<103))
        XCTAssertEqual(batches[11...].flatMap { $0 }.sorted(), Array(0..<103))
        XCTAssertEqual(batches, LayerCKA.minibatches(samples: 103, size: 10, epochs: 2, seed: 9))
    }

    func testKernelCodable() throws {
        for kernel in [CKAKernel.linear, .rbf(threshold: 0.5)] {
            let data = try JSONEncoder().encode(kernel)
            XCTAssertEqual(try JSONDecoder().decode(CKAKernel.self, from: data), kernel)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(
            String(decoding: try encoder.encode(CKAKernel.rbf(threshold: 0.5)), as: UTF8.self),
            #"{"kind":"rbf","threshold":0.5}"#)
    }
}

/// Every k-element subset of 0..<n, in lexicographic order.
func combinations(of k: Int, from n: Int) -> [[Int]] {
    guard k > 0 else { return [[]] }
    guard k <= n else { return [] }
    return combinations(of: k - 1, from: n - 1).map { $0 + [n - 1] } + combinations(of: k, from: n - 1)
}
