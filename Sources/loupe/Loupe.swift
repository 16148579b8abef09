import ArgumentParser
import Foundation
import Workbench

/// The `loupe` command: every subcommand, and the one place errors become a message and an
/// exit code.
struct Loupe: ParsableCommand {
    static let version = Workbench.version

    static let configuration = CommandConfiguration(
        commandName: "loupe",
        abstract: "An interpretability workbench for trained neural networks.",
        discussion: reflow("""
        With no subcommand, loupe opens the workbench (loupe tui) on the demo models.

        Examples:
          loupe                  the workbench: demo:mlp-1 beside demo:mlp-2
          loupe tui demo:cnn     the workbench on one model
          loupe bench            measure the BLAS rate and every method
          loupe bench --json     the same figures as one JSON object
        """),
        version: version,
        subcommands: [
            TUICommand.self, InspectCommand.self, ForwardCommand.self, TrainCommand.self, DemoCommand.self,
            SAECommand.self, LRPCommand.self, InterpCommand.self,
            BilinearCommand.self, CKACommand.self, AlignCommand.self, RebasinCommand.self,
            ReportCommand.self, BenchCommand.self,
        ],
        defaultSubcommand: TUICommand.self
    )
}

@main
enum Main {
    static func main() {
        do {
            var command = try Loupe.parseAsRoot()
            try command.run()
        } catch {
            exit(reporting: error)
        }
    }

    /// Help and version requests print in full and succeed; anything else is one line on
    /// stderr and exit code 1 (DESIGN.md §4), never a stack trace.
    static func exit(reporting error: Error) -> Never {
        let code = Loupe.exitCode(for: error)
        if code == .success {
            print(Loupe.fullMessage(for: error))
            Foundation.exit(0)
        }
        if let explicit = error as? ExitCode, explicit != .validationFailure {
            Foundation.exit(explicit.rawValue)
        }
        let message = Loupe.message(for: error)
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: " ")
        FileHandle.standardError.write(Data("loupe: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
