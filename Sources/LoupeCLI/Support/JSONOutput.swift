import Foundation

/// Prints a command's result as one JSON object on stdout (`--json`), keys sorted so the
/// output is stable.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
        positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    Console.write(try encoder.encode(value) + Data("\n".utf8))
}
