import Figures
import Interpret
import Networks
import Workbench

/// Layer-wise relevance propagation of one sample (docs/methods.md): the input beside its
/// relevance heatmap (diverging, centred on 0), the conservation readout Σ R against the
/// explained score f_c(x), the relevance left at each layer, and below either pixel flipping
/// over the first samples of the data, for the current composite against gradient × input and
/// random order, or the model-randomisation check (the rank correlation of the maps with those
/// of the model with its layers re-initialised from the output down, and the sample's map at
/// each stage). Composite (or one rule everywhere), target and the bias switch change the map at
/// once: one explanation takes well under a millisecond (`loupe bench --only tui`), so it is
/// computed on the spot, as are the sample's maps at each stage; pixel flipping (its curves
/// growing) and the check over the samples run in the background.
public final class LRPView: RegisteredView {
    /// The panels `e` can export; `v` moves between them.
    public enum Panel: String, Codable, CaseIterable, Sendable {
        case map, layers, flipping, randomisation
    }

    public struct Settings: Codable, Equatable {
        /// The model explained (a workspace model or a demo model).
        public var model: String?
        public var sample = 0
        public var composite: LRPComposite = .epsilonPlus
        public var target: AttributionTarget = .predicted
        public var biasAbsorbsRelevance = true
        /// Whether pixel flipping runs (and its panel shows) for the current setting.
        public var flipping = false
        /// Pixel flipping runs over this many samples from the first.
        public var flipSamples = 100
        /// Whether the model-randomisation check runs (and its panel shows, in place of pixel
        /// flipping) for the current setting.
        public var randomisation = false
        /// The panel `e` exports.
        public var focus = Panel.map
        public init() {}
    }

    public static let kind = "lrp"
    public static let summary =
        "LRP: a sample's relevance heatmap, conservation, relevance by layer, pixel flipping, model randomisation"

    /// What `c` steps through: the composites, then each rule on every layer.
    public static let composites: [LRPComposite] =
        [.epsilonPlus, .epsilonPlusFlat, .epsilonGammaBox, .alpha2Beta1, .deepTaylor]
        + [LRPRule.zero, .epsilon(nil), .zPlus, .gamma(nil), .wSquare, .flat].map { .uniform($0) }
    /// What `F` steps through (capped at the data's size, which is the last step).
    public static let flipSampleCounts = [50, 100, 200]

