import LinAlg

/// How much of an SAE's error is a linear function of its input (Engels et al. 2024, "Decomposing
/// the dark matter of sparse autoencoders"), measured out of sample (docs/methods.md).
public struct DarkMatterReport: Codable, Sendable, Equatable {
    public var trainSamples: Int
    public var testSamples: Int
    /// R² on the held-out half of the linear prediction of e = x − x̂ from x:
    /// 1 − Σ‖e − ê‖² / Σ‖e − ē‖² (ē the held-out mean).
    public var errorR2: Double
    /// R² of the linear prediction of ‖e‖².
    public var errorNormR2: Double
    /// Σ‖x − x̂‖² / Σ‖x − x̄‖² on the held-out half…
    public var fvu: Double
    /// …and with the linear correction, x̂ + ê.
    public var correctedFVU: Double
    /// The nonlinear error e − ê as a share of the error: Σ‖e − ê‖² / Σ‖e‖².
    public var nonlinearFraction: Double
    /// The ridge used in the least-squares fit (tiny: it only guards against dead features).
    public var ridge: Double
}

public enum DarkMatter {
    /// The report, the fitted map and the nonlinear error of each held-out sample.
    public struct Analysis: Sendable {
        public var report: DarkMatterReport
        /// e ≈ x W + b, fitted on the training half: W [d, d], b [d].
        public var weights: Matrix<Double>
        public var bias: [Double]
        /// The held-out samples (indices into the input) and their nonlinear error e − xW − b.
        public var testIndices: [Int]
        public var nonlinearError: Matrix<Double>
    }

    /// The fewest samples whose halves each have more samples than the d + 1 unknowns per
    /// error component.
    public static func minimumSamples(inputSize d: Int) -> Int { 2 * (d + 2) }

    /// Splits the samples in random halves (seeded), fits e ≈ xW + b (and ‖e‖² ≈ xw + c) by
    /// least squares on one half and measures the fit on the other.
    public static func analyse(x: Matrix<Float>, reconstruction: Matrix<Float>, seed: UInt64 = 0) throws -> Analysis {
        guard x.rows == reconstruction.rows, x.cols == reconstruction.cols else {
            throw InterpretError(
                "dark matter: activations \(x.shapeDescription) and reconstruction \(reconstruction.shapeDescription) differ in shape")
        }
        let d = x.cols
        guard x.rows >= minimumSamples(inputSize: d) else {
            throw InterpretError(
                "dark matter needs at least \(minimumSamples(inputSize: d)) samples for d_in = \(d) (more samples than unknowns in each half), got \(x.rows)"
            )
        }
        var rng = SeededRandom(seed: seed)
        let order = rng.permutation(x.rows)
        let trainIndices = Array(order[0..<(x.rows / 2)]), testIndices = Array(order[(x.rows / 2)...])
        let xd = x.converted(to: Double.self)
        let error = xd - reconstruction.converted(to: Double.self)
        // Targets: the error vector and its squared norm, fitted together.
        let targets = Matrix.hstack([error, Matrix(column: error.rowNorms().map { $0 * $0 })])
        let (xTrain, yTrain) = (xd.rows(trainIndices), targets.rows(trainIndices))
        let (xTest, yTest) = (xd.rows(testIndices), targets.rows(testIndices))

        // Ridge on centred data, so the intercept is the mean and needs no penalty.
        let xMean = xTrain.columnMeans(), yMean = yTrain.columnMeans()
        let xc = xTrain.centered(), yc = yTrain.centered()
        var xtx = gram(xc, transpose: true)
        let trace = (0..<d).reduce(0.0) { $0 + xtx[$1, $1] }
        let ridge = 1e-10 * max(trace / Double(d), 1e-300)
        for i in 0..<d { xtx[i, i] += ridge }
        let w = try choleskySolve(xtx, matmul(xc, yc, transposeA: true))
        let intercept = zip(yMean, matvec(w, xMean, transpose: true)).map { $0 - $1 }

        var prediction = matmul(xTest, w)
        prediction.addToEachRow(intercept)
        let residual = yTest - prediction
        let errorColumns = Array(0..<d)
        func sumSquares(_ m: Matrix<Double>, _ columns: [Int]) -> Double {
            var s = 0.0
            for r in 0..<m.rows { for c in columns { s += m[r, c] * m[r, c] } }
            return s
        }
        func r2(_ columns: [Int]) -> Double {
            let total = sumSquares(yTest.centered(), columns)
            return total > 0 ? 1 - sumSquares(residual, columns) / total : .nan
        }
        let errorEnergy = sumSquares(yTest, errorColumns)
        let nonlinearEnergy = sumSquares(residual, errorColumns)
        let variance = totalVariance(xTest)
        let report = DarkMatterReport(
            trainSamples: trainIndices.count, testSamples: testIndices.count,
            errorR2: r2(errorColumns), errorNormR2: r2([d]),
            fvu: variance > 0 ? errorEnergy / variance : .nan,
            correctedFVU: variance > 0 ? nonlinearEnergy / variance : .nan,
            nonlinearFraction: errorEnergy > 0 ? nonlinearEnergy / errorEnergy : .nan,
            ridge: ridge)
        return Analysis(
            report: report, weights: w.columns(errorColumns), bias: Array(intercept[0..<d]),
            testIndices: testIndices, nonlinearError: residual.columns(errorColumns))
    }
}
