import Networks

/// Everything the bilinear analysis of one layer shows, as one Codable value: what
/// `loupe bilinear --json` prints and what a report or a view is drawn from.
public struct BilinearReport: Codable, Sendable, Equatable {
    /// How many of the strongest eigenvectors each way a form shows unless asked otherwise.
    public static let defaultTop = 3

    public var model: String
    public var layer: String
    /// The activation the forms are written in ("input" through an embedding) and its size.
    public var space: String
    public var spaceSize: Int
    /// How to draw an eigenvector, when the space is an image ([channels, height, width]).
    public var imageShape: [Int]?
    /// Whether eigenvectors have a last component along the constant input (biases).
    public var hasConstant: Bool
    public var spectra: [FormSpectrum]
    /// Across forms; nil for a single form.
    public var similarity: EigenvectorSimilarity?
    public var truncation: TruncationCurve?
    public var contributions: [SampleContributions]
}

extension BilinearAnalysis {
    /// The report: spectra with the `top` strongest features each way, their similarity, and
    /// with `data`, the truncation curve (when `truncation` is set; it decomposes the class
    /// forms first if this analysis holds other directions) and the contributions for `samples`.
    public func report(
        top: Int, data: Dataset? = nil, truncation: Bool = false, samples: [Int] = [],
        progress: ProgressHandler? = nil
    ) throws -> BilinearReport {
        var curve: TruncationCurve?
        var contributions: [SampleContributions] = []
        if truncation || !samples.isEmpty {
            guard let data else { throw InterpretError("truncation and sample contributions need data") }
            if truncation {
                try site.requireLogitReadout()
                let classes = coversLogits ? self : try BilinearAnalysis(site: site, progress: progress)
                curve = try classes.truncation(on: data, progress: progress)
            }
            contributions = try self.contributions(data: data, samples: samples, top: top)
        }
        return BilinearReport(
            model: site.model.name, layer: site.layerName, space: site.spaceName, spaceSize: site.spaceSize,
            imageShape: site.imageShape, hasConstant: site.hasConstant, spectra: spectra(top: top),
            similarity: forms.count > 1 ? similarity(top: top) : nil, truncation: curve,
            contributions: contributions)
    }
}
