import Workbench

/// The result a text view shows, computed in the background for one key (a model and context,
/// a model and hook point): asked for again only when the key changes, and a result that
/// arrives for a key no longer wanted is dropped.
final class KeyedResult<Key: Equatable, Value> {
    private var latest: (key: Key, value: Value)?
    private var pending: Key?
    /// Why the last computation failed or stopped.
    private(set) var failure: String?

    /// The result for `key`, when it is the one on hand.
    func value(for key: Key) -> Value? {
        guard let latest, latest.key == key else { return nil }
        return latest.value
    }

    /// Starts `work` as a job titled `title`, unless the result for `key` is on hand or coming.
    func request(_ key: Key, _ title: String, in context: ViewContext, work: @escaping (JobControl) throws -> Value) {
        guard latest.map({ $0.key != key }) ?? true, pending != key else { return }
        pending = key
        failure = nil
        context.jobs.submit(
            title,
            work: { [weak self] job in
                let value = try work(job)
                job.deliver {
                    guard let self, self.pending == key else { return }
                    self.latest = (key, value)
                    self.pending = nil
                }
            },
            completion: { [weak self] outcome in
                switch outcome {
                case .finished: return
                case .failed(let message): self?.failure = message
                case .cancelled: self?.failure = "cancelled; move on to start again"
                }
                self?.pending = nil
            })
    }
}

/// A model and a context of the text: what the logit lens and the attention view compute for.
struct ContextKey: Equatable {
    let model: Int
    let context: Int
}
