import Foundation
import LinAlg
import TensorIO

/// The seeded mutation fuzzer: for each target, mutates the corpus for a number of seconds and
/// runs the loader on every mutant, each under an alarm (a hang) and the memory budget; a fatal
/// signal leaves the input in the findings folder (see `Findings`). Prints, per target, how many
/// inputs ran and how many were read or refused.
enum SeededFuzzing {
    static let usage = """
        usage: loupe-fuzz [TARGET…|all] [--seconds N] [--seed S] [--corpus DIR] [--findings DIR] [--max-length BYTES]
        targets: \(FuzzTarget.all.map(\.name).joined(separator: ", "))
        """

    static func main(_ arguments: [String]) {
        var names: [String] = []
        var seconds = 10.0, seed: UInt64 = 1, maxLength = 65536
        var corpus = URL(fileURLWithPath: "Tests/Fuzz/corpus"), findings = URL(fileURLWithPath: "Tests/Fuzz/findings")
        var rest = arguments[...]
        while let word = rest.popFirst() {
            func value() -> String {
                guard let v = rest.popFirst() else { fail("\(word) needs a value") }
                return v
            }
            switch word {
            case "--seconds": seconds = Double(value()) ?? { fail("--seconds takes a number") }()
            case "--seed": seed = UInt64(value()) ?? { fail("--seed takes a whole number") }()
            case "--max-length": maxLength = Int(value()) ?? { fail("--max-length takes a whole number") }()
            case "--corpus": corpus = URL(fileURLWithPath: value())
            case "--findings": findings = URL(fileURLWithPath: value())
            case "-h", "--help": print(usage); exit(0)
            case "all": names += FuzzTarget.all.map(\.name)
            default:
                guard FuzzTarget.named(word) != nil else { fail("unknown target '\(word)'\n\(usage)") }
                names.append(word)
            }
        }
        if names.isEmpty { names = FuzzTarget.all.map(\.name) }
        var failed = false
        MemoryBudget.set(fuzzBudget)
        for name in names {
            let target = FuzzTarget.named(name)!
            let seeds = load(corpus.appendingPathComponent(name))
            let stats = run(target, seeds: seeds, seconds: seconds, seed: seed, maxLength: maxLength, findings: findings)
            print(
                String(
                    format:
                        "%@: %d inputs in %.1f s (%.0f/s) from %d seeds: %d read, %d refused (%d distinct messages), %d refusals of more than one line",
                    name, stats.runs, stats.seconds, Double(stats.runs) / max(stats.seconds, 1e-9), seeds.count,
                    stats.read, stats.refused, stats.messages.count, stats.multiline))
            failed = failed || stats.multiline > 0
        }
        // A crash or hang has ended the process already; a refusal of several lines is a finding too.
        exit(failed ? 1 : 0)
    }

    struct Stats {
        var runs = 0, read = 0, refused = 0, multiline = 0
        var seconds = 0.0
        var messages = Set<String>()
    }

    static func run(_ target: FuzzTarget, seeds: [Data], seconds: Double, seed: UInt64, maxLength: Int, findings: URL) -> Stats {
        Findings.install(target: target.name, directory: findings, maxLength: maxLength)
        var mutator = Mutator(random: SeededRandom(seed: seed), corpus: seeds, maxLength: maxLength)
        var stats = Stats()
        let start = Date()
        let inputs = seeds.isEmpty ? [Data()] : seeds
        while Date().timeIntervalSince(start) < seconds {
            // Every seed as it is once, then mutants of random seeds.
            let input = stats.runs < inputs.count ? inputs[stats.runs] : mutator.mutate(inputs[mutator.random.int(below: inputs.count)])
            Findings.set(input)
            alarm(10)
            do {
                try target.run(input)
                stats.read += 1
            } catch {
                stats.refused += 1
                let text = "\(error)"
                if text.contains("\n") {
                    stats.multiline += 1
                    note("\(target.name): a refusal of more than one line: \(text)")
                }
                // Messages differ by their numbers; their shape is what counts.
                stats.messages.insert(String(text.filter { !$0.isNumber }.prefix(120)))
            }
            alarm(0)
            stats.runs += 1
        }
        stats.seconds = Date().timeIntervalSince(start)
        return stats
    }

    /// The files of a corpus folder (none when it does not exist).
    static func load(_ folder: URL) -> [Data] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        return names.compactMap { try? Data(contentsOf: folder.appendingPathComponent($0)) }
    }

    static func note(_ text: String) { FileHandle.standardError.write(Data((text + "\n").utf8)) }

    static func fail(_ text: String) -> Never {
        note("loupe-fuzz: \(text)")
        exit(2)
    }
}
