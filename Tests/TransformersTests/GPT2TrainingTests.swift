import Foundation
import LinAlg
import Networks
import TensorIO
import TestSupport
import Transformers
import XCTest

/// GPT-2 training against transformers in float64 (Tests/Fixtures/transformers/make_gradient_fixtures.py):
/// the loss's gradient with respect to every parameter, three AdamW steps with clipping and the
/// schedule, and AdamW alone; then saving and reopening, and learning a tiny text.
final class GPT2TrainingTests: XCTestCase {
    static let folder = fixtures.appendingPathComponent("transformers")
    static let expected = try! SafeTensors.read(folder.appendingPathComponent("gradients.safetensors"))
    static let contexts = try! JSONDecoder().decode([[Int]].self, from: Data(expected.metadata["contexts"]!.utf8))

    func model() throws -> GPT2Parameters { try GPT2Parameters(checkpoint: Self.folder.appendingPathComponent("gpt2")) }

    /// ‖got − want‖ / ‖want‖.
    func relativeError(_ got: some Collection<Float>, _ want: [Double]) -> Double {
        XCTAssertEqual(got.count, want.count)
        let difference = zip(got, want).reduce(0.0) { $0 + (Double($1.0) - $1.1) * (Double($1.0) - $1.1) }.squareRoot()
        return difference / max(want.reduce(0.0) { $0 + $1 * $1 }.squareRoot(), 1e-30)
    }

    func testGradientsOfEveryParameterMatchTorch() throws {
        let p = try model()
        let (loss, gradient) = try GPT2Gradients.compute(p, sequences: Self.contexts)
        XCTAssertEqual(loss, Self.expected.tensors["loss"]!.doubles()[0], accuracy: 1e-5 * loss)
        var start = 0, worst = 0.0
        XCTAssertEqual(p.layout.count, Self.expected.tensors.keys.filter { $0.hasPrefix("grad.") }.count)
        for (name, shape) in p.layout {
            let count = shape.reduce(1, *)
            let want = try XCTUnwrap(Self.expected.tensors["grad." + name], name)
            XCTAssertEqual(want.shape, shape, name)
            let error = relativeError(gradient[start..<(start + count)], want.doubles())
            XCTAssertLessThan(error, 1e-4, "\(name): relative error \(error)")
            worst = max(worst, error)
            start += count
        }
        XCTAssertEqual(start, gradient.count)
        print("GPT-2 gradients: largest relative error \(worst) over \(p.layout.count) tensors")
    }

    /// Three steps of gradient, clipping to norm 1 and AdamW (decay 0.1 on the blocks' matrices)
    /// at a warm-up + cosine learning rate: the loss before each step and after the last.
    func testTrainingStepsMatchTorchAdamW() throws {
        var p = try model()
        let meta = Self.expected.metadata
        let steps = Int(meta["steps"]!)!
        let options = LanguageModelOptions(
            steps: steps, batchSize: Self.contexts.count, learningRate: Double(meta["lr"]!)!, warmupSteps: 1,
            finalLearningRateFraction: 0.1, weightDecay: Double(meta["decay"]!)!, maxGradientNorm: Double(meta["clip"]!)!, seed: 0)
        var optimizer = LanguageModelTrainer.optimizer(for: p, options)
        var losses: [Double] = []
        for step in 0..<steps {
            let (loss, _) = try LanguageModelTrainer.step(
                &p, &optimizer, sequences: Self.contexts, learningRateScale: options.learningRateScale(step: step),
                maxGradientNorm: options.maxGradientNorm)
            losses.append(loss)
        }
        losses.append(try GPT2Gradients.loss(p, sequences: Self.contexts))
        let want = Self.expected.tensors["steps.loss"]!.doubles()
        XCTAssertEqual(losses.count, want.count)
        for (got, w) in zip(losses, want) { XCTAssertEqual(got, w, accuracy: 1e-4 * w, "losses \(losses) against torch's \(want)") }
        XCTAssertLessThan(losses.last!, losses.first! - 1, "three steps at lr 0.01 lower the loss on these contexts")
    }

