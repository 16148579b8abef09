import Figures

extension LatentTrail {
    /// The section of the trail's figures: "latent_17", "unit_4".
    public var section: String { "\(object)".replacingOccurrences(of: " ", with: "_") }

    /// Where the object is largest, what LRP explains there, and where each link leads: the
    /// description the probe's table and the workbench's jumps render.
    public var figures: FigureSheet {
        var s = FigureSheet()
        let name = "\(object) of \(layer)"
        s.add(section, "top_sample", "\(name): sample where it is largest", Double(topSample), .count)
        s.add(section, "top_activation", "\(name): its value there", topActivation)
        s.add(section, "explained", "\(name): u·h(x) LRP explains there", explained)
        s.add(section, "strongest_unit", "\(name): unit of A it writes to most", Double(strongestUnit), .count)
        if let partner {
            s.add(section, "partner_unit", "\(name): best-correlated unit of B (\(partner.layer))", Double(partner.unit), .count)
            s.add(section, "partner_correlation", "\(name): its correlation", partner.correlation)
        }
        if let rebasinUnit { s.add(section, "rebasin_unit", "\(name): B's unit Re-Basin pairs with it", Double(rebasinUnit), .count) }
        if let e = eigenfeature {
            s.add(section, "eigen_index", "\(name): closest eigenvector of class \(e.form) (\(e.bilinearLayer))", Double(e.index), .count)
            s.add(section, "eigen_value", "\(name): its eigenvalue", e.eigenvalue)
            s.add(section, "eigen_cosine", "\(name): |cos| with it", e.cosine)
        }
        return s
    }
}
