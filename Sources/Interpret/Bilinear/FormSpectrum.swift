/// One eigenvector of an interaction matrix, as a view draws it.
public struct Eigenfeature: Codable, Sendable, Equatable {
    /// Its position in the spectrum (0: the most positive eigenvalue).
    public var index: Int
    public var eigenvalue: Double
    /// Its components in the form space, without the constant: an image when the space is one.
    public var vector: [Double]
    /// Its component along the constant input, when the form has one.
    public var constant: Double?

    public init(_ form: InteractionForm, index: Int, spaceSize: Int) {
        let v = form.eigenvectors.row(index)
        self.index = index
        eigenvalue = form.eigenvalues[index]
        vector = Array(v.prefix(spaceSize))
        constant = v.count > spaceSize ? v.last : nil
    }
}

/// The spectrum of one output direction's interaction matrix and its strongest features.
public struct FormSpectrum: Codable, Sendable, Equatable {
    public var label: String
    /// What the readout adds to the form (its bias along the direction).
    public var offset: Double
    /// All eigenvalues, most positive first.
    public var eigenvalues: [Double]
    /// exp of the entropy of |λ| / Σ|λ| (see `InteractionForm.effectiveRank`).
    public var effectiveRank: Double
    /// Up to `top` eigenvectors with λ > 0, most positive first.
    public var positive: [Eigenfeature]
    /// Up to `top` eigenvectors with λ < 0, most negative first.
    public var negative: [Eigenfeature]

    public init(_ form: InteractionForm, top: Int, spaceSize: Int) {
        let (positive, negative) = form.extremes(top)
        label = form.direction.label
        offset = form.direction.offset
        eigenvalues = form.eigenvalues
        effectiveRank = form.effectiveRank
        self.positive = positive.map { Eigenfeature(form, index: $0, spaceSize: spaceSize) }
        self.negative = negative.map { Eigenfeature(form, index: $0, spaceSize: spaceSize) }
    }
}
