import ArgumentParser
import Dispatch
import Foundation
import TensorIO
import Tokenizers
import Transformers

/// `loupe train --arch gpt2:… --text …`: a GPT-2 language model trained on a text corpus.
extension TrainCommand {
    func validateText() throws {
        guard text != nil else { throw ValidationError("--arch \(arch) is a language model: give the text to train it on with --text") }
        guard GPT2Spec.isGPT2(arch) else {
            throw ValidationError("--text trains a GPT-2 language model: --arch must be gpt2:lL-dD-hH-cC (e.g. \(GPT2Spec.example))")
        }
        guard tokenizer != nil else { throw ValidationError("--text needs --tokenizer (a tokenizer.json)") }
        guard dataOptions.data == nil, validation == nil else {
            throw ValidationError("--data and --validation train a network; a language model reads --text")
        }
        guard epochs == nil else { throw ValidationError("--epochs counts passes over --data; a language model trains for --steps") }
        guard inputNoise == nil, optimizer == "adam" else {
            throw ValidationError("--text trains with AdamW and no input noise: leave out --optimizer sgd and --input-noise")
        }
        guard (steps ?? 1) > 0, (warmup ?? 0) >= 0, (holdoutEvery ?? 2) >= 2 else {
            throw ValidationError("--steps must be positive, --warmup 0 or more, --holdout-every at least 2")
        }
        if let clip, !(clip > 0) { throw ValidationError("--clip must be positive") }
        if let weightDecay, !(weightDecay >= 0) { throw ValidationError("--weight-decay must be 0 or more") }
    }

    func runText() throws {
        let (textPath, tokenizerPath) = (text!, tokenizer!)
        let folder = try OutputCheck.directory(
            out, writing: GPT2Checkpoint.files,
            inputs: CommandInputs.file("the text", textPath) + CommandInputs.file("the tokenizer", tokenizerPath), force: overwrite.force)
        let spec = try GPT2Spec.parse(arch)
        let tokens = try Tokenizer.load(URL(fileURLWithPath: tokenizerPath))
        let corpus = try TextCorpus(URL(fileURLWithPath: textPath), wholeFile: false, field: nil)
        let holdOut = holdoutEvery ?? LM.holdOutEvery
        let readBar = ProgressBar("tokenise")
        let corpusText = try LanguageModelText(corpus, tokenizer: tokens, holdOutEvery: holdOut) { readBar.update($0) }
        readBar.finish()
        guard corpusText.training.count > spec.context else {
            throw TransformerError(
                "\(textPath): \(corpusText.training.count) training tokens, fewer than one context of \(spec.context) + 1")
        }
        let defaults = LM.defaults
        let options = LanguageModelOptions(
            steps: steps ?? defaults.steps, batchSize: batch ?? defaults.batchSize, learningRate: lr, warmupSteps: warmup,
            finalLearningRateFraction: defaults.finalLearningRateFraction, weightDecay: weightDecay ?? defaults.weightDecay,
            maxGradientNorm: clip ?? defaults.maxGradientNorm, seed: seed)
        var model = try GPT2Parameters(untrained: try spec.config(vocabulary: tokens.vocabularySize), seed: seed)
        let bar = ProgressBar("train")
        let start = DispatchTime.now().uptimeNanoseconds
        var recent: [Double] = []
        try LanguageModelTrainer.train(&model, on: corpusText.training, context: spec.context, options: options) { p in
            recent = Array((recent + [p.loss]).suffix(50))
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            bar.update(
                p.fraction,
                String(
                    format: "step %d/%d  %.0f tok/s  loss %.4f", p.step, p.steps, Double(p.tokens) / max(seconds, 1e-9),
                    recent.reduce(0, +) / Double(recent.count)))
            return true
        }
        bar.finish()
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let windows = LanguageModelText.windows(corpusText.heldOut, context: spec.context)
        let heldOut = windows.isEmpty ? nil : try LanguageModelTrainer.meanLoss(model, sequences: windows)
        try GPT2Checkpoint.save(
            model, to: folder, tokenizer: URL(fileURLWithPath: tokenizerPath), endOfText: corpusText.endOfText,
            metadata: [
                "loupe.trained":
                    "arch=\(arch) text=\(URL(fileURLWithPath: textPath).lastPathComponent) steps=\(options.steps) batch=\(options.batchSize) lr=\(lr) warmup=\(options.warmup) weight-decay=\(options.weightDecay) clip=\(options.maxGradientNorm.map { "\($0)" } ?? "none") seed=\(seed) holdout-every=\(holdOut)"
            ], replacing: overwrite.force)
        struct Output: Encodable {
            let directory: String; let parameters: Int; let steps: Int; let trainingTokens: Int; let heldOutTokens: Int
            let finalTrainingLoss: Double; let heldOutLoss: Double?; let seconds: Double; let tokensPerSecond: Double
        }
        let result = Output(
            directory: out, parameters: model.count, steps: options.steps, trainingTokens: corpusText.training.count,
            heldOutTokens: corpusText.heldOut.count, finalTrainingLoss: recent.reduce(0, +) / Double(max(recent.count, 1)),
            heldOutLoss: heldOut, seconds: seconds, tokensPerSecond: Double(options.steps * options.batchSize * spec.context) / seconds)
        if json { try printJSON(result); return }
        Console.print(
            String(
                format: "saved %@ (%d parameters) after %d steps in %.0f s (%.0f tokens/s): training loss %.4f (last %d steps)",
                out, model.count, options.steps, seconds, result.tokensPerSecond, result.finalTrainingLoss, recent.count)
                + (heldOut.map {
                    String(
                        format: "; held-out loss %.4f nats/token over %d tokens (every %dth line)", $0, corpusText.heldOut.count, holdOut)
                } ?? ""))
    }
}
