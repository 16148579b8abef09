#if LIBFUZZER
    import Foundation
    import TensorIO

    /// libFuzzer's entry for programs with their own `main` (LLVM 13 and later): it parses the
    /// fuzzing flags from argv and calls `callback` with each input.
    @_silgen_name("LLVMFuzzerRunDriver")
    private func runDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
    ) -> Int32

    /// The libFuzzer build: one loader (`$LOUPE_FUZZ_TARGET`) under coverage-guided fuzzing, with
    /// the fuzzing memory budget.
    enum LibFuzzer {
        nonisolated(unsafe) static var target: FuzzTarget?

        static func run() -> Never {
            let name = ProcessInfo.processInfo.environment["LOUPE_FUZZ_TARGET"] ?? ""
            guard let t = FuzzTarget.named(name) else {
                FileHandle.standardError.write(
                    Data("loupe-fuzz: set LOUPE_FUZZ_TARGET to one of \(FuzzTarget.all.map(\.name).joined(separator: ", "))\n".utf8))
                exit(2)
            }
            target = t
            MemoryBudget.set(fuzzBudget)
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(
                runDriver(&argc, &argv) { bytes, count in
                    let data = bytes.map { Data(bytes: $0, count: count) } ?? Data()
                    _ = try? LibFuzzer.target!.run(data)
                    return 0
                })
        }
    }
#endif
