import Foundation

/// The number of chunks `parallelChunks` splits n items into: one per processor, but none
/// smaller than 16 items.
public func parallelChunkCount(_ n: Int) -> Int {
    min(max(ProcessInfo.processInfo.activeProcessorCount, 1), max(n / 16, 1))
}

/// Runs `body(chunk, range)` over `0..<n` split into `parallelChunkCount(n)` contiguous chunks at
/// once and waits for all. For pure-Swift loops over independent samples only: BLAS keeps its
/// own thread pool and must not be called from several threads at once (docs/design.md).
public func parallelChunks(_ n: Int, _ body: (_ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = parallelChunkCount(n)
    if chunks == 1 { body(0, 0..<n); return }
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        body(c, (c * n / chunks)..<((c + 1) * n / chunks))
    }
}
