/// An elementwise function of one activation x that torch's exporters spell out in arithmetic
/// nodes where the opset has no operator for it, followed node by node until it is a layer
/// Loupe has. At opset < 20 GELU is x/√2, Erf, +1, then ·x and ·½ in either order; each step is
/// a term c·f(x) of one of these forms, and any other use of a step is refused.
struct ONNXElementwise: Equatable {
    enum Form: Equatable {
        /// c·x
        case scaled
        /// c·erf(x/√2)
        case erf
        /// c·(1 + erf(x/√2))
        case onePlusErf
        /// c·x·(1 + erf(x/√2)): GELU when c = ½
        case gelu
    }

    /// The activation (a Loupe input or layer name) the function is of.
    let x: String
    var form: Form
    var coefficient: Double

    /// x itself.
    init(of x: String) { (self.x, form, coefficient) = (x, .scaled, 1) }

    private init(x: String, form: Form, coefficient: Double) { (self.x, self.form, self.coefficient) = (x, form, coefficient) }

    /// The exporters round √2 and ½ to Float32.
    private static func same(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-6 * max(abs(a), abs(b)) }

    func times(_ c: Double) -> ONNXElementwise { ONNXElementwise(x: x, form: form, coefficient: coefficient * c) }

    /// Erf of c·x is one of the forms only for c = 1/√2.
    func erf() -> ONNXElementwise? {
        guard form == .scaled, Self.same(coefficient, 0.5.squareRoot()) else { return nil }
        return ONNXElementwise(x: x, form: .erf, coefficient: 1)
    }

    /// c·erf(x/√2) + c.
    func adding(_ c: Double) -> ONNXElementwise? {
        guard form == .erf, Self.same(coefficient, c) else { return nil }
        return ONNXElementwise(x: x, form: .onePlusErf, coefficient: c)
    }

    /// (a·x)·(b·(1 + erf(x/√2))), in either order.
    func times(_ other: ONNXElementwise) -> ONNXElementwise? {
        guard x == other.x else { return nil }
        switch (form, other.form) {
        case (.scaled, .onePlusErf), (.onePlusErf, .scaled):
            return ONNXElementwise(x: x, form: .gelu, coefficient: coefficient * other.coefficient)
        default: return nil
        }
    }

    var isGELU: Bool { form == .gelu && Self.same(coefficient, 0.5) }
}
