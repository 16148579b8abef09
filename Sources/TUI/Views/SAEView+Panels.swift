import Figures
import Foundation
import Interpret
import Networks

/// Drawing: a header with the settings and a line with the run's state; then on a large
/// terminal the training curves, a band with the density, the L0 distribution, the metrics and
/// dark matter, and the latent table beside the selected latent; on a small one the focused
/// panel alone, with a strip naming the others.
extension SAEView {
    /// The smallest main area that holds every panel at once.
    static let gridSize = (width: 140, height: 44)

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        // The settings take two rows when one does not hold them; the keys go beside them when
        // there is room, else on the row that names the panels.
        let header = headerText
        let headerRows =
            header.unicodeScalars.count + Self.hints(self.settings).count + 2 <= canvas.width
            ? 1
            : min(TextBlock.wrap(header, width: canvas.width).count, 2)
        let keysBeside = headerRows == 1 && header.unicodeScalars.count + Self.hints(self.settings).count + 2 <= canvas.width
        TextBlock.render(header, Theme.heading, canvas: canvas.sub(Rect(x: 0, y: 0, width: canvas.width, height: headerRows)))
        if keysBeside { canvas.textRight(canvas.width, 0, Self.hints(self.settings), Theme.dim) }
        renderState(canvas.sub(Rect(x: 0, y: headerRows, width: canvas.width, height: 1)))
        let top = headerRows + 2
        let body = Rect(x: 0, y: top, width: canvas.width, height: canvas.height - top)
        guard run != nil, body.height > 0 else { return }
        if canvas.width >= Self.gridSize.width, canvas.height >= Self.gridSize.height {
            let (curves, rest) = body.splitTop(max(body.height / 4, 8))
            let (band, lower) = Rect(x: 0, y: rest.y + 1, width: rest.width, height: rest.height - 1).splitTop(max(rest.height / 3, 9))
            let metricsWidth = min(max(band.width * 2 / 5, 44), 64)
            let (density, metrics) = band.splitLeft(band.width - metricsWidth - 2)
            renderPanel(.training, canvas.sub(curves))
            renderPanel(.density, canvas.sub(density))
            renderPanel(.metrics, canvas.sub(Rect(x: metrics.x + 2, y: metrics.y, width: metrics.width - 2, height: metrics.height)))
            renderBrowser(canvas.sub(Rect(x: 0, y: lower.y + 1, width: lower.width, height: lower.height - 1)))
        } else {
            renderStrip(canvas.sub(Rect(x: 0, y: top - 1, width: canvas.width, height: 1)), keys: !keysBeside)
            if settings.panel == .latents, body.width >= Self.browserWidth {
                renderBrowser(canvas.sub(body))
            } else {
                renderPanel(settings.panel, canvas.sub(body))
            }
        }
    }

    /// The narrowest area that shows the latent table beside the selected latent.
    static let browserWidth = 90

    /// The latent table with the selected latent beside it.
    private func renderBrowser(_ canvas: Canvas) {
        let (table, latent) = canvas.bounds.splitLeft(min(max(canvas.width * 2 / 5, 50), 60))
        renderPanel(.latents, canvas.sub(table))
        renderPanel(.latent, canvas.sub(Rect(x: latent.x + 2, y: latent.y, width: latent.width - 2, height: latent.height)))
    }

    /// The model, layer and training settings.
    private var headerText: String {
        var text = modelReference
        if let layer = settings.layer {
            text += " · \(layer)" + (inputSize.map { " [\($0)]" } ?? "")
        }
        return text + " · " + Self.describe(requestedOptions, inputSize: inputSize)
    }

    /// The view's main keys, in full and in brief (? lists them all with what they do).
    static func hints(_ settings: Settings, brief: Bool = false) -> String {
        brief
            ? "keys t a ± d < > L m f, ? explains"
            : "t train  a arch  +/- \(settings.architecture.usesK ? "k" : "λ")  d/D d_sae  </> steps  L layer  m model  f panel"
    }

    /// d_in of the chosen layer, once the model is loaded.
    var inputSize: Int? {
        guard let layer = settings.layer, let shape = try? network?.shape(of: layer) else { return nil }
        return shape.reduce(1, *)
    }

    /// "topk k 16 · d_sae 1024 (4×) · 300 steps × 128".
    static func describe(_ o: SAETrainingOptions, inputSize: Int?) -> String {
        let sparsity = o.architecture.usesK ? "k \(o.k)" : "λ \(NumberFormat.readable(o.sparsityCoefficient))"
        let latents = o.latents ?? inputSize.map { Int((o.expansionFactor * Double($0)).rounded()) }
        let size =
            latents.map { "d_sae \($0) (\(NumberFormat.readable(o.expansionFactor))×)" }
            ?? "d_sae \(NumberFormat.readable(o.expansionFactor))× d_in"
        return "\(o.architecture.rawValue) \(sparsity) · \(size) · \(o.steps) steps × \(o.batchSize)"
    }

    /// Where the run stands: loading, training (with the last step's figures), trained or stopped,
    /// and whether the settings have changed since.
    private func renderState(_ canvas: Canvas) {
        if let failure { canvas.text(0, 0, failure, Theme.error); return }
        guard let run else {
            canvas.text(
                0, 0, network == nil ? "loading \(modelReference)…" : "t trains an SAE on \(settings.layer ?? "the layer")", Theme.dim)
            return
        }
        var x = 0
        if run.sae == nil {
            let last = run.curve.last
            var text = "training: step \(last?.step ?? 0) / \(run.options.steps)"
            if let l = last?.loss {
                text +=
                    " · loss \(NumberFormat.readable(l.total)) · L0 \(String(format: "%.1f", l.l0)) · FVU \(NumberFormat.readable(l.fvu))"
            }
            x = canvas.text(0, 0, text + " · Esc stops and keeps the SAE so far", Theme.accent)
        } else if let stopped = run.stoppedAt {
            x = canvas.text(0, 0, "stopped at step \(stopped) of \(run.options.steps) (Esc): the SAE as it was then", Theme.warning)
        } else {
            x = canvas.text(
                0, 0, "trained \(run.options.steps) steps in \(String(format: "%.1f", run.seconds)) s on \(workspace.data.count) samples")
        }
        if isAnalysing { x += canvas.text(x, 0, " · analysing…", Theme.dim) }
        if let request, request != run.request {
            let shown =
                run.request.model == request.model && run.request.layer == request.layer
                ? "" : " on \(run.request.model) \(run.request.layer)"
            canvas.text(x, 0, " · shown: \(Self.describe(run.options, inputSize: nil))\(shown); t trains the settings above", Theme.warning)
        }
    }

    /// The panels by name, the focused one marked; then, when the header had no room for them,
    /// the keys.
    private func renderStrip(_ canvas: Canvas, keys: Bool) {
        var x = 0
        for panel in Panel.allCases {
            x += canvas.text(x, 0, " \(panel.rawValue) ", panel == settings.panel ? Theme.selected : Theme.dim) + 1
        }
        let room = canvas.width - x - 1
        let text =
            !keys
            ? "f: next" : [Self.hints(settings), Self.hints(settings, brief: true), "f: next"].first { $0.unicodeScalars.count <= room }
        if let text, text.unicodeScalars.count <= room { canvas.text(x + 1, 0, text, Theme.dim) }
    }

    private func renderPanel(_ panel: Panel, _ canvas: Canvas) {
        guard canvas.width > 0, canvas.height > 1 else { return }
        canvas.text(0, 0, panelTitle(panel), panel == settings.panel ? Theme.title.with(.reverse) : Theme.heading)
        let body = canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1))
        if panel == .training { renderTraining(body); return }
        guard let findings else {
            let text: String
            switch analysis {
            case .unavailable(let reason): text = reason
            case .running: text = "analysing the SAE on \(workspace.data.count) samples…"
            case .none, .done: text = "after training"
            }
            TextBlock.render(text, Theme.dim, canvas: body)
            return
        }
        switch panel {
        case .training: break
        case .metrics: renderMetrics(findings.report, body)
        case .density: renderDensity(findings.report, body)
        case .latents: renderLatents(findings, body)
        case .latent: renderLatent(findings, body)
        }
    }

    private func panelTitle(_ panel: Panel) -> String {
        switch panel {
        case .training: return "Training: loss, L0 and FVU per step (of a batch of \(run?.options.batchSize ?? settings.batchSize))"
        case .metrics: return "Metrics and dark matter on \(workspace.data.name), the data it was trained on"
        case .density: return "Latent density and active latents per sample"
        case .latents:
            guard let table = findings?.table, let filtered else { return "Latents" }
            return "Latents: \(filtered.rows.count) of \(table.rows.count)"
                + (settings.filter.isEmpty ? " (/ filters)" : " · filter \(settings.filter)")
        case .latent: return selectedLatent.map { "Latent \($0)" } ?? "Latent"
        }
    }

    // MARK: Panels

    private func renderTraining(_ canvas: Canvas) {
        TrainingCurves.render(run?.curve ?? [], canvas)
    }

    private func renderMetrics(_ report: SAEReport, _ canvas: Canvas) {
        FigureList.render(report.figures, canvas: canvas)
    }

    /// The log10 firing frequency of the live latents (▲ the mean, L0 / d_sae) and the number of
    /// active latents per sample (▲ its mean), side by side when there is room.
    private func renderDensity(_ report: SAEReport, _ canvas: Canvas) {
        let m = report.metrics
        let alive = m.latentFrequency.filter { $0 > 0 }
        let density = Histogram(
            values: alive.map(log10), title: "log10 frequency · \(alive.count) alive, \(m.density.dead) dead",
            marker: m.l0 > 0 ? log10(m.l0 / Double(report.latents)) : nil)
        let perSample = m.l0Histogram.enumerated().flatMap { n, count in [Double](repeating: Double(n), count: count) }
        let pursuit = report.architecture == .matchingPursuit ? " (≤ \(report.k) pursuit steps)" : ""
        let l0 = Histogram(values: perSample, title: "L0 per sample\(pursuit)", marker: m.l0, color: Theme.series[2])
        let areas = canvas.width >= 56 ? canvas.bounds.columns(2, gap: 2) : canvas.bounds.rows(2, gap: 0)
        density.render(canvas.sub(areas[0]), bins: 32)
        l0.render(canvas.sub(areas[1]), bins: max((m.l0Histogram.count - (m.l0Histogram.firstIndex { $0 > 0 } ?? 0)), 1))
    }

    private func renderLatents(_ findings: Findings, _ canvas: Canvas) {
        var y = 0
        if let filterProblem {
            y = TextBlock.render(filterProblem, Theme.warning, canvas: canvas)
        }
        guard let filtered else { return }
        TableWidget.render(
            filtered, state: &settings.table, canvas: canvas.sub(Rect(x: 0, y: y, width: canvas.width, height: canvas.height - y)))
    }

    /// The selected latent: its figures, the samples it fires on most (as images when the input
    /// is one), its decoder direction as a picture, and its effect on each class logit.
    private func renderLatent(_ findings: Findings, _ canvas: Canvas) {
        guard let j = selectedLatent, let run, let sae = run.sae else {
            canvas.text(0, 0, "no latent matches the filter", Theme.dim)
            return
        }
        let m = findings.report.metrics
        let f = m.latentFrequency[j], fires = Int((f * Double(m.samples)).rounded())
        var facts =
            f > 0
            ? "fires on \(percent(f, digits: 2)) of samples (\(fires)) · mean \(NumberFormat.readable(m.latentMeanActivation[j])) · max \(NumberFormat.readable(findings.top[j].first?.value ?? 0))"
            : "never fires on these \(m.samples) samples (dead)"
        if let effect = findings.effects[j], let c = LatentTable.argmax(effect) {
            facts += " · raises class \(c) most (\(signed(effect[c])))"
        }
        let y = TextBlock.render(facts, canvas: canvas) + 1
        let imagesHeight = renderTopSamples(
            findings.top[j], run, canvas.sub(Rect(x: 0, y: y, width: canvas.width, height: max((canvas.height - y) / 2, 0))))
        let lower = Rect(x: 0, y: y + 1 + imagesHeight, width: canvas.width, height: canvas.height - y - 1 - imagesHeight)
        guard lower.height >= 3 else { return }
        let decoder = Array(sae.decoder.row(j)).map(Double.init)
        let picture = VectorPicture(imageShape: run.request.layer == "input" ? run.imageShape : run.layerShape, size: sae.inputSize)
        let s = picture.magnification(
            count: 1, minimumWidth: 0, gap: 0, width: lower.width / 3, height: lower.height - 3, mode: canvas.colors)
        let size = picture.size(magnification: s, mode: canvas.colors)
        let title = run.request.layer == "input" ? "decoder direction (an image)" : "decoder direction (\(sae.inputSize) units)"
        let left = canvas.sub(Rect(x: 0, y: lower.y, width: max(size.width, title.count), height: lower.height))
        left.text(0, 0, title, Theme.heading)
        let scale = ColorScale.diverging(limit: decoder.map(abs).max() ?? 0)
        picture.heatmap(decoder, scale: scale, magnification: s).render(left.sub(Rect(x: 0, y: 1, width: size.width, height: size.height)))
        Heatmap.legend(scale, canvas: left.sub(Rect(x: 0, y: size.height + 1, width: left.width, height: 1)))
        let right = canvas.sub(Rect(x: left.width + 2, y: lower.y, width: canvas.width - left.width - 2, height: lower.height))
        right.text(0, 0, "effect on each class logit (mean change when removed from the reconstruction)", Theme.heading)
        guard let effect = findings.effects[j] else {
            right.text(
                0, 1, run.source.traceIndex > run.source.network.scoreIndex ? "the layer is past the scores" : "none: it never fires",
                Theme.dim)
            return
        }
        SignedBars(items: effect.enumerated().map { (String($0.offset), $0.element) })
            .render(right.sub(Rect(x: 0, y: 1, width: right.width, height: right.height - 1)))
    }

    /// The latent's top samples side by side, as images with their value and label under each
    /// (or as a list when the input is not an image); returns the rows used.
    private func renderTopSamples(_ top: [LatentActivation], _ run: TrainingRun, _ canvas: Canvas) -> Int {
        guard !top.isEmpty, canvas.height >= 3 else { return 0 }
        let labels = workspace.data.labels
        func caption(_ a: LatentActivation) -> String {
            "#\(a.sample)" + (labels.map { " y\($0[a.sample])" } ?? "")
        }
        canvas.text(0, 0, "top-activating samples", Theme.heading)
        guard let shape = run.imageShape else {
            let text = top.map { "\(caption($0)): \(NumberFormat.readable($0.value))" }.joined(separator: " · ")
            return 1 + TextBlock.render(text, canvas: canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1)))
        }
        let tileWidth = max(top.map { caption($0).count }.max() ?? 0, 6)
        let first = ImageWidget(pixels: workspace.data.x.row(top[0].sample).map(Double.init), shape: shape, range: run.imageRange)
        var scale = first.scale(fitting: (canvas.width, canvas.height - 3), mode: canvas.colors)
        // Smaller images, so that more of the samples fit side by side.
        while scale > 1, canvas.width / (max(first.size(scale: scale, mode: canvas.colors).width, tileWidth) + 2) < min(top.count, 5) {
            scale -= 1
        }
        let size = first.size(scale: scale, mode: canvas.colors)
        let step = max(size.width, tileWidth) + 2
        for (i, a) in top.enumerated() where (i + 1) * step - 2 <= canvas.width {
            let image = ImageWidget(pixels: workspace.data.x.row(a.sample).map(Double.init), shape: shape, range: run.imageRange)
            let tile = canvas.sub(Rect(x: i * step, y: 1, width: step - 2, height: size.height + 2))
            image.render(tile, scale: scale)
            tile.text(0, size.height, NumberFormat.readable(a.value), Theme.accent)
            tile.text(0, size.height + 1, caption(a), Theme.dim)
        }
        return 1 + size.height + 2
    }

    /// "12.5 %", kept on one line by a no-break space.
    /// As `NumberFormat.percent`, with a non-breaking space so that wrapped text keeps "62.2 %" whole.
    private func percent(_ fraction: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f\u{a0}%%", 100 * fraction) }
    private func signed(_ v: Double) -> String { (v > 0 ? "+" : "") + NumberFormat.readable(v) }
}
