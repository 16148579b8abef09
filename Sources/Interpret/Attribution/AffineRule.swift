import LinAlg
import Networks

/// One LRP rule bound to one linear or conv2d layer, with the modified weights it needs made
/// once, so that every batch costs only its gemms. `relevance(input:upper:)` follows Zennit's
/// rule of the same name term by term (Zennit's `rules.py`); where two of Zennit's terms share a
/// factor they are merged into one product, which changes nothing but rounding:
///
/// - zB's reference points l and h are constants, so l·W⁺ + h·W⁻ is one weight and its output
///   one sample-independent row; its biases b − b⁺ − b⁻ cancel exactly, as in Zennit.
/// - z⁺, αβ and γ split the input into a⁺ and a⁻; after a ReLU a⁻ is zero and its terms vanish,
///   so they are skipped when the input has no negative entry, and a⁺ = a reuses the forward
///   pass's im2col patches.
/// - ε (with biases) and γ's sign mask need z = W·a + b, which the forward pass computed.
/// - γ's sign mask uses the layer's plain output with its bias, as Zennit's `NoMod()` does,
///   even when biases are switched off.
struct AffineRule<T: BLASScalar>: Sendable {
    let map: AffineLayer<T>
    private let stabilizer: T
    private let variant: Variant

    /// The modified weights (and biases, nil when switched off) of each rule.
    private enum Variant: Sendable {
        /// ε and LRP-0.
        case epsilon(epsilon: T, bias: [T]?)
        /// z⁺: W⁺ with b⁺, W⁻ without bias. αβ also needs W⁻ with b⁻.
        case signed(positive: Matrix<T>, negative: Matrix<T>, positiveBias: [T]?, negativeBias: [T]?, alpha: T, beta: T)
        /// γ: W + γW⁺ with b + γb⁺, W + γW⁻ with b + γb⁻.
        case gamma(up: Matrix<T>, down: Matrix<T>, upBias: [T]?, downBias: [T]?)
        /// zB: l·W⁺ + h·W⁻ and its output l·W⁺·1 + h·W⁻·1 (product layout, one sample).
        case box(reference: Matrix<T>, referenceOutput: Matrix<T>)
        /// w² and flat: the weight relevance is spread by, and the sample-independent denominator
        /// (product layout, one sample).
        case constant(weight: Matrix<T>, denominator: Matrix<T>)
    }

    /// `rule` is resolved (`LRPConfiguration.rules`): every parameter is set. The modified
    /// weights are made in the layer's own shape and then put in the form products use, so that
    /// an unrolled convolution's flat rule spreads over its windows, not over every input.
    init(rule: LRPRule, map: AffineLayer<T>, stabilizer: Double, biasAbsorbsRelevance: Bool) {
        self.map = map
        self.stabilizer = T(stabilizer)
        let w = map.layerWeight
        let b = biasAbsorbsRelevance ? map.layerBias : nil
        let wPlus = w.positivePart, wMinus = w.negativePart
        let bPlus = b?.map { max($0, 0) }, bMinus = b?.map { min($0, 0) }
        let op = { (w: Matrix<T>) in map.operand(w) }, opBias = { (b: [T]?) in map.operand(bias: b) }
        switch rule {
        case .zero:
            variant = .epsilon(epsilon: 0, bias: opBias(b))
        case .epsilon(let e):
            variant = .epsilon(epsilon: T(e!), bias: opBias(b))
        case .zPlus:
            variant = .signed(
                positive: op(wPlus), negative: op(wMinus), positiveBias: opBias(bPlus), negativeBias: nil, alpha: 1, beta: 0)
        case .alphaBeta(let alpha, let beta):
            variant = .signed(
                positive: op(wPlus), negative: op(wMinus), positiveBias: opBias(bPlus), negativeBias: opBias(bMinus),
                alpha: T(alpha), beta: T(beta))
        case .gamma(let g):
            let g = T(g!)
            var up = w, down = w
            up.add(wPlus, scaledBy: g)
            down.add(wMinus, scaledBy: g)
            variant = .gamma(
                up: op(up), down: op(down),
                upBias: opBias(b.map { zip($0, bPlus!).map { $0 + g * $1 } }),
                downBias: opBias(b.map { zip($0, bMinus!).map { $0 + g * $1 } }))
        case .zBox(let box):
            var reference = wPlus
            reference.scale(by: T(box!.lowerBound))
            reference.add(wMinus, scaledBy: T(box!.upperBound))
            variant = .box(reference: op(reference), referenceOutput: map.constantProduct(1, weight: op(reference)))
        case .wSquare:
            let w2 = op(w.hadamard(w))
            variant = .constant(weight: w2, denominator: map.constantProduct(1, weight: w2, bias: opBias(b?.map { $0 * $0 })))
        case .flat:
            let ones = op(Matrix<T>(rows: w.rows, cols: w.cols, repeating: 1))
            variant = .constant(weight: ones, denominator: map.constantProduct(1, weight: ones))
        }
    }

