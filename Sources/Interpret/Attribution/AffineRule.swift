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
///   so they are skipped when the input has no negative entry.
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
        /// zB: l·W⁺ + h·W⁻ and its output l·W⁺·1 + h·W⁻·1.
        case box(reference: Matrix<T>, referenceOutput: Matrix<T>)
        /// w² and flat: the weight relevance is spread by, and the sample-independent denominator.
        case constant(weight: Matrix<T>, denominator: Matrix<T>)
    }

    /// `rule` is resolved (`LRPConfiguration.rules`): every parameter is set.
    init(rule: LRPRule, map: AffineLayer<T>, stabilizer: Double, biasAbsorbsRelevance: Bool) {
        self.map = map
        self.stabilizer = T(stabilizer)
        let w = map.weight
        let b = biasAbsorbsRelevance ? map.bias : nil
        let wPlus = w.positivePart, wMinus = w.negativePart
        let bPlus = b?.map { max($0, 0) }, bMinus = b?.map { min($0, 0) }
        switch rule {
        case .zero:
            variant = .epsilon(epsilon: 0, bias: b)
        case .epsilon(let e):
            variant = .epsilon(epsilon: T(e!), bias: b)
        case .zPlus:
            variant = .signed(positive: wPlus, negative: wMinus, positiveBias: bPlus, negativeBias: nil, alpha: 1, beta: 0)
        case .alphaBeta(let alpha, let beta):
            variant = .signed(positive: wPlus, negative: wMinus, positiveBias: bPlus, negativeBias: bMinus, alpha: T(alpha), beta: T(beta))
        case .gamma(let g):
            let g = T(g!)
            var up = w, down = w
            up.add(wPlus, scaledBy: g)
            down.add(wMinus, scaledBy: g)
            variant = .gamma(
                up: up, down: down,
                upBias: b.map { zip($0, bPlus!).map { $0 + g * $1 } },
                downBias: b.map { zip($0, bMinus!).map { $0 + g * $1 } })
        case .zBox(let box):
            var reference = wPlus
            reference.scale(by: T(box!.lowerBound))
            reference.add(wMinus, scaledBy: T(box!.upperBound))
            variant = .box(reference: reference, referenceOutput: map.apply([(map.constantInput(1), reference)]))
        case .wSquare:
            let w2 = w.hadamard(w)
            variant = .constant(weight: w2, denominator: map.apply([(map.constantInput(1), w2)], bias: b?.map { $0 * $0 }))
        case .flat:
            let ones = Matrix<T>(rows: w.rows, cols: w.cols, repeating: 1)
            variant = .constant(weight: ones, denominator: map.apply([(map.constantInput(1), ones)]))
        }
    }

    /// The relevance of the layer's input `a` given the relevance `upper` of its output.
    func relevance(input a: Matrix<T>, upper r: Matrix<T>) -> Matrix<T> {
        let w = map.weight
        let s = stabilizer
        switch variant {
        case .epsilon(let epsilon, let bias):
            let z = map.apply([(map.prepare(a), w)], bias: bias)
            return a.hadamard(map.applyTransposed([(r.stabilisedQuotient(z, stabilizer: epsilon), w, 1)]))

        case .signed(let wPlus, let wMinus, let bPlus, let bMinus, let alpha, let beta):
            let (aPlus, aMinus) = split(a)
            let pPlus = map.prepare(aPlus), pMinus = aMinus.map(map.prepare)
            // Positive contributions: a⁺ through W⁺ and a⁻ through W⁻.
            let zPositive = map.apply([(pPlus, wPlus)] + (pMinus.map { [($0, wMinus)] } ?? []), bias: bPlus)
            let sp = r.stabilisedQuotient(zPositive, stabilizer: s)
            var toPlus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)] = [(sp, wPlus, alpha)]
            var toMinus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)] = [(sp, wMinus, alpha)]
            if beta != 0 {
                let zNegative = map.apply([(pPlus, wMinus)] + (pMinus.map { [($0, wPlus)] } ?? []), bias: bMinus)
                let sn = r.stabilisedQuotient(zNegative, stabilizer: s)
                toPlus.append((sn, wMinus, -beta))
                toMinus.append((sn, wPlus, -beta))
            }
            return combine(aPlus, toPlus, aMinus, toMinus)

        case .gamma(let up, let down, let upBias, let downBias):
            let z = map.apply([(map.prepare(a), w)], bias: map.bias)
            let (aPlus, aMinus) = split(a)
            let pPlus = map.prepare(aPlus), pMinus = aMinus.map(map.prepare)
            let zUp = map.apply([(pPlus, up)] + (pMinus.map { [($0, down)] } ?? []), bias: upBias)
            let zDown = map.apply([(pPlus, down)] + (pMinus.map { [($0, up)] } ?? []), bias: downBias)
            // Outputs that are positive take the upward-leaning split, negative ones the other.
            let sp = r.stabilisedQuotient(zUp, stabilizer: s).zipMap(z) { q, z in z > 0 ? q : 0 }
            let sn = r.stabilisedQuotient(zDown, stabilizer: s).zipMap(z) { q, z in z < 0 ? q : 0 }
            return combine(aPlus, [(sp, up, 1), (sn, down, 1)], aMinus, [(sp, down, 1), (sn, up, 1)])

        case .box(let reference, let referenceOutput):
            var z = map.apply([(map.prepare(a), w)])
            z.add(referenceOutput.broadcastRows(a.rows), scaledBy: -1)
            let q = r.stabilisedQuotient(z, stabilizer: s)
            var result = a.hadamard(map.applyTransposed([(q, w, 1)]))
            result.add(map.applyTransposed([(q, reference, 1)]), scaledBy: -1)
            return result

        case .constant(let weight, let denominator):
            let q = r.stabilisedQuotient(denominator.broadcastRows(a.rows), stabilizer: s)
            return map.applyTransposed([(q, weight, 1)])
        }
    }

    /// a⁺ and a⁻, the latter nil when it is all zero (its terms would add nothing).
    private func split(_ a: Matrix<T>) -> (Matrix<T>, Matrix<T>?) {
        (a.positivePart, a.hasNegative ? a.negativePart : nil)
    }

    /// a⁺ ⊙ (Σ plus-terms) + a⁻ ⊙ (Σ minus-terms).
    private func combine(
        _ aPlus: Matrix<T>, _ plus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)],
        _ aMinus: Matrix<T>?, _ minus: [(s: Matrix<T>, weight: Matrix<T>, scale: T)]
    ) -> Matrix<T> {
        var result = aPlus.hadamard(map.applyTransposed(plus))
        if let aMinus { result.add(aMinus.hadamard(map.applyTransposed(minus))) }
        return result
    }
}
