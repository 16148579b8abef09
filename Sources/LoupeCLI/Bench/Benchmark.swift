/// One measured figure of `loupe bench`.
struct BenchmarkRecord: Codable {
    /// Which part of Loupe: linalg, networks, sae, attribution, bilinear, alignment.
    var group: String
    var name: String
    /// The problem size in words ("n = 1024", "batch 256").
    var size: String
    /// Seconds for one run (the fastest of several).
    var seconds: Double
    /// A throughput, when one makes sense (GFLOP/s, samples/s).
    var rate: Double?
    var unit: String?
    /// A second figure worth reading beside the first (achieved GFLOP/s, a speed-up).
    var note: String? = nil
}

/// What a benchmark group may use from earlier groups of the same run (the sgemm rate, so
/// that other figures can be put beside it).
struct BenchmarkContext {
    var quick: Bool
    var sgemmGFLOPS: Double?
}

/// A set of related benchmarks, run in order by `loupe bench`.
protocol BenchmarkGroup {
    static var name: String { get }
    static func run(_ context: inout BenchmarkContext, report: (BenchmarkRecord) -> Void) throws
}
