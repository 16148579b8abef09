import Foundation
import Interpret
import Networks

/// A one-line progress bar on stderr, redrawn in place at most ten times a second. It draws
/// nothing when stderr is not a terminal, so logs and pipes stay clean (docs/command-line.md).
final class ProgressBar {
    private let title: String
    private let enabled: Bool
    private var lastDraw: UInt64 = 0
    private let width = 24

    init(_ title: String, enabled: Bool = isatty(STDERR_FILENO) != 0) {
        self.title = title
        self.enabled = enabled
    }

    /// Shows `fraction` (0…1, or nil when the total is unknown) and a short status text.
    func update(_ fraction: Double?, _ status: String = "", force: Bool = false) {
        guard enabled else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        var line = title
        if let fraction {
            let f = min(max(fraction, 0), 1)
            let filled = Int((f * Double(width)).rounded(.down))
            line += " [" + String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled) + "]"
            line += String(format: " %3.0f%%", f * 100)
        }
        if !status.isEmpty { line += "  " + status }
        FileHandle.standardError.write(Data("\r\u{1B}[K\(line)".utf8))
    }

    /// The engine's progress reports drawn on the bar. It never cancels: Ctrl-C ends a command.
    var handler: ProgressHandler {
        { fraction, status in
            self.update(fraction, status); return true
        }
    }

    /// A network's training drawn on the bar: the epoch, the loss, and the accuracy on the
    /// validation data as of its last evaluation.
    func training() -> (TrainingProgress) -> Bool {
        var lastValidation: Evaluation?
        return { p in
            if let v = p.validation { lastValidation = v }
            let validation = lastValidation.map { String(format: "  val acc %.2f %%", 100 * $0.accuracy) } ?? ""
            self.update(p.fraction, "epoch \(p.epoch)/\(p.epochs)  loss \(String(format: "%.4f", p.loss))\(validation)")
            return true
        }
    }

    /// Clears the line.
    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }
}
