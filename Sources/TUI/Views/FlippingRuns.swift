import Interpret
import Networks
import Workbench

/// The LRP view's pixel-flipping runs, one per setting (model, LRP configuration, target,
/// samples): each computed in the background, its curves growing batch by batch, and kept
/// once finished so that going back to a setting costs nothing. Only one run is live at a
/// time: moving to another setting cancels and forgets the unfinished one, which starts again
/// if its setting comes back.
final class FlippingRuns {
    struct Key: Equatable {
        var model: String
        var configuration: LRPConfiguration
        var target: AttributionTarget
        var samples: Int
    }

    struct Run {
        enum State: Equatable {
            case running
            case finished
            /// Cancelled with Esc: kept, with its partial curves, while its setting stays.
            case cancelled
            case failed(String)
        }

        var state: State
        /// The curves over the samples done so far.
        var result: PixelFlippingResult?
        let job: JobControl
    }

    /// As `loupe lrp flip`: 16 steps, removed inputs set to 0, 10 random orders, seed 1; in
    /// batches of 20 so that the curves grow as the samples are done.
    static let options = PixelFlippingOptions(steps: 16, baseline: .value(0), randomOrders: 10, seed: 1, batchSize: 20)

    /// A handful at most (one per setting visited), so a list.
    private var runs: [(key: Key, run: Run)] = []

    func run(_ key: Key) -> Run? { runs.first { $0.key == key }?.run }

    /// Makes sure `key` is computed, computing, or was cancelled with Esc (switching flipping
    /// off and on runs it again); an unfinished run of another setting is cancelled and forgotten.
    func ensure(_ key: Key, network: Network<Float>, data: Dataset, context: ViewContext) {
        forgetUnfinished(except: key)
        guard run(key) == nil else { return }
        let samples = Array(0..<min(key.samples, data.count))
        // The completion runs on the UI thread after this function, so `submitted` is set by then.
        var submitted: JobControl?
        let job = context.jobs.submit(
            "pixel flipping: \(key.configuration.name)",
            work: { [weak self] job in
                _ = try PixelFlippingResult.compute(
                    network: network, data: data, samples: samples, methods: [key.configuration], target: key.target,
                    options: FlippingRuns.options, progress: job.progress,
                    partial: { partial in job.deliver { self?.update(key, job) { $0.result = partial } } })
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

    /// Cancels and forgets every unfinished run (flipping switched off): switched on again,
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
