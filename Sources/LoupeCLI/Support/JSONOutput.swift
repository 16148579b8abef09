import Figures
import Foundation

/// Prints a command's result as one JSON object on stdout (`--json`), keys sorted so the output
/// is stable. A result that describes its figures gets them beside its own fields: "figures",
/// each with its section, key, label, value and unit, and "caveats", as every front end shows them.
func printJSON<T: Encodable>(_ value: T, figures: FigureSheet? = nil) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    var data = try encoder.encode(value)
    if let figures {
        guard var object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            preconditionFailure("printJSON: a result with figures must encode as an object")
        }
        let described = try JSONSerialization.jsonObject(with: encoder.encode(figures)) as! [String: Any]
        object["figures"] = described["figures"]
        object["caveats"] = described["caveats"]
        data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    }
    Console.write(data + Data("\n".utf8))
}
