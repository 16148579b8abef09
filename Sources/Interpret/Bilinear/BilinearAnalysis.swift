import LinAlg
import Networks

/// The interaction matrices of a bilinear layer for a set of output directions, decomposed:
/// the one object a command, a probe run or a workbench view holds, and asks for spectra,
/// truncation curves, per-sample contributions and cross-class similarities.
public struct BilinearAnalysis: Sendable {
    public let site: BilinearSite
    /// One decomposed form per direction, in the order given.
    public let forms: [InteractionForm]

    /// Decomposes the form of every direction (one gemm and one dsyevd each).
    public init(site: BilinearSite, directions: [FormDirection], progress: ProgressHandler? = nil) throws {
        guard !directions.isEmpty else { throw InterpretError("layer '\(site.layerName)': no direction to decompose") }
        var forms: [InteractionForm] = []
        forms.reserveCapacity(directions.count)
        for (i, direction) in directions.enumerated() {
            forms.append(try InteractionForm(site: site, direction: direction))
            if let progress, !progress(Double(i + 1) / Double(directions.count), "decomposed \(direction.label)") {
                throw CancellationError()
            }
        }
        self.site = site
        self.forms = forms
    }

    /// The forms of every output of the layer's readout: one per class when it gives the logits.
    public init(site: BilinearSite, progress: ProgressHandler? = nil) throws {
        try self.init(site: site, directions: site.readoutDirections(), progress: progress)
    }

    /// The class forms of `layer` in `network`, written in the input space where affine layers allow.
    public init<T: BLASScalar>(network: Network<T>, layer: String, progress: ProgressHandler? = nil) throws {
        try self.init(site: BilinearSite(network: network, layer: layer), progress: progress)
    }

    /// Whether the forms are exactly the model's logits, one per class in class order, so that
    /// they can stand in for the model.
    public var coversLogits: Bool {
        guard let readout = site.readout, readout.isLogits, forms.count == readout.names.count else { return false }
        return forms.enumerated().allSatisfy { $0.element.direction.logitClass == $0.offset }
    }

    /// Each form's spectrum with its `top` most positive and most negative eigenvectors.
    public func spectra(top: Int) -> [FormSpectrum] {
        forms.map { FormSpectrum($0, top: top, spaceSize: site.spaceSize) }
    }
}