    /// The relevance of the layer's input `a` given the relevance `upper` of its output, with
    /// what the forward pass kept for this layer.
    func relevance(input a: Matrix<T>, forward: AffineLayer<T>.Forward, upper: Matrix<T>) -> Matrix<T> {
        let w = map.weight
        let s = stabilizer
        let n = a.rows
        let r = map.productLayout(upper)
        switch variant {
        case .epsilon(let epsilon, let bias):
            // The forward pass's z has the layer's bias; without bias absorption z is W·a alone.
            let z = bias == nil && map.bias != nil ? map.product([(forward.input, w)]) : forward.z
            return a.hadamard(map.transposedProduct([(r.stabilisedQuotient(z, stabilizer: epsilon), w, 1)], samples: n))

        case .signed(let wPlus, let wMinus, let bPlus, let bMinus, let alpha, let beta):
            let (aPlus, aMinus, pPlus, pMinus) = split(a, forward)
            // Positive contributions: a⁺ through W⁺ and a⁻ through W⁻.
            let zPositive = map.product([(pPlus, wPlus)] + (pMinus.map { [($0, wMinus)] } ?? []), bias: bPlus)
            let sp = r.stabilisedQuotient(zPositive, stabilizer: s)
            var toPlus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)] = [(sp, wPlus, alpha)]
            var toMinus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)] = [(sp, wMinus, alpha)]
            if beta != 0 {
                let zNegative = map.product([(pPlus, wMinus)] + (pMinus.map { [($0, wPlus)] } ?? []), bias: bMinus)
                let sn = r.stabilisedQuotient(zNegative, stabilizer: s)
                toPlus.append((sn, wMinus, -beta))
                toMinus.append((sn, wPlus, -beta))
            }
            return combine(aPlus, toPlus, aMinus, toMinus)

        case .gamma(let up, let down, let upBias, let downBias):
            let z = forward.z
            let (aPlus, aMinus, pPlus, pMinus) = split(a, forward)
            let zUp = map.product([(pPlus, up)] + (pMinus.map { [($0, down)] } ?? []), bias: upBias)
            let zDown = map.product([(pPlus, down)] + (pMinus.map { [($0, up)] } ?? []), bias: downBias)
            // Outputs that are positive take the upward-leaning split, negative ones the other.
            let sp = r.stabilisedQuotient(zUp, stabilizer: s).zipMap(z) { q, z in z > 0 ? q : 0 }
            let sn = r.stabilisedQuotient(zDown, stabilizer: s).zipMap(z) { q, z in z < 0 ? q : 0 }
            return combine(aPlus, [(sp, up, 1), (sn, down, 1)], aMinus, [(sp, down, 1), (sn, up, 1)])

        case .box(let reference, let referenceOutput):
            var z = map.product([(forward.input, w)])
            z.add(referenceOutput.stacked(n), scaledBy: -1)
            let q = r.stabilisedQuotient(z, stabilizer: s)
            var result = a.hadamard(map.transposedProduct([(q, w, 1)], samples: n))
            result.add(map.transposedProduct([(q, reference, 1)], samples: n), scaledBy: -1)
            return result

        case .constant(let weight, let denominator):
            let q = r.stabilisedQuotient(denominator.stacked(n), stabilizer: s)
            return map.transposedProduct([(q, weight, 1)], samples: n)
        }
    }

    /// a⁺ and a⁻ with their prepared inputs, a⁻ nil when it is all zero (its terms would add
    /// nothing); then a⁺ is a itself and its patches are the forward pass's.
    private func split(_ a: Matrix<T>, _ forward: AffineLayer<T>.Forward)
        -> (Matrix<T>, Matrix<T>?, AffineLayer<T>.Input, AffineLayer<T>.Input?)
    {
        guard a.hasNegative else { return (a, nil, forward.input, nil) }
        let (aPlus, aMinus) = (a.positivePart, a.negativePart)
        return (aPlus, aMinus, map.prepare(aPlus), map.prepare(aMinus))
    }

    /// a⁺ ⊙ (Σ plus-terms) + a⁻ ⊙ (Σ minus-terms).
    private func combine(
        _ aPlus: Matrix<T>, _ plus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)],
        _ aMinus: Matrix<T>?, _ minus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)]
    ) -> Matrix<T> {
        let n = aPlus.rows
        var result = aPlus.hadamard(map.transposedProduct(plus, samples: n))
        if let aMinus { result.add(aMinus.hadamard(map.transposedProduct(minus, samples: n))) }
        return result
    }
}
