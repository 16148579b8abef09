import Foundation
import LinAlg
import TensorIO

// loupe-fuzz: every loader Loupe has, under fuzzing (see FuzzTarget.all).
//
// Built normally, it is a seeded mutation fuzzer over the committed corpus
// (Tests/Fuzz/corpus/TARGET), which `scripts/test` runs for a few seconds per loader and
// `scripts/fuzz --seeded` for as long as asked. Built with -sanitize=fuzzer -DLIBFUZZER (as
// `scripts/fuzz` builds it), it hands itself to libFuzzer: coverage-guided, the loader chosen
// by $LOUPE_FUZZ_TARGET.

/// The memory budget under fuzzing: every loader must refuse sizes beyond it by throwing.
let fuzzBudget = 256 << 20

#if LIBFUZZER
    LibFuzzer.run()
#else
    SeededFuzzing.main(Array(CommandLine.arguments.dropFirst()))
#endif
