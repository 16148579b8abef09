import Foundation
import Tokenizers

/// A corpus as the token streams a language model trains and is evaluated on: each document
/// (a line of a .txt file) tokenised without special tokens, documents joined by the
/// tokenizer's <|endoftext|> when it has one (GPT-2's separator), and every `holdOutEvery`-th
/// document (lines n with n mod every = every − 1, counted from 0) kept apart as held-out text.
public struct LanguageModelText: Sendable {
    public let training: [Int]
    public let heldOut: [Int]
    public let trainingDocuments: Int
    public let heldOutDocuments: Int
    /// The separator between documents, nil when the tokenizer has no <|endoftext|>.
    public let endOfText: Int?

    public static let endOfTextToken = "<|endoftext|>"

    /// Whether document `line` (from 0) is held out.
    public static func isHeldOut(line: Int, every: Int) -> Bool { every > 0 && line % every == every - 1 }

    public init(_ corpus: TextCorpus, tokenizer: Tokenizer, holdOutEvery: Int, progress: (Double) -> Void = { _ in }) throws {
        let separator = tokenizer.id(Self.endOfTextToken)
        var training: [Int] = [], heldOut: [Int] = []
        var (trainingDocuments, heldOutDocuments) = (0, 0)
        try corpus.forEachDocument(progress: progress) { line, text in
            let ids = try tokenizer.encode(text, addSpecialTokens: false)
            if Self.isHeldOut(line: line, every: holdOutEvery) {
                if let separator, !heldOut.isEmpty { heldOut.append(separator) }
                heldOut += ids
                heldOutDocuments += 1
            } else {
                if let separator, !training.isEmpty { training.append(separator) }
                training += ids
                trainingDocuments += 1
            }
        }
        endOfText = separator
        self.training = training
        self.heldOut = heldOut
        self.trainingDocuments = trainingDocuments
        self.heldOutDocuments = heldOutDocuments
    }

    /// Consecutive windows of context + 1 tokens of `stream`, each starting where the last
    /// one's predictions ended, so that every token after the first is predicted exactly once
    /// (a shorter last window keeps the remainder).
    public static func windows(_ stream: [Int], context: Int) -> [[Int]] {
        stride(from: 0, to: max(stream.count - 1, 0), by: context).map { Array(stream[$0..<min($0 + context + 1, stream.count)]) }
    }
}
