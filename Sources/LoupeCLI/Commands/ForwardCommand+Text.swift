import Foundation
import TensorIO
import Transformers

/// `loupe forward CHECKPOINT --text FILE`: one row per token, streamed to disk.
extension ForwardCommand {
    /// Runs every context of the text and streams the hook point's rows to `out` (.npy) and, per
    /// row, (document, context, position, token id) to the `.tokens.npy` beside it; memory
    /// holds one context at a time, however large the corpus.
    func runOnText(_ corpus: TextCorpus) throws {
        guard out.lowercased().hasSuffix(".npy") else {
            throw TransformerError("--out \(out): text activations stream to a .npy file (they may be larger than memory)")
        }
        let tokensOut = String(out.dropLast(4)) + ".tokens.npy"
        try checkOutputs(
            [("--out", out), ("--out (token records)", tokensOut)],
            inputs: CommandInputs.checkpoint(model) + CommandInputs.file("the text", text.text), force: overwrite.force)
        let transformer = try TextModels.load(model)
        let point = try transformer.hookPoint(layer)
        guard !point.isPattern else {
            throw TransformerError(
                "--layer \(layer): an attention pattern is as wide as its context, not one row per token; the workbench shows it")
        }
        let cutter = try text.cutter(for: transformer)
        let tokenizer = transformer.tokenizer!
        let bar = ProgressBar("forward")
        var (documents, contexts) = (0, 0)
        let replacing = overwrite.force
        let rows = try NPYStream.write(to: URL(fileURLWithPath: out), width: point.width, dtype: .f32, replacing: replacing) { acts in
            try NPYStream.write(to: URL(fileURLWithPath: tokensOut), width: 4, dtype: .i64, replacing: replacing) { records in
                // Contexts run in batches (one product per projection over all their tokens).
                var batch: [(document: Int, context: Int, ids: [Int])] = []
                func flush() throws {
                    guard !batch.isEmpty else { return }
                    let run = try transformer.run(contexts: batch.map(\.ids), keeping: [layer])
                    try acts.append(run.hooks[layer]!.storage)
                    try records.append(
                        batch.flatMap { c in
                            c.ids.enumerated().flatMap { [Int64(c.document), Int64(c.context), Int64($0.offset), Int64($0.element)] }
                        })
                    contexts += batch.count
                    batch.removeAll(keepingCapacity: true)
                }
                try corpus.forEachDocument(progress: { bar.update($0, "\(documents) documents, \(acts.rows) tokens") }) { document, body in
                    documents += 1
                    for (c, ids) in cutter.contexts(try tokenizer.encode(body, addSpecialTokens: false)).enumerated() {
                        batch.append((document, c, ids))
                        if batch.count == transformer.contextsPerRun { try flush() }
                    }
                }
                try flush()
            }
        }
        bar.finish()
        struct Output: Encodable {
            let file: String, tokens: String, layer: String, shape: [Int], documents: Int, contexts: Int
        }
        let result = Output(
            file: out, tokens: tokensOut, layer: layer, shape: [rows, point.width], documents: documents, contexts: contexts)
        if json {
            try printJSON(result)
        } else {
            Console.print(
                "wrote \(out): \(layer) [\(rows), \(point.width)] from \(documents) documents in \(contexts) contexts; \(tokensOut): document, context, position, token per row"
            )
        }
    }
}
