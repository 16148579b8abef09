import Tokenizers
import Transformers
import Workbench

/// A context's tokens drawn as running text, wrapped at token boundaries, each token in its own
/// style; returns the rows used. `selected` is drawn reversed.
enum TokenText {
    /// A token as decoded alone, with line breaks, tabs and other controls made visible.
    static func shown(_ id: Int, _ tokenizer: Tokenizer) -> String {
        let text = tokenizer.decode([id], skipSpecialTokens: false)
        let visible = String(
            String.UnicodeScalarView(
                text.unicodeScalars.map { s -> Unicode.Scalar in
                    switch s {
                    case "\n": return "↵"
                    case "\t": return "→"
                    default: return s.properties.generalCategory == .control ? "·" : s
                    }
                }))
        return visible.isEmpty ? "∅" : visible
    }

    @discardableResult
    static func render(_ tokens: [String], styles: [Style], selected: Int?, canvas: Canvas) -> Int {
        var x = 0, y = 0
        for (i, token) in tokens.enumerated() {
            let width = token.unicodeScalars.count
            if x > 0, x + width > canvas.width {
                x = 0
                y += 1
            }
            guard y < canvas.height else { break }
            let style = i == selected ? styles[i].with(.reverse) : styles[i]
            x += canvas.text(x, y, token, style, maxWidth: canvas.width - x)
        }
        return y + 1
    }
}
