import Figures

/// A result's figures as the workbench shows them: under each section's name, "label  value"
/// lines with the values lined up, then the caveats (in the warning colour, wrapped). Where
/// that does not fit, each section becomes one wrapped paragraph, "label value · label value".
/// It draws a `FigureSheet`, the description the command line and reports render too.
public enum FigureList {
    /// Draws `sheet` from the top of `canvas`; returns the rows used.
    @discardableResult
    public static func render(_ sheet: FigureSheet, canvas: Canvas) -> Int {
        let caveatRows = sheet.caveats.reduce(0) { $0 + TextBlock.wrap($1.text, width: canvas.width).count }
        let y = sheet.sections.count + sheet.figures.count + caveatRows <= canvas.height ? list(sheet, canvas) : paragraphs(sheet, canvas)
        var row = y
        for caveat in sheet.caveats where row < canvas.height {
            row += TextBlock.render(
                caveat.text, Theme.warning, canvas: canvas.sub(Rect(x: 0, y: row, width: canvas.width, height: canvas.height - row)))
        }
        return row
    }

    private static func list(_ sheet: FigureSheet, _ canvas: Canvas) -> Int {
        let labelWidth = min(sheet.figures.map { $0.label.unicodeScalars.count }.max() ?? 0, max(canvas.width - 12, 8))
        var y = 0
        for section in sheet.sections {
            canvas.text(0, y, title(section), Theme.heading)
            y += 1
            for f in sheet.figures where f.section == section {
                canvas.text(1, y, f.label, .plain, maxWidth: labelWidth)
                canvas.text(labelWidth + 3, y, f.text, Theme.title)
                y += 1
            }
        }
        return y
    }

    /// Each section from a new line, its figures flowing after its name, never split across lines.
    private static func paragraphs(_ sheet: FigureSheet, _ canvas: Canvas) -> Int {
        var y = 0
        for section in sheet.sections where y < canvas.height {
            var x = canvas.text(0, y, title(section) + ":", Theme.heading) + 1
            for f in sheet.figures where f.section == section {
                let width = f.label.unicodeScalars.count + 1 + f.text.unicodeScalars.count
                if x > 2 && x + width > canvas.width {
                    y += 1
                    x = 2
                    guard y < canvas.height else { return y }
                }
                x += canvas.text(x, y, f.label + " ")
                x += canvas.text(x, y, f.text, Theme.title)
                x += canvas.text(x, y, " · ", Theme.dim)
            }
            y += 1
        }
        return y
    }

    /// "dark_matter" → "dark matter".
    static func title(_ section: String) -> String { section.replacingOccurrences(of: "_", with: " ") }
}
