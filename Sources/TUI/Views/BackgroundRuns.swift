import Workbench

/// Results of a view computed in the background, one per setting (a key): each run's result
/// grows as the job delivers partial ones, and is kept once finished so that going back to a
/// setting costs nothing. Only one run is live at a time: moving to another setting cancels
/// and forgets the unfinished one, which starts again if its setting comes back.
final class BackgroundRuns<Key: Equatable, Result> {
    struct Run {
        enum State: Equatable {
            case running
            case finished
            /// Cancelled with Esc: kept, with its partial result, while its setting stays.
            case cancelled
            case failed(String)
        }

        var state: State
        /// The last result the job delivered (over the part done so far).
        var result: Result?
        let job: JobControl
    }

    /// A handful at most (one per setting visited), so a list.
    private var runs: [(key: Key, run: Run)] = []

    func run(_ key: Key) -> Run? { runs.first { $0.key == key }?.run }

    /// Makes sure `key` is computed, computing, or was cancelled with Esc (switching the run off
    /// and on starts it again); an unfinished run of another setting is cancelled and forgotten.
    /// `work` runs in the background and hands each result, partial or whole, to its second
    /// argument.
    func ensure(
        _ key: Key, title: String, context: ViewContext,
        work: @escaping (_ job: JobControl, _ deliver: @escaping (Result) -> Void) throws -> Void
    ) {
        forgetUnfinished(except: key)
        guard run(key) == nil else { return }
        // The completion runs on the UI thread after this function, so `submitted` is set by then.
        var submitted: JobControl?
        let job = context.jobs.submit(
            title,
            work: { [weak self] job in
                try work(job) { result in job.deliver { self?.update(key, job) { $0.result = result } } }
            },
            completion: { [weak self] outcome in
                guard let job = submitted else { return }
                self?.update(key, job) { run in
                    switch outcome {
                    case .finished: run.state = .finished
                    case .cancelled: run.state = .cancelled
                    case .failed(let message): run.state = .failed(message)
                    }
                }
            })
        submitted = job
        runs.append((key, Run(state: .running, result: nil, job: job)))
    }

    /// Cancels and forgets every unfinished run (the panel switched off): switched on again,
    /// they start afresh.
    func forgetUnfinished(except kept: Key? = nil) {
        let (keep, drop) = (
            runs.filter { $0.key == kept || $0.run.state == .finished },
            runs.filter { $0.key != kept && $0.run.state != .finished }
        )
        drop.forEach { $0.run.job.cancel() }
        runs = keep
    }

    /// Changes the run of `key` if it is still the one `job` computes (not one forgotten since).
    private func update(_ key: Key, _ job: JobControl, _ change: (inout Run) -> Void) {
        guard let i = runs.firstIndex(where: { $0.key == key && $0.run.job === job }) else { return }
        change(&runs[i].run)
    }
}
