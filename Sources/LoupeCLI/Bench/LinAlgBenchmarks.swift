import LinAlg

/// The machine's BLAS rate (sgemm, dgemm) and the assignment solver, the figures every other
/// benchmark is read against.
enum LinAlgBenchmarks: BenchmarkGroup {
    static let name = "linalg"

    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws {
        var rng = SeededRandom(seed: 1)
        let sizes = context.quick ? [256, 512] : [256, 512, 1024, 2048]
        for n in sizes {
            let a: Matrix<Float> = rng.normalMatrix(rows: n, cols: n)
            let b: Matrix<Float> = rng.normalMatrix(rows: n, cols: n)
            var c = Matrix<Float>(rows: n, cols: n)
            let t = Stopwatch.best { gemm(into: &c, a, b) }
            let gflops = 2 * pow3(n) / t / 1e9
            context.sgemmGFLOPS = max(context.sgemmGFLOPS ?? 0, gflops)
            report(BenchmarkRecord(group: name, name: "sgemm", size: "n = \(n)", seconds: t, rate: gflops, unit: "GFLOP/s"))
        }
        for n in sizes {
            let a: Matrix<Double> = rng.normalMatrix(rows: n, cols: n)
            let b: Matrix<Double> = rng.normalMatrix(rows: n, cols: n)
            var c = Matrix<Double>(rows: n, cols: n)
            let t = Stopwatch.best { gemm(into: &c, a, b) }
            report(BenchmarkRecord(group: name, name: "dgemm", size: "n = \(n)", seconds: t, rate: 2 * pow3(n) / t / 1e9, unit: "GFLOP/s"))
        }
        for n in context.quick ? [64, 128, 256] : [64, 128, 256, 512, 1024] {
            let cost: Matrix<Double> = rng.uniformMatrix(rows: n, cols: n, low: 0, high: 1)
            let t = try Stopwatch.best(budget: 1, maxRuns: 5) { _ = try LinearAssignment(cost: cost) }
            report(BenchmarkRecord(group: name, name: "assignment (JV)", size: "n = \(n)", seconds: t, rate: nil, unit: nil))
        }
        let n = context.quick ? 128 : 512
        let s: Matrix<Double> = rng.normalMatrix(rows: n, cols: n)
        let sym = (s + s.transposed()).map { $0 / 2 }
        let t = try Stopwatch.best(budget: 1, maxRuns: 5) { _ = try SymmetricEigen(sym) }
        report(BenchmarkRecord(group: name, name: "dsyevd", size: "n = \(n)", seconds: t, rate: nil, unit: nil))
    }

    private static func pow3(_ n: Int) -> Double { Double(n) * Double(n) * Double(n) }
}
