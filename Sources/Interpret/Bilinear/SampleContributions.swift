import LinAlg
import Networks

/// One eigenvector's share of one sample's output: λ_i (v_i·x̃)².
public struct ContributionTerm: Codable, Sendable, Equatable {
    /// The eigenvector's position in the spectrum (0: most positive λ).
    public var index: Int
    public var eigenvalue: Double
    /// v_i·x̃.
    public var projection: Double
    public var contribution: Double
}

/// How one output of one sample splits over the eigenvectors of its form.
public struct FormContribution: Codable, Sendable, Equatable {
    public var label: String
    /// The output: Σ contributions + offset (the logit, for a class).
    public var value: Double
    public var offset: Double
    /// λ_i (v_i·x̃)² for every eigenvector, in spectrum order.
    public var contributions: [Double]
    /// The terms of largest |contribution|, largest first.
    public var top: [ContributionTerm]
}

/// One sample's outputs, each split into eigenvector contributions.
public struct SampleContributions: Codable, Sendable, Equatable {
    /// Its index in the data.
    public var sample: Int
    public var label: Int?
    /// The model's predicted class.
    public var predicted: Int
    public var forms: [FormContribution]
}

extension BilinearAnalysis {
    /// The contributions of every eigenvector to every form's output, for the samples at
    /// `indices` of `data`, with the `top` largest (by magnitude) listed first.
    public func contributions(data: Dataset, samples indices: [Int], top: Int) throws -> [SampleContributions] {
        try data.check(against: site.model)
        if let bad = indices.first(where: { !(0..<data.count).contains($0) }) {
            throw InterpretError("sample \(bad) is out of range: data '\(data.name)' has \(data.count) samples")
        }
        let batch = data.x.rows(indices)
        let x = site.formInputs(batch)
        let predicted = site.model.scores(batch.converted(to: Double.self)).rowArgmax()
        let terms = forms.map { ($0, $0.projections(x), $0.contributions(x)) }
        return indices.enumerated().map { s, index in
            let parts = terms.map { form, projections, contributions -> FormContribution in
                let row = Array(contributions.row(s))
                let largest = indicesByMagnitude(row)
                return FormContribution(
                    label: form.direction.label, value: row.reduce(0, +) + form.direction.offset,
                    offset: form.direction.offset, contributions: row,
                    top: largest.prefix(top).map {
                        ContributionTerm(index: $0, eigenvalue: form.eigenvalues[$0], projection: projections[s, $0], contribution: row[$0])
                    })
            }
            return SampleContributions(sample: index, label: data.labels?[index], predicted: predicted[s], forms: parts)
        }
    }
}
