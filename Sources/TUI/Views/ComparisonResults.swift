import Workbench

/// What the comparison views (CKA, alignment, Re-Basin) compute in the background: one result
/// per choice of settings (a kernel, a pair of layers, a matching method), kept so that going
/// back to an earlier choice costs nothing. Asking for another choice while one is computing
/// cancels the one in flight: only the latest is worth the wait. Used on the UI thread only.
final class ComparisonResults<Choice: Hashable, Value> {
    private var values: [Choice: Value] = [:]
    private var failures: [Choice: String] = [:]
    private var running: (choice: Choice, job: JobControl)?

    subscript(choice: Choice) -> Value? { values[choice] }

    /// The value of `choice` when it is known; otherwise draws in `canvas` where it stands (the
    /// progress of its job, or why it failed, through `failed`) and returns nil.
    func value(
        _ choice: Choice, _ context: ViewContext, canvas: Canvas, computing what: String,
        failed: (String) -> String
    ) -> Value? {
        if let value = values[choice] { return value }
        if let failure = failures[choice] {
            TextBlock.render(failed(failure), Theme.error, canvas: canvas)
            return nil
        }
        let job = running.flatMap { $0.choice == choice ? $0.job : nil }
        ComparisonProgress.render(what, job, canvas: canvas)
        return nil
    }

    /// Starts computing `choice` in a job titled `title`, unless it is known or under way.
    /// A failure or cancellation is remembered (and shown) until `retry`.
    func request(_ choice: Choice, title: String, _ context: ViewContext, compute: @escaping (JobControl) throws -> Value) {
        guard values[choice] == nil, failures[choice] == nil, running?.choice != choice else { return }
        running?.job.cancel()
        var job: JobControl?
        job = context.jobs.submit(
            title,
            work: { [weak self] control in
                let value = try compute(control)
                control.deliver { self?.values[choice] = value }
            },
            completion: { [weak self] outcome in
                // A job replaced by a newer choice was cancelled on purpose: nothing to remember.
                guard let self, let current = self.running, current.job === job else { return }
                self.running = nil
                switch outcome {
                case .finished: break
                case .cancelled: self.failures[choice] = "cancelled; r starts it again"
                case .failed(let message): self.failures[choice] = message
                }
            })
        running = (choice, job!)
    }

    /// Forgets a failure or cancellation of `choice` so that `request` tries again.
    func retry(_ choice: Choice) -> Bool {
        failures.removeValue(forKey: choice) != nil
    }
}

/// The line a comparison view shows while its result is on the way.
enum ComparisonProgress {
    static func render(_ what: String, _ job: JobControl?, canvas: Canvas) {
        guard let job, job.hasStarted else {
            canvas.text(0, 0, "\(what): waiting for the job before it to reach a pause…", Theme.dim)
            return
        }
        let report = job.lastReport
        canvas.text(0, 0, "\(what)…", Theme.dim)
        ProgressBarWidget.render(report.fraction, canvas: canvas.sub(Rect(x: 0, y: 1, width: min(canvas.width, 50), height: 1)))
        canvas.text(0, 2, report.message, Theme.dim)
    }

    /// What the align and Re-Basin views say in a workspace of one model.
    static func needsTwoModels(_ what: String, canvas: Canvas) {
        TextBlock.render(
            "\(what) compares two models, and this workspace has one. Open two: loupe tui A --compare B "
                + "(the bare `loupe` opens demo:mlp-1 against demo:mlp-2).", Theme.warning, canvas: canvas)
    }
}

/// The first of a scrolling run of rows (or columns) to show, moved as little as needed to show
/// the cursor.
func firstShown(_ first: Int, toShow cursor: Int, visible: Int) -> Int {
    min(max(first, cursor - visible + 1, 0), cursor)
}
