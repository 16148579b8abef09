import Figures
import Foundation
import Interpret
import Networks

/// Drawing: a header with the model, layer and form; then the four panels in a 2×2 grid on a
/// large terminal, or the focused one alone (with a strip naming the others) on a small one.
extension BilinearView {
    /// The smallest main area that holds the grid of every panel.
    static let gridSize = (width: 90, height: 26)

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        renderHeader(canvas.sub(Rect(x: 0, y: 0, width: canvas.width, height: 1)))
        let rest = canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1))
        if let status = status {
            TextBlock.render(status.text, status.style, canvas: rest)
            return
        }
        guard let shown else {
            TextBlock.render(
                "decomposing the contrast of \(formName(settings.form)) and \(formName(settings.versus ?? 0))…", Theme.dim, canvas: rest)
            return
        }
        renderFacts(shown, rest.sub(Rect(x: 0, y: 0, width: rest.width, height: 1)))
        if canvas.width >= Self.gridSize.width, canvas.height >= Self.gridSize.height {
            let body = Rect(x: 0, y: 2, width: rest.width, height: rest.height - 2)
            let (top, bottom) = body.splitTop(max(body.height * 2 / 5, 8))
            let upper = top.columns(2, gap: 2),
                lower = Rect(x: bottom.x, y: bottom.y + 1, width: bottom.width, height: bottom.height - 1).columns(2, gap: 2)
            renderPanel(.spectrum, shown, rest.sub(upper[0]))
            renderPanel(.truncation, shown, rest.sub(upper[1]))
            renderPanel(.eigenvectors, shown, rest.sub(lower[0]))
            renderPanel(.contributions, shown, rest.sub(lower[1]))
        } else {
            renderStrip(rest.sub(Rect(x: 0, y: 1, width: rest.width, height: 1)))
            renderPanel(settings.panel, shown, rest.sub(Rect(x: 0, y: 2, width: rest.width, height: rest.height - 2)))
        }
    }

    private func renderHeader(_ canvas: Canvas) {
        var text = modelReference
        if let layer = settings.layer {
            text +=
                " · layer \(layer)" + (layers.count > 1 ? " (\((layers.firstIndex(of: layer) ?? 0) + 1) of \(layers.count), L: next)" : "")
        }
        if let site = analysis?.site {
            text +=
                " · forms in \(site.spaceName) \(shapeText(site.imageShape ?? [site.spaceSize]))" + (site.hasConstant ? " + constant" : "")
        }
        let used = canvas.text(0, 0, text, Theme.heading)
        let hints = "m model  c class  x versus  n/p sample  +/- features  f panel"
        if canvas.width - used >= hints.count + 2 { canvas.textRight(canvas.width, 0, hints, Theme.dim) }
    }

    /// The chosen form in one line: its spectrum's ends, sign counts, effective rank and offset.
    private func renderFacts(_ shown: Shown, _ canvas: Canvas) {
        let λ = shown.spectrum.eigenvalues
        let positive = λ.filter { $0 > 0 }.count, negative = λ.filter { $0 < 0 }.count
        var text = "form \(shown.label)"
        if let versus = settings.versus { text += " (logit \(formName(settings.form)) − logit \(formName(versus)))" }
        text +=
            ": \(λ.count) eigenvalues, \(positive) > 0, \(negative) < 0 · λ from \(NumberFormat.readable(λ.first ?? 0)) to \(NumberFormat.readable(λ.last ?? 0))"
        text +=
            " · effective rank \(String(format: "%.1f", shown.spectrum.effectiveRank)) · offset \(NumberFormat.readable(shown.spectrum.offset))"
        canvas.text(0, 0, text, Theme.title)
    }

    private func renderStrip(_ canvas: Canvas) {
        var x = 0
        for panel in Panel.allCases {
            let style = panel == settings.panel ? Theme.selected : Theme.dim
            x += canvas.text(x, 0, " \(panel.rawValue) ", style) + 1
        }
        if x < canvas.width - 8 { canvas.text(x + 1, 0, "f: next", Theme.dim) }
    }

    private func renderPanel(_ panel: Panel, _ shown: Shown, _ canvas: Canvas) {
        guard canvas.width > 0, canvas.height > 0 else { return }
        canvas.text(0, 0, panelTitle(panel, shown), panel == settings.panel ? Theme.title.with(.reverse) : Theme.heading)
        let body = canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1))
        switch panel {
        case .spectrum: renderSpectrum(shown, body)
        case .eigenvectors: renderEigenvectors(shown, body)
        case .truncation: renderTruncation(body)
        case .contributions: renderContributions(shown, body)
        }
    }

    private func panelTitle(_ panel: Panel, _ shown: Shown) -> String {
        switch panel {
        case .spectrum: return "Spectrum of \(shown.label)"
        case .eigenvectors: return "Top eigenvectors of \(shown.label)"
        case .truncation: return "Truncation on \(workspace.data.name)"
        case .contributions:
            return "Sample \(NumberFormat.sample(settings.sample, of: workspace.data.count)): contributions to \(shown.label)"
        }
    }

    // MARK: Panels

    /// λ by index, largest first, with the shown eigenvectors of each end marked and the zero line.
    private func renderSpectrum(_ shown: Shown, _ canvas: Canvas) {
        let s = shown.spectrum, λ = s.eigenvalues
        let x = λ.indices.map { Double($0 + 1) }
        var series = [LinePlot.Series("λ", x: x, y: λ), LinePlot.Series("0", x: [1, Double(max(λ.count, 2))], y: [0, 0])]
        if !s.positive.isEmpty {
            series.append(LinePlot.Series("top +", x: s.positive.map { Double($0.index + 1) }, y: s.positive.map(\.eigenvalue)))
        }
        if !s.negative.isEmpty {
            series.append(LinePlot.Series("top −", x: s.negative.map { Double($0.index + 1) }, y: s.negative.map(\.eigenvalue)))
        }
        LinePlot(title: "λᵢ, largest first", series: series).render(
            canvas.sub(Rect(x: 0, y: 0, width: canvas.width, height: canvas.height - 1)))
        var ends = "+ end λ1 = \(NumberFormat.readable(λ.first ?? 0))"
        if let last = λ.last { ends += " · − end λ\(λ.count) = \(NumberFormat.readable(last))" }
        canvas.text(0, canvas.height - 1, ends, Theme.dim)
    }

    /// The strongest positive eigenvectors on one row and negative ones on the next, on one
    /// diverging scale, each with its λ and the most similar feature of another class.
    private func renderEigenvectors(_ shown: Shown, _ canvas: Canvas) {
        guard let site = analysis?.site else { return }
        let rows = [shown.spectrum.positive, shown.spectrum.negative].filter { !$0.isEmpty }
        guard !rows.isEmpty, canvas.height >= 3 else { return }
        let picture = VectorPicture(imageShape: site.imageShape, size: site.spaceSize)
        let labels = rows.flatMap { $0 }.map { tileLabels($0, shown) }
        let labelWidth = labels.flatMap { $0 }.map { $0.unicodeScalars.count }.max() ?? 0
        let textRows = labels.map(\.count).max() ?? 0
        let perRow = rows.map(\.count).max() ?? 1
        let room = canvas.height - 1 - rows.count * textRows
        let s = picture.magnification(
            count: perRow, minimumWidth: labelWidth, gap: 2, width: canvas.width,
            height: room / rows.count, mode: canvas.colors)
        let size = picture.size(magnification: s, mode: canvas.colors)
        let tileWidth = max(size.width, labelWidth) + 2
        // Only whole images: as many as the width holds; the note below says how many are not shown.
        let fitting = max((canvas.width + 2) / tileWidth, 1)
        eigenvectorsFitting = fitting
        let scale = eigenvectorScale(shown)
        var y = 0
        var tile = 0
        for row in rows {
            for (i, feature) in row.enumerated() {
                guard i < fitting else { tile += 1; continue }
                let area = canvas.sub(Rect(x: i * tileWidth, y: y, width: tileWidth - 2, height: size.height + textRows))
                picture.heatmap(feature.vector, scale: scale, magnification: s).render(area)
                for (line, text) in labels[tile].enumerated() {
                    area.text(
                        0, size.height + line, text,
                        line == 0 ? (feature.eigenvalue > 0 ? SignedBars.positive : SignedBars.negative) : Theme.dim)
                }
                tile += 1
            }
            y += size.height + textRows
        }
        if y < canvas.height { Heatmap.legend(scale, canvas: canvas.sub(Rect(x: 0, y: y, width: min(canvas.width, 40), height: 1))) }
        if perRow > fitting, y + 1 < canvas.height {
            canvas.text(0, y + 1, "\(fitting) of \(perRow) each way fit; f: this panel alone", Theme.dim)
        }
    }

    /// One scale for every shown eigenvector, centred on zero, so that their components compare.
    func eigenvectorScale(_ shown: Shown) -> ColorScale {
        let largest = (shown.spectrum.positive + shown.spectrum.negative).flatMap(\.vector).map(abs).max() ?? 0
        return .diverging(limit: largest)
    }

    /// "+1 λ 2.31" and, for a class form, "≈ 5 −2 .83" (the most similar feature of another class, |cos|).
    private func tileLabels(_ feature: Eigenfeature, _ shown: Shown) -> [String] {
        var lines = ["\(featureName(feature.index, shown.spectrum.eigenvalues)) λ \(NumberFormat.readable(feature.eigenvalue))"]
        if let nearest = shown.nearest[feature.index] { lines.append("≈ \(nearest.name) \(String(format: "%.2f", nearest.cosine))") }
        return lines
    }

    /// Accuracy against the number of eigenvectors each class keeps, the model's accuracy, and
    /// the k that reaches 95 % of it.
    private func renderTruncation(_ canvas: Canvas) {
        switch truncation {
        case .pending:
            canvas.text(0, 0, "computing on \(workspace.data.count) samples…", Theme.dim)
        case .unavailable(let reason):
            TextBlock.render(reason, Theme.warning, canvas: canvas)
        case .done(let curve):
            let k95 = curve.kFor95Percent.map { "k for 95 %: \($0) of \(curve.ks.last ?? 0)" } ?? "95 % not reached"
            canvas.text(
                0, 0,
                "\(k95) · model \(NumberFormat.percent(curve.modelAccuracy)) · all kept \(NumberFormat.percent(curve.accuracy.last ?? 0)) (max |Δlogit| \(NumberFormat.readable(curve.maxLogitError)))"
            )
            // Accuracy saturates within a few eigenvectors: the plot stops at 4 × k95 (at least 16).
            let shown = min(curve.ks.count, max(16, 4 * (curve.kFor95Percent ?? curve.ks.count)))
            let ks = curve.ks.prefix(shown).map(Double.init), accuracy = Array(curve.accuracy.prefix(shown))
            var series = [
                LinePlot.Series("accuracy", x: ks, y: accuracy),
                LinePlot.Series("model", x: [ks.first ?? 1, ks.last ?? 1], y: [curve.modelAccuracy, curve.modelAccuracy])
            ]
            if let k = curve.kFor95Percent {
                series.append(LinePlot.Series("k95", x: [Double(k), Double(k)], y: [accuracy.min() ?? 0, curve.modelAccuracy]))
            }
            LinePlot(title: shown < curve.ks.count ? "accuracy, k ≤ \(shown)" : "accuracy vs k", series: series)
                .render(canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1)))
        }
    }

    /// The sample, its label and prediction, the form's value as the sum of its terms, and the
    /// largest terms λᵢ (vᵢ·x)² as signed bars.
    private func renderContributions(_ shown: Shown, _ canvas: Canvas) {
        let contribution: Contribution
        switch shown.sample {
        case .failure(let failure): TextBlock.render(failure.message, Theme.warning, canvas: canvas); return
        case .success(let c): contribution = c
        }
        var textX = 0, imageHeight = 0
        if let net = network, let shape = net.input.image ?? (net.input.shape.count == 3 ? net.input.shape : nil) {
            let image = ImageWidget(
                pixels: workspace.data.x.row(settings.sample).map(Double.init), shape: shape,
                range: net.input.range.flatMap { $0.count == 2 ? ($0[0], $0[1]) : nil })
            let scale = image.scale(fitting: (canvas.width / 4, min(8, canvas.height / 3)), mode: canvas.colors)
            let size = image.size(scale: scale, mode: canvas.colors)
            image.render(canvas.sub(Rect(x: 0, y: 0, width: size.width, height: size.height)), scale: scale)
            textX = size.width + 2
            imageHeight = size.height
        }
        let form = contribution.form, sample = contribution.sample
        var lines: [(String, Style)] = []
        if let label = sample.label {
            lines.append(
                (
                    "label \(formName(label)) · predicted \(formName(sample.predicted))",
                    label == sample.predicted ? Theme.accent : Theme.error
                ))
        } else {
            lines.append(("predicted \(formName(sample.predicted))", Theme.accent))
        }
        let value = settings.versus.map { "logit \(formName(settings.form)) − logit \(formName($0))" } ?? "logit \(form.label)"
        lines.append(("\(value) = \(NumberFormat.readable(form.value))", Theme.title))
        lines.append(
            (
                "= Σᵢ λᵢ(vᵢ·x)² \(NumberFormat.readable(form.contributions.reduce(0, +))) + offset \(NumberFormat.readable(form.offset))",
                .plain
            ))
        let barsY = max(imageHeight, lines.count + 1) + 1
        let listed = Array(form.top.prefix(max(canvas.height - barsY, 0)))
        if !listed.isEmpty {
            lines.append(
                ("the \(listed.count) largest terms sum to \(NumberFormat.readable(listed.map(\.contribution).reduce(0, +)))", Theme.dim))
        }
        for (i, line) in lines.enumerated() { canvas.text(textX, i, line.0, line.1) }
        let items = listed.map { term in
            (
                label: "\(featureName(term.index, shown.spectrum.eigenvalues)) λ \(NumberFormat.readable(term.eigenvalue))",
                value: term.contribution
            )
        }
        SignedBars(items: items).render(canvas.sub(Rect(x: 0, y: barsY, width: canvas.width, height: canvas.height - barsY)))
    }

    // MARK: Names

    /// A class (readout output) by name.
    func formName(_ k: Int) -> String { analysis?.forms[safe: k]?.direction.label ?? String(k) }

    /// "+2" for the second most positive eigenvalue, "−1" for the most negative: the names the
    /// similarity of the library gives features.
    func featureName(_ index: Int, _ eigenvalues: [Double]) -> String {
        eigenvalues[index] < 0 ? "−\(eigenvalues.count - index)" : "+\(index + 1)"
    }

}
