import Foundation
import Networks

/// Runs long work off the UI thread, one job at a time; later jobs wait their turn in order.
///
/// A job reports progress and live curves through its `JobControl` and hands results to the UI
/// with `deliver`. Nothing a job delivers runs until the UI thread calls `drain()`, so the UI
/// never needs a lock around its own state and is never blocked by a job.
public final class JobRunner: @unchecked Sendable {
    /// How a job ended.
    public enum Outcome: Equatable, Sendable {
        case finished
        case cancelled
        case failed(String)
    }

    /// What the status line shows about the running job.
    public struct Status: Equatable, Sendable {
        public var title: String
        public var fraction: Double
        public var message: String
        public var series: [JobSeries]
        /// Jobs waiting behind this one.
        public var queued: Int
    }

    private let queue = DispatchQueue(label: "loupe.jobs", qos: .userInitiated)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var running: JobControl?
    private var waiting = 0
    private var deliveries: [() -> Void] = []
    private var changes = 0

    public init() {}

    /// Queues `work`; `completion` runs on the UI thread (at a `drain()`) when it ends.
    @discardableResult
    public func submit(_ title: String, work: @escaping (JobControl) throws -> Void,
                       completion: @escaping (Outcome) -> Void = { _ in }) -> JobControl {
        let control = JobControl(title: title, onChange: { [weak self] in self?.changed() },
                                 onDeliver: { [weak self] body in self?.enqueueDelivery(body) })
        locked { waiting += 1; changes += 1 }
        group.enter()
        queue.async { [self] in
            locked { waiting -= 1; running = control; changes += 1 }
            let outcome: Outcome
            if control.isCancelled {
                outcome = .cancelled
            } else {
                do {
                    try work(control)
                    outcome = control.isCancelled ? .cancelled : .finished
                } catch is CancellationError {
                    outcome = .cancelled
                } catch is TrainingCancelled {
                    outcome = .cancelled
                } catch {
                    outcome = .failed("\(error)")
                }
            }
            locked { running = nil }
            enqueueDelivery { completion(outcome) }
            group.leave()
        }
        return control
    }

    /// The running job, if any.
    public var status: Status? {
        let (job, queued) = locked { (running, waiting) }
        guard let job else { return nil }
        let s = job.snapshot
        return Status(title: job.title, fraction: s.fraction, message: s.message, series: s.series, queued: queued)
    }

    /// Whether work remains: a job running or queued, or a result not yet drained. The last
    /// matters to a loop that waits longer when idle: a job that ended just before the wait
    /// began would otherwise have its result shown only when the long wait ends.
    public var isBusy: Bool { locked { running != nil || waiting > 0 || !deliveries.isEmpty } }

    /// Cancels the running job (its progress handler returns false from now on).
    @discardableResult
    public func cancelRunning() -> Bool {
        guard let job = locked({ running }) else { return false }
        job.cancel()
        return true
    }

    /// Runs what jobs delivered, on the calling (UI) thread. Returns whether anything changed
    /// since the last call (a delivery, progress, a job starting or ending), i.e. whether the
    /// screen is worth redrawing.
    @discardableResult
    public func drain() -> Bool {
        let (work, changed) = locked { () -> ([() -> Void], Bool) in
            let w = deliveries
            deliveries.removeAll()
            let c = changes > 0
            changes = 0
            return (w, c)
        }
        for body in work { body() }
        return changed || !work.isEmpty
    }

    /// Blocks until every queued job has ended, then drains: for tests and for shutting down.
    public func waitUntilIdle() {
        group.wait()
        drain()
    }

    private func changed() { locked { changes += 1 } }

    private func enqueueDelivery(_ body: @escaping () -> Void) { locked { deliveries.append(body); changes += 1 } }

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
