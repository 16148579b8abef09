import Transformers
import Workbench

/// Runs every context of a text through a transformer in batches, keeping the hook points
/// named, with progress to `job`; `body` gets each batch's contexts (their indices) and result.
func runContexts(
    _ transformer: Transformer, _ contexts: [[Int]], keeping hooks: Set<String>, job: JobControl, label: String,
    _ body: (Range<Int>, TransformerActivations) throws -> Void
) throws {
    let batch = transformer.contextsPerRun
    for start in stride(from: 0, to: contexts.count, by: batch) {
        try job.checkCancellation()
        _ = job.report(Double(start) / Double(contexts.count), "\(label): context \(start + 1) of \(contexts.count)")
        let range = start..<min(start + batch, contexts.count)
        try body(range, try transformer.run(contexts: Array(contexts[range]), keeping: hooks))
    }
}
