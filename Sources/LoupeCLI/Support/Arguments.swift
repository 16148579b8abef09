import ArgumentParser
import Interpret

// The enums a command line option takes parse themselves: their spellings (and, for SAE
// architectures, the aliases SAELens and papers use) and the list ArgumentParser prints when a
// value is wrong come from the enum, as the probes' parser reads them too.

extension SAEArchitecture: ExpressibleByArgument {
    public init?(argument: String) {
        guard let a = try? SAEArchitecture.parse(argument) else { return nil }
        self = a
    }

    public static var allValueStrings: [String] { allCases.map(\.rawValue) }
}

extension LRPComposite: ExpressibleByArgument {
    public init?(argument: String) {
        guard let c = try? LRPComposite.parse(argument) else { return nil }
        self = c
    }

    public static var allValueStrings: [String] { names + LRPRule.forms }
}

extension CKAKernel.Kind: ExpressibleByArgument {}
extension CKAOptions.Measure: ExpressibleByArgument {}
extension RebasinOptions.Method: ExpressibleByArgument {}
extension ConvergentOptions.Method: ExpressibleByArgument {}
