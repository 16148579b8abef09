import Foundation

/// A horizontal progress bar in eighths of a cell: `[█████▋····]  57%`.
public enum ProgressBarWidget {
    static let eighths: [Unicode.Scalar] = ["▏", "▎", "▍", "▌", "▋", "▊", "▉"]

    /// Draws the bar over the whole width of row `y`, with the percentage at its end.
    public static func render(_ fraction: Double, canvas: Canvas, y: Int = 0, style: Style = Theme.accent) {
        let f = min(max(fraction.isFinite ? fraction : 0, 0), 1)
        let label = String(format: " %3.0f%%", f * 100)
        let inner = canvas.width - 2 - label.count
        guard inner > 0 else { canvas.text(0, y, label.trimmingCharacters(in: [" "])); return }
        canvas.put(0, y, "[", Theme.dim)
        let cells = f * Double(inner)
        let full = Int(cells)
        let part = Int((cells - Double(full)) * 8)
        for x in 0..<inner {
            if x < full {
                canvas.put(1 + x, y, "█", style)
            } else if x == full, part > 0 {
                canvas.put(1 + x, y, eighths[part - 1], style)
            } else {
                canvas.put(1 + x, y, "·", Theme.dim)
            }
        }
        canvas.put(inner + 1, y, "]", Theme.dim)
        canvas.text(inner + 2, y, label)
    }
}
