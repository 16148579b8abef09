import Interpret
import LinAlg
import Transformers

/// A transformer checkpoint's hook point over the first tokens of a text (`CHECKPOINT --text FILE
/// --layer HOOK`), one row per token, with what SAELens's cfg.json records about how it was read.
struct TextHookActivations: ActivationSource {
    let values: ActivationMatrix
    let checkpoint: String
    let hook: String
    let text: String
    /// model_name (the checkpoint as given), hook_name, context_size (tokens per context) and
    /// prepend_bos (whether each context starts with a special token: the BOS the tokenizer or
    /// --prepend-bos puts first, a BERT's [CLS]).
    let metadata: SAELensMetadata

    init(checkpoint: String, hook: String, text path: String, options: TextSampleOptions) throws {
        let transformer = try TextModels.load(checkpoint)
        let collected = try options.collect([(transformer, [hook])])
        let cutter = try options.text.cutter(for: transformer)
        values = ActivationMatrix(collected.values[0][hook]!, name: "\(checkpoint) \(hook) on \(path) (\(collected.tokens) tokens)")
        self.checkpoint = checkpoint
        self.hook = hook
        text = path
        metadata = SAELensMetadata(
            modelName: checkpoint, hookName: hook, contextSize: cutter.length,
            prependBOS: !cutter.before.isEmpty)
    }

    var name: String { values.name }
    var count: Int { values.count }
    var dimension: Int { values.dimension }
    func rows(in range: Range<Int>) throws -> Matrix<Float> { try values.rows(in: range) }
}
