import Foundation
import Transformers

/// A transformer's hook point read from a text, resolved: the model, how the text becomes
/// contexts, which tokens are no samples, and what SAELens's cfg.json records of it. From it
/// come the stream an SAE trains on, the in-memory sample it is evaluated on, and the key of
/// an activation cache, so that the command line and probes read a text the same way.
public struct TextHookSpec: Sendable {
    /// The model as the user named it (a folder, demo:gpt2-tiny).
    public let reference: String
    public let model: Transformer
    public let hook: String
    /// The text file as the user named it.
    public let text: String
    public let corpus: TextCorpus
    public let cutter: ContextCutter
    /// Token ids that are no samples: those that wrap each context (BOS, [CLS], [SEP]) and,
    /// when asked, every special token of the tokenizer.
    public let excluded: Set<Int>

    public init(
        reference: String, model: Transformer, hook: String, text: String, corpus: TextCorpus, cutter: ContextCutter,
        excludeSpecial: Bool
    ) {
        (self.reference, self.model, self.hook, self.text, self.corpus, self.cutter) = (reference, model, hook, text, corpus, cutter)
        excluded = Set(cutter.before + cutter.after).union(excludeSpecial ? model.tokenizer?.specialIDs ?? [] : [])
    }

    /// model_name (the checkpoint as given), hook_name, context_size, and prepend_bos (whether
    /// each context starts with a special token: a BOS, a BERT's [CLS]).
    public var saeLens: SAELensMetadata {
        SAELensMetadata(modelName: reference, hookName: hook, contextSize: cutter.length, prependBOS: !cutter.before.isEmpty)
    }

    /// The hook point as the model reads the text; `cycles`: from the top again at its end.
    public func stream(cycles: Bool) throws -> HookStream {
        try HookStream(model: model, hook: hook, corpus: corpus, cutter: cutter, excluded: excluded, cycles: cycles)
    }

    /// The hook point over the first `maxTokens` tokens, in memory, with the contexts to splice
    /// an SAE back into the model.
    public func source(maxTokens: Int, progress: (Double, String) -> Void = { _, _ in }) throws -> TextHookSource {
        let read = try TextActivations.collect([(model, [hook])], corpus: corpus, cutter: cutter, maxTokens: maxTokens, progress: progress)
        return TextHookSource(
            name: "\(reference) \(hook) on \(text) (\(read.tokens) tokens)", values: read.values[0][hook]!, model: model, hook: hook,
            contexts: read.contexts, special: excluded, saeLens: saeLens, text: text)
    }

    /// What an activation cache of this hook point holds.
    public func cacheContents() throws -> ActivationCache.Contents {
        try ActivationCache.Contents(model: reference, hook: hook, corpus: corpus, cutter: cutter, excluded: excluded)
    }

    /// An SAE's training on this hook point as the model reads the text (from the top again at
    /// its end): batches come through a shuffling buffer of `bufferContexts` contexts, by default
    /// `SAETrainingSession.bufferBatches` batches' worth. The stream says how far it has read.
    public func trainingSession(options: SAETrainingOptions, bufferContexts: Int? = nil) throws -> (
        session: SAETrainingSession, stream: HookStream, bufferContexts: Int
    ) {
        let contexts = bufferContexts ?? max(SAETrainingSession.bufferBatches * options.batchSize / cutter.length, 1)
        let stream = try stream(cycles: true)
        return (try SAETrainingSession(stream: stream, bufferRows: contexts * cutter.length, options: options), stream, contexts)
    }
}
