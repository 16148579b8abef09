import Foundation

/// Timing for benchmarks: run the body until `budget` seconds have passed (at least once,
/// at most `maxRuns` times) and keep the fastest run, which is the least disturbed by the
/// rest of the machine.
enum Stopwatch {
    static func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func best(budget: Double = 0.5, maxRuns: Int = 20, _ body: () throws -> Void) rethrows -> Double {
        var best = Double.infinity
        var spent = 0.0
        var runs = 0
        while runs < maxRuns && (runs == 0 || spent < budget) {
            let t = try seconds(body)
            best = min(best, t)
            spent += t
            runs += 1
        }
        return best
    }
}
