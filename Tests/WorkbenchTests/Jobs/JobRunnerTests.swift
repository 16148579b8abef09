import Foundation
import Interpret
import TestSupport
import Workbench
import XCTest

final class JobRunnerTests: XCTestCase {
    /// Jobs run one at a time in the order they were queued, off the calling thread, and what
    /// they deliver only runs at drain().
    func testJobsRunInOrderAndDeliverAtDrain() {
        let runner = JobRunner()
        var log: [String] = []
        let caller = Thread.current
        for name in ["a", "b", "c"] {
            runner.submit(
                name,
                work: { job in
                    XCTAssertFalse(Thread.current == caller)
                    job.report(1, name)
                    job.deliver { log.append(name) }
                }, completion: { outcome in log.append("\(name):\(outcome)") })
        }
        runner.waitUntilIdle()
        XCTAssertEqual(log, ["a", "a:finished", "b", "b:finished", "c", "c:finished"])
        XCTAssertFalse(runner.isBusy)
        XCTAssertNil(runner.status)
    }

    func testNothingDeliveredRunsBeforeDrain() {
        let runner = JobRunner()
        let done = DispatchSemaphore(value: 0)
        var delivered = false
        runner.submit(
            "x",
            work: { job in
                job.deliver { delivered = true }; done.signal()
            })
        done.wait()
        Thread.sleep(forTimeInterval: 0.05)
        XCTAssertFalse(delivered, "a delivery must wait for the UI thread's drain()")
        XCTAssertTrue(runner.isBusy, "a result not yet drained is work remaining")
        runner.waitUntilIdle()
        XCTAssertTrue(delivered)
        XCTAssertFalse(runner.isBusy)
    }

    /// Cancelling makes the job's ProgressHandler return false; work that throws
    /// CancellationError then ends as cancelled. Progress and live series are visible meanwhile.
    func testCancelThroughTheProgressHandler() {
        let runner = JobRunner()
        let started = DispatchSemaphore(value: 0)
        var outcome: JobRunner.Outcome?
        var steps = 0
        runner.submit(
            "long",
            work: { job in
                let progress: ProgressHandler = job.progress
                job.record("loss", 2)
                job.record("loss", 1)
                _ = progress(0.25, "step 1")
                started.signal()
                while progress(0.5, "working") {
                    steps += 1
                    Thread.sleep(forTimeInterval: 0.001)
                }
                throw CancellationError()
            }, completion: { outcome = $0 })
        started.wait()
        let status = runner.status
        XCTAssertEqual(status?.title, "long")
        XCTAssertEqual(status?.series, [JobSeries(name: "loss", values: [2, 1])])
        XCTAssertTrue(runner.cancelRunning())
        runner.waitUntilIdle()
        XCTAssertEqual(outcome, .cancelled)
        XCTAssertFalse(runner.cancelRunning(), "nothing left to cancel")
    }

    func testFailureCarriesTheMessage() {
        let runner = JobRunner()
        var outcome: JobRunner.Outcome?
        runner.submit("bad", work: { _ in throw InterpretError("layer 'fc9' does not exist") }, completion: { outcome = $0 })
        runner.waitUntilIdle()
        XCTAssertEqual(outcome, .failed("layer 'fc9' does not exist"))
    }

    /// A job cancelled while it still waits never runs.
    func testQueuedJobCancelledBeforeItStarts() {
        let runner = JobRunner()
        let gate = DispatchSemaphore(value: 0)
        var ran = false
        var outcome: JobRunner.Outcome?
        runner.submit("first", work: { _ in gate.wait() })
        let second = runner.submit("second", work: { _ in ran = true }, completion: { outcome = $0 })
        second.cancel()
        gate.signal()
        runner.waitUntilIdle()
        XCTAssertFalse(ran)
        XCTAssertEqual(outcome, .cancelled)
    }

    /// A job that has run for a while steps aside, at its next progress report, for the jobs
    /// submitted after it; they run to their end on the same (worker) thread, then it resumes.
    func testALongJobStepsAsideForANewOne() {
        let runner = JobRunner()
        var log: [String] = []
        let lock = NSLock()
        func note(_ s: String) { lock.lock(); log.append(s); lock.unlock() }
        let started = DispatchSemaphore(value: 0)
        var worker: Thread?
        runner.submit(
            "long",
            work: { job in
                worker = Thread.current
                started.signal()
                let start = Date()
                // Reports progress until the short job has had its turn (or 30 s, a failure).
                while Date().timeIntervalSince(start) < 30 {
                    job.report(0.5, "working")
                    lock.lock()
                    let done = log.contains("short")
                    lock.unlock()
                    if done { break }
                    Thread.sleep(forTimeInterval: 0.005)
                }
                note("long")
            })
        started.wait()
        var pausedSeen = false
        runner.submit(
            "short",
            work: { _ in
                XCTAssertTrue(Thread.current == worker, "on the worker thread")
                pausedSeen = runner.status?.paused == 1 && runner.status?.title == "short"
                note("short")
            })
        runner.waitUntilIdle()
        XCTAssertEqual(log, ["short", "long"])
        XCTAssertTrue(pausedSeen, "the status shows the short job, with the long one paused")
    }

    /// A job that has not yet run for `patience` does not step aside: order stays first come,
    /// first served for short jobs.
    func testShortJobsKeepTheirOrder() {
        let runner = JobRunner()
        var log: [String] = []
        for name in ["a", "b"] {
            runner.submit(
                name,
                work: { job in
                    job.report(0, "")
                    log.append(name)
                })
        }
        runner.waitUntilIdle()
        XCTAssertEqual(log, ["a", "b"])
    }
}
