import Figures
import Foundation
import Interpret

/// What `/` keeps of the latent table: space-separated terms that must all hold —
/// `dead` (never fires on the data), `alive`, `dense` (fires on more than the dense threshold,
/// 10 % of the samples), `f>0.01` / `f<=1%` (frequency, as a fraction or a percentage),
/// `class=3` (the class whose logit it raises most), `#17` or `17` (that latent).
struct LatentFilter {
    enum Term: Equatable {
        case dead, alive, dense
        case frequency(Comparison, Double)
        case topClass(Int)
        case latent(Int)
    }

    enum Comparison: String, CaseIterable {
        // Two-character operators first, so that `>=` is not read as `>`.
        case atLeast = ">=", atMost = "<=", above = ">", below = "<"

        func holds(_ a: Double, _ b: Double) -> Bool {
            switch self {
            case .atLeast: return a >= b
            case .atMost: return a <= b
            case .above: return a > b
            case .below: return a < b
            }
        }
    }

    static let syntax = "dead, alive, dense, f>0.01, f<1%, class=3, #17"

    var terms: [Term] = []
    /// Why the text was not understood (nothing is filtered then).
    var problem: String?

    static func parse(_ text: String) -> LatentFilter {
        var filter = LatentFilter()
        for word in text.lowercased().split(separator: " ").map(String.init) {
            guard let term = term(word) else {
                return LatentFilter(terms: [], problem: "filter '\(word)' is not understood; use \(syntax)")
            }
            filter.terms.append(term)
        }
        return filter
    }

    private static func term(_ word: String) -> Term? {
        switch word {
        case "dead": return .dead
        case "alive": return .alive
        case "dense": return .dense
        default: break
        }
        if let index = Int(word.hasPrefix("#") ? String(word.dropFirst()) : word) { return .latent(index) }
        for prefix in ["class=", "c="] where word.hasPrefix(prefix) {
            return Int(word.dropFirst(prefix.count)).map(Term.topClass)
        }
        guard word.hasPrefix("f") else { return nil }
        let rest = word.dropFirst()
        guard let comparison = Comparison.allCases.first(where: { rest.hasPrefix($0.rawValue) }) else { return nil }
        var number = String(rest.dropFirst(comparison.rawValue.count))
        let percent = number.hasSuffix("%")
        if percent { number.removeLast() }
        guard let value = Double(number), value.isFinite else { return nil }
        return .frequency(comparison, percent ? value / 100 : value)
    }

    /// The rows of a `LatentTable` that every term keeps.
    func apply(to table: Table, denseThreshold: Double) -> Table {
        var out = table
        out.rows = table.rows.filter { row in
            let latent = Int(row[0].number ?? -1), frequency = row[LatentTable.frequencyColumn].number ?? 0
            let topClass = row[LatentTable.topClassColumn].number.map { Int($0) }
            return terms.allSatisfy { term in
                switch term {
                case .dead: return frequency == 0
                case .alive: return frequency > 0
                case .dense: return frequency > denseThreshold
                case .frequency(let c, let value): return c.holds(frequency, value)
                case .topClass(let c): return topClass == c
                case .latent(let j): return latent == j
                }
            }
        }
        return out
    }
}