    /// AdamW alone: weight decay on two ranges only, a warm-up + cosine rate, against torch.optim.AdamW.
    func testAdamWDecaysOnlyTheGivenRangesAsTorch() throws {
        let grads = Self.expected.tensors["adamw.grads"]!.matrix(Float.self)
        let want = Self.expected.tensors["adamw.theta"]!.matrix(Double.self)
        var theta = Self.expected.tensors["adamw.theta0"]!.floats()
        let schedule = LanguageModelOptions(
            steps: grads.rows, batchSize: 1, learningRate: 0.05, warmupSteps: 2, finalLearningRateFraction: 0.1, weightDecay: 0.3,
            maxGradientNorm: nil, seed: 0)
        var optimizer = Optimizer(.adam(learningRate: 0.05, weightDecay: 0.3), parameterCount: theta.count, decaying: [0..<10, 25..<40])
        for step in 0..<grads.rows {
            optimizer.update(&theta, gradient: Array(grads.row(step)), learningRateScale: schedule.learningRateScale(step: step))
            for (i, (got, w)) in zip(theta, want.row(step)).enumerated() {
                XCTAssertEqual(Double(got), w, accuracy: 1e-5, "step \(step) parameter \(i)")
            }
        }
    }

    /// A trained model saved as a checkpoint folder opens with Transformer.load (the inference
    /// path) and gives the logits the training forward pass gave, and reads back bit for bit.
    func testSavedCheckpointReopensWithTheSameLogits() throws {
        let dir = try temporaryDirectory(self)
        let tokenizer = Self.folder.appendingPathComponent("gpt2/tokenizer.json")
        let config = try GPT2Checkpoint.config(layers: 2, width: 32, heads: 4, context: 16, vocabulary: 4001)
        var p = try GPT2Parameters(untrained: config, seed: 3)
        var options = LanguageModelOptions.defaults
        options.steps = 2
        options.batchSize = 2
        try LanguageModelTrainer.train(&p, on: Array(0..<200).map { ($0 * 37) % 4001 }, context: 16, options: options)
        let folder = dir.appendingPathComponent("tiny")
        try GPT2Checkpoint.save(p, to: folder, tokenizer: tokenizer, endOfText: nil, replacing: false)
        XCTAssertEqual(try GPT2Parameters(checkpoint: folder).values, p.values)
        let reopened = try Transformer.load(folder)
        XCTAssertNotNil(reopened.tokenizer)
        let contexts = [[5, 80, 900, 4000, 7], [1, 2, 3]]
        let got = try XCTUnwrap(try reopened.run(contexts: contexts, keeping: ["logits"]).hooks["logits"])
        let want = try p.logits(contexts: contexts)
        XCTAssertEqual(got.shapeDescription, want.shapeDescription)
        XCTAssertLessThan(relativeError(got.storage, want.storage.map(Double.init)), 1e-6)
        // An existing checkpoint is never replaced unless asked.
        XCTAssertThrowsError(try GPT2Checkpoint.save(p, to: folder, tokenizer: tokenizer, endOfText: nil, replacing: false))
    }

    /// A tiny model learns a short repeated text: its loss falls far below where it started.
    func testLossFallsOnATinyText() throws {
        let tokenizer = try XCTUnwrap(try Transformer.load(Self.folder.appendingPathComponent("gpt2")).tokenizer)
        let text = String(repeating: "The quick brown fox jumps over the lazy dog. A stitch in time saves nine. ", count: 20)
        let stream = try tokenizer.encode(text, addSpecialTokens: false)
        let config = try GPT2Checkpoint.config(layers: 1, width: 32, heads: 2, context: 16, vocabulary: tokenizer.vocabularySize)
        var p = try GPT2Parameters(untrained: config, seed: 1)
        let windows = stride(from: 0, to: stream.count - 17, by: 16).map { Array(stream[$0..<($0 + 17)]) }
        let before = try LanguageModelTrainer.meanLoss(p, sequences: windows)
        var options = LanguageModelOptions.defaults
        options.steps = 60
        options.batchSize = 4
        options.learningRate = 1e-2
        var last = 0.0
        try LanguageModelTrainer.train(&p, on: stream, context: 16, options: options) {
            last = $0.loss; return true
        }
        let after = try LanguageModelTrainer.meanLoss(p, sequences: windows)
        XCTAssertGreaterThan(before, 7, "an untrained model is near ln(vocabulary) = \(log(Double(tokenizer.vocabularySize)))")
        XCTAssertLessThan(after, 1, "loss \(before) → \(after) (last step \(last))")
    }
}
