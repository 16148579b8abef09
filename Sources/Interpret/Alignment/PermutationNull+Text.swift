import Figures
import LinAlg

extension PermutationNull {
    /// "p 0.01 · shuffled 0.118 ± 0.021": the null as the command line and the workbench word it
    /// beside a score.
    public var text: String {
        "p \(NumberFormat.readable(pValue)) · shuffled \(NumberFormat.readable(mean, digits: 3)) ± \(NumberFormat.readable(spread, digits: 2))"
    }
}
