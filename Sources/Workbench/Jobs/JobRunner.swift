import Foundation
import Networks

/// Runs long work off the UI thread, on one worker thread, so that BLAS is never called from
/// two threads at once (docs/design.md: OpenBLAS has its own thread pool).
///
/// Jobs start in the order they were submitted. A job that has run for a while (`patience`)
/// steps aside at its next progress report to let the jobs waiting behind it run to their end,
/// on the same thread, inside that report; then it carries on. So a short computation (a CKA
/// matrix, one pair of layers' correlations) asked for while an SAE trains is shown in a moment,
/// not after the training: the newest request is what the user is looking at.
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
        /// Jobs that stepped aside for this one and resume when it ends.
        public var paused: Int
    }

    /// How long a job runs before it lets waiting jobs go first.
    public static let patience: TimeInterval = 0.25

    private struct Pending {
        let control: JobControl
        let work: (JobControl) throws -> Void
        let completion: (Outcome) -> Void
    }

    private let queue = DispatchQueue(label: "loupe.jobs", qos: .userInitiated)
    private let group = DispatchGroup()
    private let lock = NSLock()
    private var pending: [Pending] = []
    /// The jobs on the worker thread: the first is the outermost, the last the one running.
    private var running: [JobControl] = []
    private var deliveries: [() -> Void] = []
    private var changes = 0

    public init() {}

    /// Queues `work`; `completion` runs on the UI thread (at a `drain()`) when it ends.
    @discardableResult
    public func submit(
        _ title: String, work: @escaping (JobControl) throws -> Void,
        completion: @escaping (Outcome) -> Void = { _ in }
    ) -> JobControl {
        let control = JobControl(
            title: title, onChange: { [weak self] in self?.changed() },
            onDeliver: { [weak self] body in self?.enqueueDelivery(body) },
            onCheckpoint: { [weak self] job in self?.stepAside(job) })
        locked {
            pending.append(Pending(control: control, work: work, completion: completion))
            changes += 1
        }
        group.enter()
        // One block per job; a block finds nothing to do when its job already ran inside another.
        queue.async { [self] in
            if let next = locked({ pending.isEmpty ? nil : pending.removeFirst() }) { run(next) }
            group.leave()
        }
        return control
    }

    private func run(_ job: Pending) {
        job.control.started(on: pthread_self())
        locked {
            running.append(job.control); changes += 1
        }
        let outcome: Outcome
        if job.control.isCancelled {
            outcome = .cancelled
        } else {
            do {
                try job.work(job.control)
                outcome = job.control.isCancelled ? .cancelled : .finished
            } catch is CancellationError {
                outcome = .cancelled
            } catch is TrainingCancelled {
                outcome = .cancelled
            } catch {
                outcome = .failed("\(error)")
            }
        }
        locked { running.removeAll { $0 === job.control } }
        job.control.end()
        enqueueDelivery { job.completion(outcome) }
    }

    /// At a progress report of `job`: if it is the job running now, has run for `patience` and
    /// others wait, run them first (on this thread, to their ends).
    private func stepAside(_ job: JobControl) {
        guard job.isOnItsThread, job.elapsed >= JobRunner.patience else { return }
        while let next = locked({ running.last === job && !pending.isEmpty ? pending.removeFirst() : nil }) {
            run(next)
        }
    }

    /// The running job, if any.
    public var status: Status? {
        let (job, queued, paused) = locked { (running.last, pending.count, max(running.count - 1, 0)) }
        guard let job else { return nil }
        let s = job.snapshot
        return Status(title: job.title, fraction: s.fraction, message: s.message, series: s.series, queued: queued, paused: paused)
    }

    /// Whether work remains: a job running or queued, or a result not yet drained. The last
    /// matters to a loop that waits longer when idle: a job that ended just before the wait
    /// began would otherwise have its result shown only when the long wait ends.
    public var isBusy: Bool { locked { !running.isEmpty || !pending.isEmpty || !deliveries.isEmpty } }

    /// The job running now (the innermost, when one stepped aside for it).
    public var runningJob: JobControl? { locked { running.last } }

    /// Cancels the job running now (its progress handler returns false from now on); a job it
    /// paused carries on.
    @discardableResult
    public func cancelRunning() -> Bool {
        guard let job = runningJob else { return false }
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

    private func enqueueDelivery(_ body: @escaping () -> Void) {
        locked {
            deliveries.append(body); changes += 1
        }
    }

    private func locked<R>(_ body: () -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body()
    }
}
