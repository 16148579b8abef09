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
    private let onChange: () -> Void
    private let onDeliver: (@escaping () -> Void) -> Void

    init(title: String, onChange: @escaping () -> Void, onDeliver: @escaping (@escaping () -> Void) -> Void) {
        self.title = title
        self.onChange = onChange
        self.onDeliver = onDeliver
    }

    /// Records progress; returns false once the job was cancelled, so that work written against
    /// `ProgressHandler` stops by itself.
    @discardableResult
    public func report(_ fraction: Double, _ status: String) -> Bool {
        lock.lock()
        self.fraction = min(max(fraction, 0), 1)
        message = status
        let keepGoing = !cancelled
        lock.unlock()
        onChange()
        return keepGoing
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
