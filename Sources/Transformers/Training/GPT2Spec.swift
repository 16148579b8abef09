/// The shapes of a GPT-2 to train, from `loupe train --arch`: "gpt2:l4-d128-h4-c128" is 4
/// layers, width 128, 4 heads and a context of 128 tokens (MLP 4 × width; the vocabulary is the
/// tokenizer's). Each part is a letter and a number, in any order, all four required.
public struct GPT2Spec: Sendable, Equatable {
    public let layers, width, heads, context: Int

    public static let example = "gpt2:l4-d128-h4-c128"

    public init(layers: Int, width: Int, heads: Int, context: Int) {
        (self.layers, self.width, self.heads, self.context) = (layers, width, heads, context)
    }

    public static func isGPT2(_ spec: String) -> Bool { spec.lowercased().hasPrefix("gpt2:") }

    public static func parse(_ spec: String) throws -> GPT2Spec {
        let usage = "expected gpt2:lL-dD-hH-cC (layers, width, heads, context), e.g. \(example)"
        guard isGPT2(spec) else { throw TransformerError("--arch \(spec): \(usage)") }
        var values: [Character: Int] = [:]
        for part in spec.dropFirst(5).split(separator: "-", omittingEmptySubsequences: false) {
            guard let key = part.first, "ldhc".contains(key), let n = Int(part.dropFirst()), n >= 1, values[key] == nil else {
                throw TransformerError("--arch \(spec): '\(part)' is not a part; \(usage)")
            }
            values[key] = n
        }
        guard let l = values["l"], let d = values["d"], let h = values["h"], let c = values["c"] else {
            throw TransformerError("--arch \(spec): \(usage)")
        }
        guard d % h == 0 else { throw TransformerError("--arch \(spec): the width \(d) does not split into \(h) heads") }
        guard l <= 64, d <= 4096, c <= 8192 else {
            throw TransformerError("--arch \(spec): at most 64 layers, width 4096 and context 8192 (Loupe trains small models)")
        }
        return GPT2Spec(layers: l, width: d, heads: h, context: c)
    }

    /// The configuration of this spec with `vocabulary` tokens.
    public func config(vocabulary: Int) throws -> TransformerConfig {
        try GPT2Checkpoint.config(layers: layers, width: width, heads: heads, context: context, vocabulary: vocabulary)
    }
}
