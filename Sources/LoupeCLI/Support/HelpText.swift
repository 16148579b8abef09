/// Discussion text for `--help`, written in the source as short lines.
///
/// ArgumentParser wraps each line of a discussion to the terminal's width but keeps every line
/// break, so prose broken by hand comes out ragged on a narrow terminal. `reflow` joins the lines
/// of each paragraph into one and leaves indented lines (examples, lists) and blank lines as
/// they are.
func reflow(_ text: String) -> String {
    var lines: [String] = []
    var joinable = false
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let prose = !line.isEmpty && !line.hasPrefix(" ")
        if prose && joinable {
            lines[lines.count - 1] += " " + line
        } else {
            lines.append(String(line))
        }
        joinable = prose
    }
    return lines.joined(separator: "\n")
}
