import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// How much memory Loupe lets a file, an architecture or an option make it allocate.
///
/// Every size that comes from outside (a tensor's shape, a conv layer's padding, `--d-sae`, the
/// number of samples in a data file) is checked against this budget, with overflow-free
/// arithmetic, before memory is reserved: an enormous request is refused in one line instead of
/// ending in an allocation abort, or in minutes of swapping. The default is three quarters of the
/// machine's physical memory; `--max-memory` or `LOUPE_MAX_MEMORY` (e.g. `8G`, `512M`) changes it.
public enum MemoryBudget {
    /// The environment variable that sets the budget (the workbench and probes read it too).
    public static let environmentVariable = "LOUPE_MAX_MEMORY"

    private static let lock = NSLock()
    nonisolated(unsafe) private static var override: Int?

    /// The budget in bytes.
    public static var bytes: Int {
        lock.lock()
        defer { lock.unlock() }
        if let override { return override }
        if let text = ProcessInfo.processInfo.environment[environmentVariable], let b = try? parse(text) { return b }
        return defaultBytes
    }

    /// Three quarters of physical memory (or 4 GiB when the system does not say).
    public static var defaultBytes: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        guard pages > 0, size > 0 else { return 4 << 30 }
        let (total, overflow) = pages.multipliedReportingOverflow(by: size)
        return overflow ? Int.max / 4 * 3 : total / 4 * 3
    }

    /// Sets the budget for this process (`--max-memory`); nil returns to the default.
    public static func set(_ bytes: Int?) {
        lock.lock()
        override = bytes
        lock.unlock()
    }

    /// Parses a size: a number of bytes, or a number followed by K, M, G or T (powers of 1024,
    /// an optional trailing "B" or "iB"): "8G", "512M", "1.5GiB", "1000000".
    public static func parse(_ text: String) throws -> Int {
        var t = text.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where t.hasSuffix(suffix) && t.count > suffix.count {
            t.removeLast(suffix.count)
            break
        }
        let units: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024, "T": 1024 * 1024 * 1024 * 1024]
        var scale = 1.0
        if let last = t.last, let u = units[last] {
            scale = u
            t.removeLast()
        }
        guard let value = Double(t), value.isFinite, value > 0, value * scale < Double(Int.max / 2) else {
            throw TensorIOError(file: "memory budget", message: "'\(text)' is not a size (e.g. 8G, 512M, 1000000)")
        }
        return Int(value * scale)
    }

    /// Refuses `bytes` (nil: a size so large that computing it overflowed) when it exceeds the
    /// budget. `what` says what would be allocated, for the message.
    public static func check(_ bytes: Int?, for what: @autoclosure () -> String) throws {
        let limit = self.bytes
        guard let bytes else {
            throw MemoryBudgetError(what: what(), bytes: nil, budget: limit)
        }
        if bytes > limit { throw MemoryBudgetError(what: what(), bytes: bytes, budget: limit) }
    }

    /// Bytes for `count` elements of `size` bytes each (and any further factors), or nil on
    /// overflow or a negative factor.
    public static func product(_ factors: Int...) -> Int? { product(factors) }

    public static func product(_ factors: [Int]) -> Int? {
        var n = 1
        for f in factors {
            guard f >= 0 else { return nil }
            let (p, overflow) = n.multipliedReportingOverflow(by: f)
            if overflow { return nil }
            n = p
        }
        return n
    }

    /// The sum of sizes, or nil if any is nil or the sum overflows.
    public static func sum(_ sizes: [Int?]) -> Int? {
        var total = 0
        for s in sizes {
            guard let s else { return nil }
            let (t, overflow) = total.addingReportingOverflow(s)
            if overflow { return nil }
            total = t
        }
        return total
    }

    /// "13.2 GB": a size for messages (decimal units, as `ls -h --si` and most users read them).
    public static func text(_ bytes: Int) -> String {
        let b = Double(bytes)
        for (unit, scale) in [("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)] where b >= scale {
            return String(format: "%.1f %@", b / scale, unit)
        }
        return "\(bytes) bytes"
    }
}

/// A request beyond the memory budget.
public struct MemoryBudgetError: Error, CustomStringConvertible, LocalizedError {
    public let what: String
    /// nil: the size overflowed.
    public let bytes: Int?
    public let budget: Int

    public var description: String {
        let size = bytes.map { "needs \(MemoryBudget.text($0))" } ?? "needs more memory than can be addressed"
        return
            "\(what) \(size), more than the \(MemoryBudget.text(budget)) memory budget (--max-memory or \(MemoryBudget.environmentVariable) to change it)"
    }

    public var errorDescription: String? { description }
}
