/// Paragraphs wrapped at word boundaries to the canvas width.
public enum TextBlock {
    /// `text` broken into lines of at most `width` cells (a word longer than a line is cut).
    public static func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            for word in paragraph.split(separator: " ") {
                var w = String(word)
                while w.unicodeScalars.count > width {
                    if !line.isEmpty { lines.append(line); line = "" }
                    lines.append(String(w.unicodeScalars.prefix(width)))
                    w = String(String.UnicodeScalarView(w.unicodeScalars.dropFirst(width)))
                }
                if line.isEmpty {
                    line = w
                } else if line.unicodeScalars.count + 1 + w.unicodeScalars.count <= width {
                    line += " " + w
                } else {
                    lines.append(line); line = w
                }
            }
            lines.append(line)
        }
        return lines
    }

    /// Draws wrapped `text`; returns the number of rows used.
    @discardableResult
    public static func render(_ text: String, _ style: Style = .plain, canvas: Canvas) -> Int {
        let lines = wrap(text, width: canvas.width)
        for (i, line) in lines.prefix(canvas.height).enumerated() { canvas.text(0, i, line, style) }
        return min(lines.count, canvas.height)
    }
}
