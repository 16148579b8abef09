import Interpret
import LinAlg
import Networks

/// CKA on large activations, a layer × layer CKA between the demo MLPs (plain, and CKA and
/// mutual k-NN with permutation nulls), and weight matching for two 784-512-512-512-10 MLPs
/// (random weights: the work does not depend on training).
enum AlignmentBenchmarks: BenchmarkGroup {
    static let name = "alignment"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        var rng = SeededRandom(seed: 1)
        let (n, d) = context.quick ? (2000, 256) : (10_000, 512)
        let x: Matrix<Float> = rng.normalMatrix(rows: n, cols: d)
        var y: Matrix<Float> = rng.normalMatrix(rows: n, cols: d)
        y.add(x)
        // XᵀY (2nd²) and the two self terms by syrk (nd² each).
        let flops = 4 * Double(n) * Double(d) * Double(d)
        for debiased in [false, true] {
            let t = try Stopwatch.best(budget: 1, maxRuns: 5) { _ = try CKA.similarity(x, y, debiased: debiased) }
            report(
                BenchmarkRecord(
                    group: name, name: "linear CKA\(debiased ? ", debiased" : "")", size: "\(n) × \(d)", seconds: t,
                    rate: Double(n) / t, unit: "samples/s", note: String(format: "%.1f GFLOP/s", flops / t / 1e9)))
        }
        let batch = context.quick ? 500 : 1000
        let rbf = CKAOptions(kernel: .rbf(threshold: 0.5), batchSize: batch)
        let tr = try Stopwatch.best(budget: 1, maxRuns: 3) { _ = try LayerCKA.compute(x, y, options: rbf) }
        report(
            BenchmarkRecord(
                group: name, name: "minibatch RBF CKA", size: "\(n) × \(d), batches of \(batch)", seconds: tr,
                rate: Double(n) / tr, unit: "samples/s"))

        let a = try DemoModels.load("mlp-1"), b = try DemoModels.load("mlp-2")
        let digits = try Digits.load(.all)
        var cells = 0
        let tl = try Stopwatch.best(budget: 1, maxRuns: 5) {
            let m = try LayerCKA.compute(a, b, data: digits)
            cells = m.values.count * m.values[0].count
        }
        report(
            BenchmarkRecord(
                group: name, name: "layer × layer CKA demo:mlp-1 × demo:mlp-2", size: "\(cells) pairs, \(digits.count) samples",
                seconds: tl, rate: Double(cells) / tl, unit: "pairs/s"))
        // The same matrix with a permutation null beside every value, for CKA and for mutual
        // k-NN: what `loupe cka --permutations 99 [--measure mutual-knn]` runs.
        let shuffles = context.quick ? 19 : 99
        for (label, options) in [
            ("linear CKA", CKAOptions(permutations: shuffles)),
            ("mutual k-NN (k 10)", CKAOptions(measure: .mutualKNN, neighbours: 10, permutations: shuffles))
        ] {
            let t = try Stopwatch.best(budget: 2, maxRuns: 3) { _ = try LayerCKA.compute(a, b, data: digits, options: options) }
            report(
                BenchmarkRecord(
                    group: name, name: "layer × layer \(label) with a \(shuffles)-shuffle null, demo:mlp-1 × demo:mlp-2",
                    size: "\(cells) pairs, \(digits.count) samples", seconds: t, rate: Double(cells * (shuffles + 1)) / t,
                    unit: "values/s", note: String(format: "%.1f× the plain CKA matrix", t / tl)))
        }

        let width = context.quick ? 128 : 512
        let spec = try ShortSpec.parse("mlp:784-\(width)-\(width)-\(width)-10", name: "bench")
        let ma = try NetworkFile.untrained(spec, seed: 1), mb = try NetworkFile.untrained(spec, seed: 2)
        let permutations = try PermutationSpec(ma)
        let ta = PermutationSpec.tensors(of: ma), tb = PermutationSpec.tensors(of: mb)
        var sweeps = 0
        let tw = try Stopwatch.best(budget: 2, maxRuns: 3) {
            sweeps = try WeightMatching.run(permutations, a: ta, b: tb, seed: 0).sweeps
        }
        report(
            BenchmarkRecord(
                group: name, name: "weight matching", size: "784-\(width)-\(width)-\(width)-10", seconds: tw,
                rate: nil, unit: nil, note: "\(sweeps) sweeps"))
    }
}