    public private(set) var settings: Settings
    private let workspace: Workspace
    private let picker: ModelPicker
    /// The current sample's explanation under the current settings.
    private var explanation: LRPExplanation?
    private var failure: String?
    private let flips = FlippingRuns()
    private let randomisations = RandomisationRuns()
    /// The current sample's map at each stage of the check, while it shows, each with its label
    /// ("trained", then the layer each stage re-initialises: "−fc1").
    private var stageMaps: [(label: String, map: [Float])]?
    /// Columns the check's stage table takes: its numbers and the widest list of layers.
    private var stageTableWidth = 0
    /// Why the check cannot run on this model (shown in its panel; the map above still shows).
    private var randomisationFailure: String?
    private var stageTable = TableState()
    private var layerTable = TableState()
    /// A followed latent or unit (`@`): a direction of a hidden layer of `model`, explained
    /// through the network up to that layer in place of the target, until the target or the
    /// model changes.
    private var followed: (title: String, model: String, layer: String, direction: [Double])?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        var settings = settings ?? Settings()
        let cnn = AttributionChoices.defaultModel(in: workspace)
        picker = ModelPicker(workspace: workspace, preferred: settings.model ?? cnn, fallback: cnn)
        settings.model = picker.reference
        self.settings = settings
    }

    public var title: String { "LRP" }

    /// What the view's keys do: the model and sample choices it shares with the other
    /// attribution view, and its own.
    public enum Action: Sendable, Equatable {
        case choice(ModelAndSampleAction), compositeNext, compositePrevious, targetNext, targetPrevious, bias, flipping, flippingSamples,
            randomisation, focus
    }

    public var keyBindings: [KeyBinding<Action>] {
        AttributionChoices.bindings(Action.choice) + [
            KeyBinding([.char("c")], .compositeNext, "next composite (then one rule on every layer)"),
            KeyBinding([.char("C")], .compositePrevious, "previous composite or rule"),
            KeyBinding([.char("t")], .targetNext, "next target: predicted, label, each class"),
            KeyBinding([.char("T")], .targetPrevious, "previous target"),
            KeyBinding([.char("a")], .bias, "biases absorb relevance: on / off"),
            KeyBinding([.char("f")], .flipping, "pixel flipping on / off (it follows model, composite, target)"),
            KeyBinding([.char("F")], .flippingSamples, "pixel flipping over 50, 100, 200 or all samples"),
            KeyBinding(
                [.char("r")], .randomisation,
                "model randomisation on / off: the maps against the model with its layers re-initialised from the output down (in place of flipping)"
            ),
            KeyBinding([.char("v")], .focus, "next panel: map, layers, flipping, randomisation (what e exports)")
        ]
    }

    public func opened(_ context: ViewContext) {
        picker.load(context) { [weak self] _ in self?.refresh(context) }
    }

    // MARK: Settings

    /// The configuration the settings describe (Zennit's defaults otherwise).
    public var configuration: LRPConfiguration {
        LRPConfiguration(composite: settings.composite, biasAbsorbsRelevance: settings.biasAbsorbsRelevance)
    }

    private var flipKey: FlippingKey {
        FlippingKey(
            model: picker.reference, configuration: configuration, target: settings.target,
            samples: min(settings.flipSamples, workspace.data.count))
    }

    private var randomisationKey: RandomisationKey {
        RandomisationKey(model: picker.reference, configuration: configuration, target: settings.target)
    }

    /// The finished check of the current setting, while it shows.
    private var randomisationResult: ModelRandomisationResult? {
        settings.randomisation ? randomisations.run(randomisationKey)?.result : nil
    }

    /// The check's figures, for `E`.
    public var figures: FigureSheet? { randomisationResult?.figures }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        switch action {
        case .choice(let choice):
            settings = AttributionChoices.applying(choice, to: settings, picker: picker)
            if picker.reference != followed?.model { followed = nil }
            picker.load(context) { [weak self] _ in self?.refresh(context) }
            return true
        case .compositeNext, .compositePrevious:
            settings.composite = AttributionChoices.stepped(
                LRPView.composites, from: settings.composite, by: action == .compositeNext ? 1 : -1)
        case .targetNext, .targetPrevious:
            guard let network = picker.network else { return false }
            followed = nil
            settings.target = AttributionChoices.stepped(
                AttributionChoices.targets(network, workspace.data), from: settings.target, by: action == .targetNext ? 1 : -1)
        case .bias: settings.biasAbsorbsRelevance.toggle()
        case .flipping:
            settings.flipping.toggle()
            if !settings.flipping { flips.forgetUnfinished() }
            // One panel below the map: pixel flipping or the randomisation check.
            if settings.flipping, settings.randomisation {
                settings.randomisation = false
                randomisations.forgetUnfinished()
            }
        case .randomisation:
            settings.randomisation.toggle()
            if !settings.randomisation { randomisations.forgetUnfinished() }
            if settings.randomisation, settings.flipping {
                settings.flipping = false
                flips.forgetUnfinished()
            }
        case .flippingSamples:
            let all = workspace.data.count
            settings.flipSamples =
                LRPView.flipSampleCounts.first { $0 > settings.flipSamples && $0 < all }
                ?? (settings.flipSamples < all ? all : LRPView.flipSampleCounts[0])
        case .focus:
            settings.focus = AttributionChoices.stepped(Panel.allCases, from: settings.focus, by: 1)
            return true
        }
        refresh(context)
        return true
    }

    /// Explains the current sample (at once: it takes well under a millisecond) and keeps
    /// pixel flipping in step with the settings.
    private func refresh(_ context: ViewContext) {
        settings.sample = min(max(settings.sample, 0), max(workspace.data.count - 1, 0))
        guard let network = picker.network else { return }
        do {
            explanation = try LRPExplanation.compute(
                network: followed.map { try network.truncated(through: $0.layer) } ?? network, data: workspace.data,
                samples: [settings.sample], configuration: configuration,
                target: followed.map { .direction($0.direction) } ?? settings.target)
            failure = nil
        } catch {
            explanation = nil
            failure = "\(picker.reference): \(error)"
        }
        if settings.flipping, explanation != nil {
            flips.ensure(flipKey, network: network, data: workspace.data, context: context)
        }
        stageMaps = nil
        randomisationFailure = nil
        if settings.randomisation, explanation != nil {
            let key = randomisationKey
            do {
                // The sample's maps at each stage are a few explanations of one sample: on the spot.
                let check = try ModelRandomisation(network: network, options: key.options)
                let maps = try check.maps(of: settings.sample, in: workspace.data)
                stageMaps = zip(check.stages, maps).map { ($0.layer.map { "−" + $0 } ?? "trained", $1) }
                // As the table widget lays it out: stage 6, ρ 7, std 6, ρ |R| 6, std |R| 8 and five
                // gaps of 2 take 43; the layers' column 11 to 28.
                let layers = check.stages.map { ModelRandomisationResult.layerList($0.randomised).unicodeScalars.count }.max() ?? 0
                stageTableWidth = 43 + min(max(layers, 11), 28)
                randomisations.ensure(key, check: check, data: workspace.data, context: context)
            } catch {
                randomisationFailure = "\(error)"
            }
        }
    }

    // MARK: Tables

    /// Per layer: its rule, the relevance that reaches its input, and what it lost on the way
    /// (absorbed by biases and stabilisers); last, the scores where the explanation starts.
    /// Columns the layer table needs to show all of its columns.
    static let layerTableWidth = 54

    static func layerTable(_ e: LRPExplanation) -> Table {
        let totals = e.layerTotals[0]
        var rows: [[Table.Value]] = e.layerRules.enumerated().map { i, layer in
            [.text(layer.layer), .text(layer.kind), .text(layer.rule), .number(totals[i]), .number(totals[i + 1] - totals[i])]
        }
        rows.append([.text("scores"), .text(""), .text("u·f(x)"), .number(totals[totals.count - 1]), .missing])
        return Table(columns: [.init("layer"), .init("kind"), .init("rule"), .init("ΣR in"), .init("lost")], rows: rows)
    }

    public func exportTable() -> Table? {
        guard let e = explanation, let network = picker.network else { return nil }
        let context: [(String, Table.Value)] = [
            ("model", .text(picker.reference)), ("composite", .text(configuration.name)),
            ("biases_absorb", .integer(settings.biasAbsorbsRelevance ? 1 : 0)), ("target", .text(settings.target.description))
        ]
        func prefixed(_ table: Table) -> Table {
            Table(columns: context.map { .init($0.0) } + table.columns, rows: table.rows.map { context.map(\.1) + $0 })
        }
        let s = settings.sample
        let explained: [(String, Table.Value)] = [
            ("sample", .integer(s)), ("label", e.labels.map { .integer($0[0]) } ?? .missing),
            ("target_class", e.classes[0].map { .integer($0) } ?? .missing)
        ]
        switch settings.focus {
        case .map:
            let x = workspace.data.x.row(s).map(Double.init)
            let shape = InputMap.imageShape(network).flatMap { $0.reduce(1, *) == x.count ? $0 : nil } ?? [1, 1, x.count]
            let plane = shape[1] * shape[2]
            let columns = ["input", "channel", "row", "col", "value", "relevance"]
            return prefixed(
                Table(
                    columns: (explained.map(\.0) + columns).map { .init($0) },
                    rows: x.indices.map { i in
                        explained.map(\.1) + [
                            .integer(i), .integer(i / plane), .integer(i % plane / shape[2]), .integer(i % shape[2]),
                            .number(x[i]), .number(Double(e.relevance[0][i]))
                        ]
                    }))
        case .layers:
            let columns = ["layer", "kind", "rule", "relevance_in", "relevance_lost"]
            return prefixed(
                Table(
                    columns: (explained.map(\.0) + columns).map { .init($0) },
                    rows: LRPView.layerTable(e).rows.map { explained.map(\.1) + $0 }))
        case .flipping:
            guard settings.flipping, let result = flips.run(flipKey)?.result else { return nil }
            var table = Table(columns: ["samples", "method", "step", "fraction_removed", "mean_score", "auc"].map { .init($0) })
            for curve in result.curves {
                for (k, f) in result.fractions.enumerated() {
                    table.rows.append([
                        .integer(result.samples.count), .text(curve.method), .integer(k), .number(f),
                        .number(curve.meanScore[k]), .number(curve.auc)
                    ])
                }
            }
            return prefixed(table)
        case .randomisation:
            guard let result = randomisationResult else { return nil }
            let columns = [
                "samples", "stage", "layer", "randomised", "mean_spearman", "spearman_std", "mean_abs_spearman", "abs_spearman_std"
            ]
            return prefixed(
                Table(
                    columns: columns.map { .init($0) },
                    rows: result.stages.enumerated().map { k, stage in
                        [
                            .integer(result.samples.count), .integer(k), stage.layer.map { .text($0) } ?? .missing,
                            .text(stage.randomisedLayers.joined(separator: " ")), .number(stage.meanSpearman), .number(stage.spearmanStd),
                            .number(stage.meanAbsoluteSpearman), .number(stage.absoluteSpearmanStd)
                        ]
                    }))
        }
    }

    // MARK: Drawing

    private func panelStyle(_ panel: Panel) -> Style { settings.focus == panel ? Theme.title.with(.reverse) : Theme.title }

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        guard let network = picker.network else {
            canvas.text(0, 0, "loading \(picker.reference)…  (m: another model)", Theme.dim)
            return
        }
        let data = workspace.data
        let s = settings.sample
        let names = network.classNames
        func name(_ c: Int) -> String { names[safe: c] ?? String(c) }
        var head = "\(picker.reference) · sample \(NumberFormat.sample(s, of: data.count))"
        if let label = data.labels?[s] { head += " · label \(name(label))" }
        if let e = explanation, followed == nil { head += " · predicted \(name(e.predicted[0]))" }
        canvas.text(0, 0, head, Theme.heading)
        var setting = "composite \(configuration.name) · target "
        switch settings.target {
        case _ where followed != nil: setting += "\(followed!.title): its direction u, u·h(x) at \(followed!.layer) (t: a class again)"
        case .classIndex(let c): setting += "class \(name(c))"
        default: setting += "\(settings.target)" + (explanation?.classes[0].map { " → \(name($0))" } ?? "")
        }
        setting += settings.biasAbsorbsRelevance ? " · biases absorb relevance" : " · biases off"
        canvas.text(0, 1, setting, Theme.accent)
        let body = canvas.sub(Rect(x: 0, y: 2, width: canvas.width, height: canvas.height - 2))
        if let failure { TextBlock.render(failure + "\n(m: another model, c: another composite)", Theme.error, canvas: body); return }
        guard let e = explanation else { body.text(0, 0, "explaining…", Theme.dim); return }

        let flipHeight = settings.flipping || settings.randomisation ? max(9, body.height * 2 / 5) : 1
        let topHeight = max(body.height - flipHeight - 1, 0)
        renderTop(e, network, body.sub(Rect(x: 0, y: 0, width: body.width, height: topHeight)))
        let bottom = body.sub(Rect(x: 0, y: topHeight + 1, width: body.width, height: body.height - topHeight - 1))
        if settings.randomisation {
            renderRandomisation(network, bottom)
        } else if settings.flipping {
            renderFlipping(bottom)
        } else {
            bottom.text(
                0, 0,
                "pixel flipping off — f runs it over the first \(min(settings.flipSamples, data.count)) samples (F: how many) · r: model randomisation",
                Theme.dim)
        }
    }

    /// The input and its relevance side by side, then the conservation readout and the
    /// relevance by layer.
    private func renderTop(_ e: LRPExplanation, _ network: Network<Float>, _ canvas: Canvas) {
        let x = workspace.data.x.row(settings.sample).map(Double.init)
        let relevance = e.relevance[0].map(Double.init)
        let map = InputMap(relevance, network: network)
        // The readout takes the whole layer table (layer, kind, rule, ΣR in, lost) when the maps
        // still fit beside it at twice their size, else its first columns only.
        let readoutWidth =
            (canvas.width - LRPView.layerTableWidth - 5) / 2 >= max(map.size(2, mode: canvas.colors).width, 12)
            ? LRPView.layerTableWidth : 24
        let m = map.magnification(fitting: ((canvas.width - readoutWidth - 4) / 2, canvas.height - 2), mode: canvas.colors, limit: 6)
        let size = map.size(m, mode: canvas.colors)
        let mapWidth = max(size.width, 12)
        canvas.text(0, 0, "input", Theme.title)
        InputMap.drawInput(
            x, network: network, magnification: m, canvas: canvas.sub(Rect(x: 0, y: 1, width: size.width, height: size.height)))
        let scale = InputMap.signedScale(relevance)
        map.drawTitled(
            "relevance", style: panelStyle(.map), magnification: m, scale: scale,
            canvas: canvas.sub(Rect(x: mapWidth + 2, y: 0, width: mapWidth, height: canvas.height)))

        let readout = canvas.sub(Rect(x: 2 * mapWidth + 5, y: 0, width: canvas.width - 2 * mapWidth - 5, height: canvas.height))
        let (sum, explained, error) = (e.relevanceSums[0], e.explained[0], e.conservationErrors[0])
        let positive = relevance.filter { $0 > 0 }.reduce(0, +), negative = relevance.filter { $0 < 0 }.reduce(0, +)
        let lines: [(String, String)] = [
            ("f_c(x)", NumberFormat.readable(explained)),
            ("Σ R", NumberFormat.readable(sum)),
            ("Σ R − f_c(x)", NumberFormat.readable(error)),
            ("(ΣR − f)/|f|", explained != 0 ? String(format: "%+.1f %%", 100 * error / abs(explained)) : "—"),
            ("R⁺", NumberFormat.readable(positive)),
            ("R⁻", NumberFormat.readable(negative))
        ]
        readout.text(0, 0, "conservation", Theme.title)
        for (i, line) in lines.enumerated() {
            readout.text(0, 1 + i, line.0, Theme.dim)
            readout.text(14, 1 + i, line.1)
        }
        let tableTop = lines.count + 2
        readout.text(0, tableTop, "relevance by layer", panelStyle(.layers))
        TableWidget.render(
            LRPView.layerTable(e), state: &layerTable,
            canvas: readout.sub(Rect(x: 0, y: tableTop + 1, width: readout.width, height: readout.height - tableTop - 1)),
            focused: false)
    }

    /// The curves of the current composite, gradient × input and random order, with their areas.
    private func renderFlipping(_ canvas: Canvas) {
        let key = flipKey
        let run = flips.run(key)
        var title = "pixel flipping · first \(key.samples) samples"
        switch run?.state {
        case .running?: title += " · running: \(run?.result?.samples.count ?? 0) done (Esc cancels)"
        case .cancelled?: title += " · cancelled at \(run?.result?.samples.count ?? 0) (f twice runs it again)"
        case .failed(let message)?: title += " · failed: \(message)"
        case .finished?, nil: break
        }
        title += " · mean u·f(x) as the most relevant inputs are removed; lower AUC is better"
        canvas.text(0, 0, title, panelStyle(.flipping))
        guard let result = run?.result else {
            canvas.text(0, 1, run == nil ? "waiting for the model…" : "waiting for the first batch…", Theme.dim)
            return
        }
        // Drawn so that the plot's own legend row is replaced by one that gives each curve's AUC.
        let entries = result.curves.enumerated().map { i, curve in
            (
                text: "━ \(curve.method) AUC \(NumberFormat.readable(curve.auc))",
                style: Style(foreground: Theme.series[i % Theme.series.count])
            )
        }
        var legendRows: [[(text: String, style: Style)]] = [[]]
        var used = 0
        for entry in entries {
            let width = entry.text.unicodeScalars.count + 2
            if used > 0, used + width > canvas.width { legendRows.append([]); used = 0 }
            legendRows[legendRows.count - 1].append(entry)
            used += width
        }
        let plotTop = legendRows.count
        let series = result.curves.map { LinePlot.Series($0.method, x: result.fractions, y: $0.meanScore) }
        LinePlot(series: series).render(canvas.sub(Rect(x: 0, y: plotTop, width: canvas.width, height: canvas.height - plotTop)))
        canvas.sub(Rect(x: 0, y: plotTop, width: canvas.width, height: 1)).fill()
        for (r, row) in legendRows.enumerated() {
            var x = 0
            for entry in row { x += canvas.text(x, 1 + r, entry.text, entry.style) + 2 }
        }
    }

    /// The check's stages as a table (mean ρ and its spread, signed and of |R|), and beside it,
    /// where there is room, the sample's map at each stage, each on its own scale (a randomised
    /// model's relevance can be orders of magnitude off the trained one's).
    private func renderRandomisation(_ network: Network<Float>, _ canvas: Canvas) {
        let key = randomisationKey
        let run = randomisations.run(key)
        var title = "model randomisation · first \(min(key.options.samples, workspace.data.count)) samples"
        switch run?.state {
        case .running?: title += " · running (Esc cancels)"
        case .cancelled?: title += " · cancelled (r twice runs it again)"
        case .failed(let message)?: title += " · failed: \(message)"
        case .finished?, nil: break
        }
        title += " · ρ: Spearman of each map with the trained model's, layers re-initialised from the output down"
        canvas.text(0, 0, title, panelStyle(.randomisation))
        let body = canvas.sub(Rect(x: 0, y: 1, width: canvas.width, height: canvas.height - 1))
        if let randomisationFailure { TextBlock.render(randomisationFailure, Theme.error, canvas: body); return }
        let tableWidth = min(body.width, stageTableWidth)
        if let result = run?.result {
            TableWidget.render(
                result.stageTable, state: &stageTable, canvas: body.sub(Rect(x: 0, y: 0, width: tableWidth, height: body.height)),
                focused: false)
        } else {
            body.text(0, 0, run == nil ? "waiting for the model…" : "comparing the maps of the first samples…", Theme.dim)
        }
        guard let maps = stageMaps, !maps.isEmpty else { return }
        let room = body.sub(Rect(x: tableWidth + 2, y: 0, width: max(body.width - tableWidth - 2, 0), height: body.height))
        let first = InputMap(maps[0].map.map(Double.init), network: network)
        let m = first.magnification(fitting: (room.width / maps.count - 1, room.height - 2), mode: room.colors, limit: 4)
        let tileWidth = max(first.size(m, mode: room.colors).width, 12)
        // Every map, or none: a row of some stages would read as the whole cascade.
        guard maps.count * (tileWidth + 1) - 1 <= room.width, first.size(m, mode: room.colors).height + 2 <= room.height else { return }
        for (k, stage) in maps.enumerated() {
            let values = stage.map.map(Double.init)
            InputMap(values, network: network).drawTitled(
                "\(k) \(stage.label)", magnification: m, scale: InputMap.signedScale(values),
                canvas: room.sub(Rect(x: k * (tileWidth + 1), y: 0, width: tileWidth, height: room.height)))
        }
    }
}

extension LRPView: FollowTargetView {
    /// Model A, the followed object's top sample, and its direction explained.
    func show(_ trail: LatentTrail, of followed: Followable, _ context: ViewContext) throws -> String {
        guard let a = workspace.models.first else { throw WorkbenchError("no model A") }
        picker.select(a.reference)
        settings.model = a.reference
        settings.sample = trail.topSample
        // One panel below the map belongs to the target's explanation; neither follows a direction.
        settings.flipping = false
        settings.randomisation = false
        self.followed = (followed.title, a.reference, trail.layer, trail.direction)
        refresh(context)
        return "LRP: sample \(trail.topSample), where it is largest (\(NumberFormat.readable(trail.topActivation, digits: 3)))"
    }
}
