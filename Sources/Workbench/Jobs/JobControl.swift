import Foundation
import Interpret

/// The handle a running job reports through and a caller cancels through. Everything on it is
/// safe to call from any thread: the job's thread writes progress, the UI thread reads it.
public final class JobControl: @unchecked Sendable {
    public let title: String
    private let lock = NSLock()
    private var cancelled = false
    private var fraction = 0.0
    private var message = ""
    private var series: [JobSeries] = []
    private var thread: pthread_t?
    private var ended = false
    private var startTime: DispatchTime?
    private let onChange: () -> Void
    private let onDeliver: (@escaping () -> Void) -> Void
    private let onCheckpoint: (JobControl) -> Void

    init(
        title: String, onChange: @escaping () -> Void, onDeliver: @escaping (@escaping () -> Void) -> Void,
        onCheckpoint: @escaping (JobControl) -> Void = { _ in }
    ) {
        self.title = title
        self.onChange = onChange
        self.onDeliver = onDeliver
        self.onCheckpoint = onCheckpoint
    }

    /// Called by the runner as the job starts on the worker thread.
    func started(on thread: pthread_t) {
        lock.lock()
        self.thread = thread
        startTime = .now()
        lock.unlock()
    }

    /// Whether the caller is the job's own thread (not a helper thread of a parallel loop, from
    /// which no other job may be started).
    var isOnItsThread: Bool {
        lock.lock()
        defer { lock.unlock() }
        return thread.map { pthread_equal($0, pthread_self()) != 0 } ?? false
    }

    /// Seconds since the job started.
    var elapsed: TimeInterval {
        lock.lock()
        defer { lock.unlock() }
        return startTime.map { Double(DispatchTime.now().uptimeNanoseconds - $0.uptimeNanoseconds) / 1e9 } ?? 0
    }

    /// Records progress; returns false once the job was cancelled, so that work written against
    /// `ProgressHandler` stops by itself.
    @discardableResult
    public func report(_ fraction: Double, _ status: String) -> Bool {
        lock.lock()
        self.fraction = min(max(fraction, 0), 1)
        message = status
        lock.unlock()
        onChange()
        // A report is a point where the job may step aside for the jobs waiting behind it.
        onCheckpoint(self)
        return !isCancelled
    }

    /// This job's progress as a `ProgressHandler` for the Interpret methods.
    public var progress: ProgressHandler { { [self] f, s in report(f, s) } }

    /// Appends a point to a live curve (a training loss, say) that the status shows as it grows.
    public func record(_ name: String, _ value: Double) {
        lock.lock()
        if let i = series.firstIndex(where: { $0.name == name }) {
            series[i].values.append(value)
        } else {
            series.append(JobSeries(name: name, values: [value]))
        }
        lock.unlock()
        onChange()
    }

    /// Hands `body` to the UI thread: it runs at the UI's next `JobRunner.drain()`. A job passes
    /// its results to its view this way, so views are only ever touched on the UI thread.
    public func deliver(_ body: @escaping () -> Void) { onDeliver(body) }

    public func cancel() {
        lock.lock()
        cancelled = true
        lock.unlock()
        onChange()
    }

    public var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    /// Throws `CancellationError` once the job was cancelled: for loops that report no progress.
    public func checkCancellation() throws {
        if isCancelled { throw CancellationError() }
    }

    /// Whether the job has ended (finished, failed or cancelled).
    public var hasEnded: Bool {
        lock.lock()
        defer { lock.unlock() }
        return ended
    }

    func end() {
        lock.lock()
        ended = true
        lock.unlock()
    }

    /// Whether the job has started (it may since have stepped aside for a newer one).
    public var hasStarted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return startTime != nil
    }

    /// The job's progress as last reported.
    public var lastReport: (fraction: Double, message: String) {
        let s = snapshot
        return (s.fraction, s.message)
    }

    var snapshot: (fraction: Double, message: String, series: [JobSeries]) {
        lock.lock()
        defer { lock.unlock() }
        return (fraction, message, series)
    }
}

/// A live curve of a running job.
public struct JobSeries: Equatable, Sendable {
    public var name: String
    public var values: [Double]

    public init(name: String, values: [Double]) {
        self.name = name
        self.values = values
    }
}
