import LinAlg
import Networks

/// Accuracy of the model when each class logit is replaced by its quadratic form truncated to
/// the k eigenvectors of largest |λ| (plus the readout's bias), for k = 1 … formSize. With every
/// eigenvector kept the forms are the model, so the last point is the model's accuracy.
public struct TruncationCurve: Codable, Sendable, Equatable {
    public var data: String
    public var samples: Int
    /// Eigenvectors kept per class: 1 … formSize.
    public var ks: [Int]
    public var accuracy: [Double]
    /// The network's own accuracy (Float64 forward pass).
    public var modelAccuracy: Double
    /// max |Σ_i λ_i (v_i·x̃)² + offset − logit| over samples and classes, with every eigenvector
    /// kept: how exactly the forms reproduce the model.
    public var maxLogitError: Double
    /// The smallest k whose accuracy reaches 95 % of the accuracy with every eigenvector kept.
    public var kFor95Percent: Int?

    /// The smallest k whose accuracy reaches `fraction` of the accuracy with every eigenvector kept.
    public func smallestK(reaching fraction: Double) -> Int? {
        guard let full = accuracy.last else { return nil }
        return accuracy.firstIndex { $0 >= fraction * full }.map { ks[$0] }
    }
}

extension BilinearAnalysis {
    /// The truncation curve on labelled data. Needs the forms of every class (`coversLogits`).
    /// Per batch, one gemm per class projects the samples onto all its eigenvectors; running
    /// sums of λ_i (v_i·x̃)² in |λ| order then give that class's logit for every k at once.
    public func truncation(on data: Dataset, batchSize: Int = 256, progress: ProgressHandler? = nil) throws -> TruncationCurve {
        try site.requireLogitReadout()
        guard coversLogits else {
            throw InterpretError(
                "truncation needs the form of every class logit of layer '\(site.layerName)', in class order; these forms are: \(forms.map(\.direction.label).joined(separator: ", "))"
            )
        }
        guard let labels = data.labels else {
            throw InterpretError("data '\(data.name)' has no labels; truncation measures accuracy")
        }
        try data.check(against: site.model)
        let size = site.formSize
        let orders = forms.map(\.magnitudeOrder)
        var correct = [Int](repeating: 0, count: size)
        var modelCorrect = 0
        var maxError = 0.0
        for start in stride(from: 0, to: data.count, by: max(batchSize, 1)) {
            let range = start..<min(start + batchSize, data.count)
            let batch = data.x.rows(in: range)
            let x = site.formInputs(batch)
            let logits = site.model.scores(batch.converted(to: Double.self))
            let predicted = logits.rowArgmax()
            let truncated = forms.indices.map { c in runningLogits(form: forms[c], order: orders[c], x: x) }
            for s in 0..<range.count {
                let label = labels[range.lowerBound + s]
                if predicted[s] == label { modelCorrect += 1 }
                for c in forms.indices { maxError = max(maxError, abs(truncated[c][s, size - 1] - logits[s, c])) }
                for k in 0..<size where argmax(truncated, sample: s, column: k) == label { correct[k] += 1 }
            }
            if let progress, !progress(Double(range.upperBound) / Double(data.count), "truncation \(range.upperBound)/\(data.count)") {
                throw CancellationError()
            }
        }
        let n = Double(data.count)
        var curve = TruncationCurve(
            data: data.name, samples: data.count, ks: Array(1...size),
            accuracy: correct.map { Double($0) / n }, modelAccuracy: Double(modelCorrect) / n,
            maxLogitError: maxError, kFor95Percent: nil)
        curve.kFor95Percent = curve.smallestK(reaching: 0.95)
        return curve
    }

    /// [samples, formSize]: column k − 1 is the form's value keeping its k largest-|λ| terms.
    private func runningLogits(form: InteractionForm, order: [Int], x: Matrix<Double>) -> Matrix<Double> {
        let terms = form.contributions(x)
        var sums = Matrix<Double>(rows: x.rows, cols: order.count)
        for s in 0..<x.rows {
            var total = form.direction.offset
            for (k, i) in order.enumerated() {
                total += terms[s, i]
                sums[s, k] = total
            }
        }
        return sums
    }

    /// The class with the largest truncated logit (the first on ties, like `rowArgmax`).
    private func argmax(_ logits: [Matrix<Double>], sample s: Int, column k: Int) -> Int {
        var best = 0
        for c in 1..<logits.count where logits[c][s, k] > logits[best][s, k] { best = c }
        return best
    }
}

extension BilinearSite {
    /// Refuses a layer whose forms cannot stand in for the model: only affine layers may lie
    /// between it and the logits.
    func requireLogitReadout() throws {
        guard readout?.isLogits == true else {
            throw InterpretError(
                "truncation needs only affine layers between bilinear layer '\(layerName)' and the logits (it is followed by \(followedBy))"
            )
        }
    }
}
