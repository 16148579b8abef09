import ArgumentParser
import Foundation
import TensorIO
import Workbench

/// The `loupe` command: every subcommand, and the one place errors become a message and an
/// exit code.
public struct Loupe: ParsableCommand {
    public init() {}

    static let version = Workbench.version

    public static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "An interpretability workbench for trained neural networks.",
        discussion: reflow(
            """
            With no subcommand, loupe opens the workbench (loupe tui) on the demo models.

            Examples:
              loupe                  the workbench: demo:mlp-1 beside demo:mlp-2
              loupe tui demo:cnn     the workbench on one model
              loupe bench            measure the BLAS rate and every method
              loupe bench --json     the same figures as one JSON object
            """),
        version: version,
        subcommands: [
            TUICommand.self, InspectCommand.self, ForwardCommand.self, TrainCommand.self, DemoCommand.self, ImportCommand.self,
            SAECommand.self, LRPCommand.self, InterpCommand.self,
            BilinearCommand.self, CKACommand.self, AlignCommand.self, RebasinCommand.self,
            ReportCommand.self, BenchCommand.self
        ],
        defaultSubcommand: TUICommand.self
    )
}

/// What the `loupe` executable runs.
public enum LoupeCLI {
    /// Parses `arguments` (without the program name), runs the command, and exits: 0, or 1 with
    /// one line on stderr.
    public static func main(_ arguments: [String]) -> Never {
        TemporaryFiles.removeOnSignals()
        keepLargeBlocksMapped()
        do {
            var command = try parse(arguments)
            try command.run()
            Foundation.exit(0)
        } catch {
            exit(reporting: error)
        }
    }

    /// Blocks up to 256 MB come from the heap and freed memory stays mapped, so that the large
    /// temporaries of a forward pass (a batch's logits, an MLP's activations) reuse pages rather
    /// than fault fresh zeroed ones in on every call (glibc would map each such block anew).
    /// (glibc's mallopt, looked up by name: Swift's Glibc module leaves malloc.h out.)
    static func keepLargeBlocksMapped() {
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let (trimThreshold, mmapThreshold): (Int32, Int32) = (-1, -3)  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
        _ = mallopt(mmapThreshold, 256 << 20)
        _ = mallopt(trimThreshold, 512 << 20)
    }

    /// The command `arguments` ask for (a negative number after an option is its value).
    public static func parse(_ arguments: [String]) throws -> ParsableCommand {
        try Loupe.parseAsRoot(NegativeValues.attached(arguments))
    }

    /// The path of every command, the root (`[]`) first, as `help` takes them.
    public static var commandPaths: [[String]] {
        func paths(_ command: ParsableCommand.Type, _ path: [String]) -> [[String]] {
            [path] + command.configuration.subcommands.flatMap { paths($0, path + [$0.configuration.commandName ?? ""]) }
        }
        return paths(Loupe.self, [])
    }

    /// The help of the subcommand at `path` (["sae", "train"]), as `--help` prints it, at
    /// `columns` wide; nil for no such subcommand.
    public static func help(_ path: [String], columns: Int = 80) -> String? {
        var command: ParsableCommand.Type = Loupe.self
        for name in path {
            guard let next = command.configuration.subcommands.first(where: { $0.configuration.commandName == name }) else { return nil }
            command = next
        }
        return Loupe.helpMessage(for: command, columns: columns)
    }

    /// The one line a refusal prints (after "loupe: ").
    public static func message(for error: Error) -> String {
        let message =
            error is ValidationError || error is CleanExit || (error as NSError).domain.hasPrefix("ArgumentParser")
            ? Loupe.message(for: error) : errorText(error)
        return message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: " ")
    }

    /// Help and version requests print in full and succeed; anything else is one line on
    /// stderr and exit code 1, never a stack trace.
    static func exit(reporting error: Error) -> Never {
        TemporaryFiles.waitIfTerminating()
        let code = Loupe.exitCode(for: error)
        if code == .success {
            Console.print(Loupe.fullMessage(for: error))
            Foundation.exit(0)
        }
        if let explicit = error as? ExitCode, explicit != .validationFailure {
            Foundation.exit(explicit.rawValue)
        }
        FileHandle.standardError.write(Data("loupe: \(message(for: error))\n".utf8))
        Foundation.exit(1)
    }
}

/// Lets an option take a negative number after a space (`--k -1`, `--baseline -0.5`,
/// `--target -1,0,2`), which ArgumentParser would otherwise read as a cluster of short flags
/// and answer with "Missing value". No Loupe flag looks like a number, so a word of that shape
/// after a long option is that option's value: it is attached with `=`, which ArgumentParser
/// takes as written. Values then reach the option's own checks, which explain what is allowed.
enum NegativeValues {
    static func attached(_ arguments: [String]) -> [String] {
        var out: [String] = []
        for word in arguments {
            if let last = out.last, isNegativeNumber(word), last.hasPrefix("--"), !last.contains("="), last != "--" {
                out[out.count - 1] = last + "=" + word
            } else {
                out.append(word)
            }
        }
        return out
    }

    /// "-1", "-0.5", "-.5", "-1e-3", "-1,0,2": a minus sign, then a digit or a point and a digit.
    static func isNegativeNumber(_ word: String) -> Bool {
        let rest = word.dropFirst()
        guard word.hasPrefix("-"), let first = rest.first else { return false }
        return first.isNumber || (first == "." && rest.dropFirst().first?.isNumber == true)
    }
}
