import LinAlg

/// Which eigenvector a row of the similarity matrix is.
public struct FeatureReference: Codable, Sendable, Equatable {
    /// The form (direction) it belongs to, as an index into the analysis' forms.
    public var form: Int
    /// Its position in that form's spectrum.
    public var index: Int
    public var eigenvalue: Double
    /// "3 +1": the most positive feature of form "3"; "3 −2": its second most negative.
    public var name: String
}

/// Two features of different forms that point the same way.
public struct SharedFeature: Codable, Sendable, Equatable {
    /// Rows of the similarity matrix.
    public var a: Int
    public var b: Int
    public var cosine: Double
}

/// |cos| between the strongest eigenvectors of every form: features several classes share
/// show up as bright off-diagonal blocks. Eigenvectors are unit vectors of the form space
/// (constant included), so the entries are |v·w|; within one form they are 0 (orthogonal).
public struct EigenvectorSimilarity: Codable, Sendable, Equatable {
    public var features: [FeatureReference]
    /// features × features, symmetric, 1 on the diagonal.
    public var cosine: [[Double]]
    /// The most similar pairs from different forms, most similar first.
    public var strongest: [SharedFeature]
}

extension BilinearAnalysis {
    /// The similarity of each form's `top` most positive and `top` most negative eigenvectors,
    /// listing the `pairs` most similar pairs across forms.
    public func similarity(top: Int, pairs: Int = 10) -> EigenvectorSimilarity {
        var features: [FeatureReference] = []
        for (f, form) in forms.enumerated() {
            let (positive, negative) = form.extremes(top)
            for (rank, i) in positive.enumerated() {
                features.append(
                    FeatureReference(form: f, index: i, eigenvalue: form.eigenvalues[i], name: "\(form.direction.label) +\(rank + 1)"))
            }
            for (rank, i) in negative.enumerated() {
                features.append(
                    FeatureReference(form: f, index: i, eigenvalue: form.eigenvalues[i], name: "\(form.direction.label) −\(rank + 1)"))
            }
        }
        let vectors = Matrix.vstack(features.map { Matrix(row: Array(forms[$0.form].eigenvectors.row($0.index))) })
        let cosine = gram(vectors, transpose: false).map(abs)
        var shared: [SharedFeature] = []
        for a in features.indices {
            for b in (a + 1)..<features.count where features[a].form != features[b].form {
                shared.append(SharedFeature(a: a, b: b, cosine: cosine[a, b]))
            }
        }
        shared.sort { $0.cosine > $1.cosine || ($0.cosine == $1.cosine && ($0.a, $0.b) < ($1.a, $1.b)) }
        return EigenvectorSimilarity(
            features: features, cosine: (0..<cosine.rows).map { Array(cosine.row($0)) },
            strongest: Array(shared.prefix(pairs)))
    }
}
