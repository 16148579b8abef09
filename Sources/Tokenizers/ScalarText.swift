/// Prefixes by code points. Tokenizers see text as code points, where String's own prefix
/// tests see Characters: "##ि" does not have the Character prefix "##" (the second "#" and the
/// vowel sign are one Character), but its first two code points are "##".
extension String {
    func hasScalarPrefix(_ prefix: String) -> Bool { unicodeScalars.starts(with: prefix.unicodeScalars) }

    /// Without `prefix` at its start, when it is there.
    func withoutScalarPrefix(_ prefix: String) -> String {
        guard hasScalarPrefix(prefix) else { return self }
        return String(unicodeScalars.dropFirst(prefix.unicodeScalars.count))
    }
}
