extension String {
    /// The text on one line: line breaks, tabs and other control characters written as escapes
    /// (`\n`, `\t`, `\u{1B}`). Messages quote what files hold (a dtype, a key, a label), and a
    /// refusal must stay one line whatever a file holds.
    public var oneLine: String {
        guard unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return self }
        var out = ""
        for u in unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.properties.generalCategory == .control: out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
