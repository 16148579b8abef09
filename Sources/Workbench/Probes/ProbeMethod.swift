import Interpret

/// A kind of run a probe can ask for (`method = "…"`): its parameters, and how it turns a
/// model and data into a report section. Each method of Loupe adds one.
public protocol ProbeMethod {
    /// The `method` value in the probe.
    static var name: String { get }
    /// One line saying what the run reports.
    static var summary: String { get }
    static var parameters: [ProbeParameter] { get }
    /// Checks that need more than types (how many models, a value's range), before anything
    /// runs. The message names the parameter.
    static func validate(_ parameters: ProbeParameters) throws
    static func run(_ run: ProbeRun, context: ProbeContext, progress: @escaping ProgressHandler) throws -> ReportSection
}

extension ProbeMethod {
    public static func validate(_ parameters: ProbeParameters) throws {}
}

/// Every method a probe can name.
public enum ProbeMethods {
    public static let all: [any ProbeMethod.Type] = [
        SummaryMethod.self, SAEMethod.self, SAESweepMethod.self, SAEMatchMethod.self, LRPMethod.self, InterpMethod.self,
        BilinearMethod.self, CKAMethod.self, AlignMethod.self, RebasinMethod.self, TrailMethod.self, RandomisationMethod.self
    ]

    public static func named(_ name: String) -> (any ProbeMethod.Type)? { all.first { $0.name == name } }
}
