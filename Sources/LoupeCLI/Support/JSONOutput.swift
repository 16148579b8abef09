import Figures
import Foundation

/// Prints a command's result as one JSON object on stdout (`--json`), keys sorted so the output
/// is stable. A result that describes its figures gets them beside its own fields: "figures",
/// each with its section, key, label, value and unit, and "caveats", as every front end shows them.
public func printJSON<T: Encodable>(_ value: T, figures: FigureSheet? = nil) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    let data = try figures.map { try encoder.encode(Described(result: value, sheet: $0)) } ?? encoder.encode(value)
    Console.write(data + Data("\n".utf8))
}

/// A result's own fields and its figures in one JSON object. Encoding through Codable keeps
/// every Double exact (a round trip through JSONSerialization would not).
private struct Described<T: Encodable>: Encodable {
    let result: T
    let sheet: FigureSheet

    enum Key: String, CodingKey { case figures, caveats }

    func encode(to encoder: Encoder) throws {
        try result.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(sheet.figures, forKey: .figures)
        try c.encode(sheet.caveats, forKey: .caveats)
    }
}
