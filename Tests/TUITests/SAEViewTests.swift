import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import TensorIO
import TestSupport
import Workbench
import XCTest

/// The SAE view on demo:mlp-1 over builtin:digits:test. Training is seeded, so the tests train
/// the same SAE with `SAETrainingSession` and check what the view shows against figures computed
/// here from that SAE's codes and reconstructions with plain loops (and the network's layers
/// for the downstream figures).
final class SAEViewTests: XCTestCase {
    // MARK: Reference

    /// An SAE trained here as the view trains it, with its codes on every sample of the layer.
    struct Reference {
        let network: Network<Float>
        let data: Dataset
        let source: LayerActivationSource
        let x: Matrix<Float>
        let sae: SparseAutoencoder<Float>
        let curve: [SAETrainingPoint]
        let codes: SparseCodes<Float>
        let reconstruction: Matrix<Float>

        /// Per latent: the fraction of samples it fires on, and its mean value when it fires.
        var frequency: [Double] { firing.map { Double($0) / Double(x.rows) } }
        var firing: [Int] {
            var n = [Int](repeating: 0, count: sae.latentCount)
            for e in 0..<codes.nonzeroCount { n[codes.indices[e]] += 1 }
            return n
        }
        var l0: Double { Double(codes.nonzeroCount) / Double(x.rows) }

        /// Σ‖x − x̂‖² / Σ‖x − x̄‖².
        var fvu: Double {
            var error = 0.0, total = 0.0
            let mean = (0..<x.cols).map { c in (0..<x.rows).reduce(0.0) { $0 + Double(x[$1, c]) } / Double(x.rows) }
            for r in 0..<x.rows {
                for c in 0..<x.cols {
                    error += pow(Double(x[r, c] - reconstruction[r, c]), 2)
                    total += pow(Double(x[r, c]) - mean[c], 2)
                }
            }
            return error / total
        }

        /// (sample, value) of latent j on every sample it fires on.
        func values(of j: Int) -> [(sample: Int, value: Double)] {
            (0..<codes.count).compactMap { b in codes.range(b).first { codes.indices[$0] == j }.map { (b, Double(codes.values[$0])) } }
        }

        /// The mean over the samples latent j fires on of scores(x̂) − scores(x̂ − f_j d_j), sample by sample.
        func effect(of j: Int) -> [Double] {
            let firing = values(of: j)
            var sums = [Double](repeating: 0, count: 10)
            let start = try! network.traceIndex(of: source.layer)
            for (b, v) in firing {
                let withLatent = Matrix<Float>([Array(reconstruction.row(b))])
                var without = withLatent
                for u in 0..<x.cols { without[0, u] -= Float(v) * sae.decoder[j, u] }
                let d = network.forward(from: start, withLatent) - network.forward(from: start, without)
                for c in 0..<10 { sums[c] += Double(d[0, c]) }
            }
            return sums.map { $0 / Double(firing.count) }
        }
    }

    static var cache: [String: Reference] = [:]

    /// The SAE the view trains with `settings` (the first `steps` steps of it when given).
    static func reference(_ settings: SAEView.Settings, steps: Int? = nil) throws -> Reference {
        let key = "\(settings.layer ?? "")-\(settings.architecture)-\(settings.k)-\(settings.expansion)-\(settings.steps)-\(steps ?? -1)"
        if let r = Self.cache[key] { return r }
        let network = try DemoModels.load("mlp-1")
        let data = try DataSource.load("builtin:digits:test")
        let source = try LayerActivationSource(network: network, layer: settings.layer ?? "relu1", data: data)
        let options = SAETrainingOptions(
            architecture: settings.architecture, expansionFactor: Double(settings.expansion), k: settings.k,
            sparsityCoefficient: settings.sparsity, steps: settings.steps, batchSize: settings.batchSize,
            seed: settings.seed)
        var session = try SAETrainingSession(source: source, options: options)
        var curve: [SAETrainingPoint] = []
        while !session.isFinished && curve.count < (steps ?? .max) { curve.append(try session.advance()) }
        let sae = session.finish().sae
        let x = try source.all()
        let codes = sae.encode(x)
        let r = Reference(
            network: network, data: data, source: source, x: x, sae: sae, curve: curve, codes: codes,
            reconstruction: sae.decode(codes))
        Self.cache[key] = r
        return r
    }

    // MARK: Support

    static func settings(
        layer: String? = nil, architecture: SAEArchitecture = .topk, k: Int = 16, expansion: Int = 4,
        steps: Int = 60
    ) -> SAEView.Settings {
        var s = SAEView.Settings()
        s.layer = layer
        s.architecture = architecture
        s.k = k
        s.expansion = expansion
        s.steps = steps
        return s
    }

    /// A workbench with only the SAE tab, trained and analysed.
    func saeApp(_ settings: SAEView.Settings = settings(), colors: ColorMode = .truecolor) throws -> (App, URL) {
        let (app, dir) = try makeApp(
            self, compare: false, colors: colors,
            tabs: [Session.Tab(kind: "sae", settings: try JSONValue(encoding: settings))])
        settle(app)
        return (app, dir)
    }

    func filter(_ app: App, _ text: String) {
        app.type("/")
        app.type(text)
        app.handle(.enter)
    }

    /// The frame without the status line and the training time, which differ between runs.
    func screen(_ app: App) -> String {
        let lines = app.frame().text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.joined(separator: "\n").replacingOccurrences(of: #"in \d+\.\d s"#, with: "in … s", options: .regularExpression)
    }

    func export(_ app: App) throws -> Table { try XCTUnwrap(app.currentView?.exportTable()) }

    func column(_ table: Table, _ name: String) -> [Table.Value] {
        let i = table.header.firstIndex(of: name)!
        return table.rows.map { $0[i] }
    }

    func numbers(_ table: Table, _ name: String) -> [Double] { column(table, name).map { $0.number ?? .nan } }

    /// The value of `figure` in the metrics export.
    func figure(_ table: Table, _ figure: String) -> Double? {
        table.rows.first { $0[1] == .text(figure) }?[2].number
    }

    /// "12.3 %" as the view writes it (a no-break space keeps it on one line).
    func percent(_ f: Double, digits: Int = 1) -> String { String(format: "%.\(digits)f\u{a0}%%", 100 * f) }

    /// The value a figure list shows beside `label`: the rest of its row, up to a gap of two
    /// spaces, the next figure (" · ") or a panel's edge.
    func shown(_ grid: Grid, _ label: String) -> String? {
        // A figure's label follows the previous figure's " · " or its section's ": ", or starts a
        // line of the list; the first two are looked for first, being rare elsewhere on screen.
        let places = [" · ", ": ", "  ", "│ "].lazy.flatMap { prefix in
            (0..<grid.height).lazy.compactMap { y -> (x: Int, y: Int)? in
                let row = grid.text(row: y)
                guard let r = row.range(of: prefix + label + " ") else { return nil }
                return (row.unicodeScalars.distance(from: row.unicodeScalars.startIndex, to: r.lowerBound) + prefix.unicodeScalars.count, y)
            }
        }
        guard let at = places.first else { return nil }
        let rest = grid.text(row: at.y).unicodeScalars.dropFirst(at.x + label.unicodeScalars.count)
        let value = String(String.UnicodeScalarView(rest)).drop { $0 == " " }
        let end =
            [value.range(of: "  ")?.lowerBound, value.range(of: " · ")?.lowerBound, value.firstIndex(of: "│")]
            .compactMap { $0 }.min() ?? value.endIndex
        return String(value[..<end]).trimmingCharacters(in: .whitespaces)
    }

    // MARK: Tests

    func testTrainsOnModelAsFirstHiddenLayerAndShowsItsMetrics() throws {
        let ref = try Self.reference(Self.settings())
        let (app, _) = try saeApp()
        XCTAssertEqual(app.tabTitles, ["SAE"])
        let text = app.frame().text
        XCTAssertTrue(text.contains("demo:mlp-1 · relu1 [256] · topk k 16 · d_sae 1024 (4×) · 60 steps × 128"), text)
        XCTAssertTrue(text.contains("trained 60 steps in"), text)
        let grid = app.frame()
        XCTAssertEqual(shown(grid, "L0 (mean active latents)"), NumberFormat.readable(ref.l0), text)
        XCTAssertEqual(shown(grid, "FVU"), NumberFormat.readable(ref.fvu))
        let dead = Double(ref.firing.filter { $0 == 0 }.count) / 1024
        XCTAssertEqual(shown(grid, "dead latents"), NumberFormat.percent(dead, digits: 2))
        XCTAssertTrue(text.contains("dark matter: not measured"), "449 samples cannot fit 257 unknowns per half")
        for title in [
            "Training: loss, L0 and FVU per step", "Latent density and active latents per sample", "Metrics and dark matter",
            "Latents: 1024 of 1024", "top-activating samples", "decoder direction (256 units)", "effect on each class logit"
        ] {
            XCTAssertTrue(text.contains(title), title)
        }
        // The metrics panel's export.
        press(app, "f")
        let metrics = try export(app)
        XCTAssertEqual(metrics.header, ["section", "figure", "value"])
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "l0")), ref.l0, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "fvu")), ref.fvu, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "dead_fraction")), dead, accuracy: 1e-12)
        XCTAssertNil(figure(metrics, "error_r2"), "no dark matter on 449 samples of 256 features")
        XCTAssertTrue(
            metrics.rows.contains {
                $0 == [
                    "caveat", "dark_matter.not_measured",
                    "dark matter: not measured: it needs at least 516 samples for d_in = 256 (more than the unknowns in each half); there are 449"
                ]
            })
        // Loss recovered: cross-entropy of the rest of the network (fc2, relu2, fc3) on x, x̂ and 0.
        let labels = try XCTUnwrap(ref.data.labels)
        func loss(_ a: Matrix<Float>) -> Double { crossEntropy(logits: ref.network.forward(from: 2, a), labels: labels).loss }
        let (clean, spliced, zero) = (loss(ref.x), loss(ref.reconstruction), loss(Matrix(rows: ref.x.rows, cols: ref.x.cols)))
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "loss_recovered")), (zero - spliced) / (zero - clean), accuracy: 1e-6)
    }

    /// The curve grows step by step while training runs; Esc stops it and the SAE of that step
    /// is analysed like a finished one.
    func testLiveCurveAndEscKeepsTheSAESoFar() throws {
        // The training is far too long to wait for: the test watches it run, then stops it.
        let (app, _) = try makeApp(
            self, compare: false, tabs: [Session.Tab(kind: "sae", settings: try JSONValue(encoding: Self.settings(steps: 51_200)))],
            finishingJobs: false)
        let pattern = try NSRegularExpression(pattern: "training: step (\\d+) / 51200")
        var seen: [Int] = []
        let deadline = Date().addingTimeInterval(300)
        while (seen.last ?? 0) < 8, Date() < deadline {
            app.update()
            let text = app.frame().text
            if let m = pattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), let r = Range(m.range(at: 1), in: text) {
                let step = Int(text[r])!
                if step != seen.last { seen.append(step) }
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        XCTAssertGreaterThanOrEqual(seen.count, 2, "the state line followed the steps: \(seen)")
        XCTAssertEqual(seen, seen.sorted())
        app.handle(.escape)
        settle(app)
        let text = app.frame().text
        let stopped = try XCTUnwrap(
            try NSRegularExpression(pattern: "stopped at step (\\d+) of 51200 \\(Esc\\)")
                .firstMatch(in: text, range: NSRange(text.startIndex..., in: text)), text)
        let step = Int(text[Range(stopped.range(at: 1), in: text)!])!
        XCTAssertGreaterThanOrEqual(step, 8)
        // The curve holds every step taken, as a session of the same settings takes them.
        let ref = try Self.reference(Self.settings(steps: 51_200), steps: step)
        let curve = try export(app)
        XCTAssertEqual(curve.header, ["step", "loss", "mse", "sparsity", "auxiliary", "l0", "fvu", "dead_fraction", "learning_rate"])
        XCTAssertEqual(numbers(curve, "step"), (1...step).map(Double.init))
        XCTAssertEqual(numbers(curve, "fvu"), ref.curve.map(\.loss.fvu))
        XCTAssertEqual(numbers(curve, "l0"), ref.curve.map(\.loss.l0))
        XCTAssertEqual(numbers(curve, "loss"), ref.curve.map(\.loss.total))
        // That SAE is what was analysed.
        press(app, "f")
        let metrics = try export(app)
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "fvu")), ref.fvu, accuracy: 1e-9)
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "l0")), ref.l0, accuracy: 1e-9)
    }

    func testLatentTableSelectedLatentAndTheirExports() throws {
        let ref = try Self.reference(Self.settings())
        let (app, _) = try saeApp()
        press(app, "fff")
        let table = try export(app)
        XCTAssertEqual(
            Array(table.header.prefix(6)), ["latent", "frequency", "mean_activation", "max_activation", "top_class", "top_class_effect"])
        XCTAssertEqual(table.header.count, 16, "and the effect on each of the 10 classes")
        XCTAssertEqual(table.rows.count, 1024)
        let frequency = ref.frequency
        let latents = numbers(table, "latent").map { Int($0) }
        XCTAssertEqual(Set(latents).count, 1024)
        // Most frequent first.
        XCTAssertEqual(latents.map { frequency[$0] }, frequency.sorted(by: >))
        for (row, j) in latents.enumerated() {
            XCTAssertEqual(table.rows[row][1].number!, frequency[j], accuracy: 1e-12)
            let values = ref.values(of: j).map(\.value)
            if values.isEmpty {
                XCTAssertEqual(table.rows[row][2], .missing)
                XCTAssertEqual(table.rows[row][3], .missing)
            } else {
                XCTAssertEqual(table.rows[row][2].number!, values.reduce(0, +) / Double(values.count), accuracy: 1e-6)
                XCTAssertEqual(table.rows[row][3].number!, values.max()!, accuracy: 1e-6)
            }
        }
        // The selected latent: the most frequent one.
        let j = latents[0]
        var text = app.frame().text
        XCTAssertTrue(text.contains("Latent \(j)"), text)
        XCTAssertTrue(text.contains("fires on \(percent(frequency[j], digits: 2)) of samples (\(ref.firing[j]))"), text)
        app.handle(.enter)
        XCTAssertTrue(app.frame().text.contains("Latent \(j)"))
        let detail = try export(app)
        XCTAssertEqual(detail.header, ["latent", "part", "rank", "index", "label", "value"])
        let top = detail.rows.filter { $0[1] == .text("top_sample") }
        let expected = ref.values(of: j).sorted { $0.value > $1.value || ($0.value == $1.value && $0.sample < $1.sample) }.prefix(12)
        XCTAssertEqual(top.map { Int($0[3].number!) }, expected.map(\.sample))
        for (row, e) in zip(top, expected) {
            XCTAssertEqual(row[5].number!, e.value, accuracy: 1e-6)
            XCTAssertEqual(row[4], .integer(ref.data.labels![e.sample]))
        }
        let effect = detail.rows.filter { $0[1] == .text("logit_effect") }.map { $0[5].number! }
        let handEffect = ref.effect(of: j)
        XCTAssertEqual(effect.count, 10)
        for c in 0..<10 { XCTAssertEqual(effect[c], handEffect[c], accuracy: 1e-4, "class \(c)") }
        let decoder = detail.rows.filter { $0[1] == .text("decoder") }.map { $0[5].number! }
        XCTAssertEqual(decoder, ref.sae.decoder.row(j).map(Double.init))
        let best = handEffect.indices.max { handEffect[$0] < handEffect[$1] }!
        XCTAssertEqual(table.rows[0][4], .integer(best))
        XCTAssertEqual(table.rows[0][5].number!, handEffect[best], accuracy: 1e-4)
        // The top samples are drawn as the data's images: the first one's pixels in its cells.
        let grid = app.frame()
        let caption = try XCTUnwrap(grid.find("#\(expected[0].sample) y\(ref.data.labels![expected[0].sample])"))
        let image = ImageWidget(pixels: ref.data.x.row(expected[0].sample).map(Double.init), shape: [1, 8, 8], range: (0, 1))
        // Under the heading: the image (4s rows at magnification s), its value, its caption.
        let heading = try XCTUnwrap(grid.find("top-activating samples"))
        let s = (caption.y - heading.y - 2) / 4
        XCTAssertGreaterThanOrEqual(s, 1)
        for (cx, cy) in [(0, 0), (3, 1), (6, 2), (7, 3)] {
            let cell = grid[caption.x + cx * s, heading.y + 1 + cy * s]
            XCTAssertEqual(cell.scalar, "▀")
            XCTAssertEqual(cell.style.foreground, image.color(row: 2 * cy, col: cx), "pixel \(cx), \(2 * cy)")
        }
        // j moves to the next latent, o sorts by the selected column (the index).
        press(app, "j")
        text = app.frame().text
        XCTAssertTrue(text.contains("Latent \(latents[1])"), text)
        press(app, "o")
        XCTAssertTrue(app.frame().text.contains("Latent 1\n") || app.frame().text.contains("Latent 1 "), "row 2 of the index order")
        press(app, "k")
        XCTAssertTrue(app.frame().text.contains("Latent 0"))
    }

    func testFilters() throws {
        let ref = try Self.reference(Self.settings())
        let (app, _) = try saeApp()
        press(app, "fff")
        let all = try export(app)
        let frequency = ref.frequency
        filter(app, "dead")
        let deadCount = frequency.filter { $0 == 0 }.count
        XCTAssertTrue(app.frame().text.contains("Latents: \(deadCount) of 1024 · filter dead"))
        XCTAssertEqual(try export(app).rows.count, deadCount)
        filter(app, "alive f>5%")
        let frequent = try export(app)
        XCTAssertEqual(frequent.rows.count, frequency.filter { $0 > 0.05 }.count)
        XCTAssertTrue(numbers(frequent, "frequency").allSatisfy { $0 > 0.05 })
        filter(app, "f<=0.01 alive")
        XCTAssertEqual(try export(app).rows.count, frequency.filter { $0 > 0 && $0 <= 0.01 }.count)
        filter(app, "class=3")
        let threes = try export(app)
        XCTAssertEqual(threes.rows.count, all.rows.filter { $0[4] == .integer(3) }.count)
        XCTAssertGreaterThan(threes.rows.count, 0)
        filter(app, "#17")
        XCTAssertEqual(numbers(try export(app), "latent"), [17])
        XCTAssertTrue(app.frame().text.contains("Latent 17"))
        filter(app, "dense")
        XCTAssertEqual(try export(app).rows.count, frequency.filter { $0 > 0.1 }.count)
        filter(app, "bogus")
        XCTAssertTrue(app.frame().text.contains("filter 'bogus' is not understood; use dead, alive, dense"))
        XCTAssertEqual(try export(app).rows.count, 1024, "a filter not understood keeps every latent")
        filter(app, "")
        XCTAssertTrue(app.frame().text.contains("Latents: 1024 of 1024 (/ filters)"))
    }

    /// On the input layer: the decoder direction is drawn as an 8×8 image on a diverging scale,
    /// and there are enough samples (132 for d_in = 64) for the dark matter.
    func testInputLayerDecoderImageAndDarkMatter() throws {
        let settings = Self.settings(layer: "input", expansion: 2, steps: 60)
        let ref = try Self.reference(settings)
        let (app, _) = try saeApp(settings)
        let grid = app.frame()
        XCTAssertNotNil(grid.find("demo:mlp-1 · input [64] · topk k 16 · d_sae 128 (2×)"))
        // Dark matter as the library fits it on this SAE's error (the fit itself is tested in
        // InterpretTests); the corrected FVU is the FVU times the nonlinear share by definition.
        let dm = try DarkMatter.analyse(x: ref.x, reconstruction: ref.reconstruction, seed: 0).report
        XCTAssertEqual(shown(grid, "R² of e"), NumberFormat.readable(dm.errorR2), grid.text)
        XCTAssertEqual(shown(grid, "R² of ‖e‖²"), NumberFormat.readable(dm.errorNormR2))
        XCTAssertEqual(shown(grid, "FVU (tested half)"), NumberFormat.readable(dm.fvu))
        XCTAssertEqual(shown(grid, "FVU corrected"), NumberFormat.readable(dm.correctedFVU))
        XCTAssertEqual(dm.correctedFVU, dm.fvu * dm.nonlinearFraction, accuracy: 1e-12)
        press(app, "f")
        let metrics = try export(app)
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "error_r2")), dm.errorR2, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(figure(metrics, "test_samples")), 225)
        // The selected (most frequent) latent's decoder row as the input image.
        let text = grid.text
        let shown = try XCTUnwrap(
            try NSRegularExpression(pattern: "Latent (\\d+)").firstMatch(in: text, range: NSRange(text.startIndex..., in: text)))
        let j = Int(text[Range(shown.range(at: 1), in: text)!])!
        XCTAssertEqual(ref.frequency[j], ref.frequency.max())
        let title = try XCTUnwrap(grid.find("decoder direction (an image)"))
        let d = ref.sae.decoder.row(j).map(Double.init)
        let scale = ColorScale.diverging(limit: d.map(abs).max()!)
        // The magnification: the legend sits under the image.
        var legend = title.y + 1
        while grid[title.x, legend].scalar == "▀" { legend += 1 }
        let s = 2 * (legend - title.y - 1) / 8
        XCTAssertGreaterThanOrEqual(s, 1)
        for (cx, cy) in [(0, 0), (2 * s, 1), (5 * s, 2 * s), (7 * s, 3)] {
            let cell = grid[title.x + cx, title.y + 1 + cy]
            XCTAssertEqual(cell.style.foreground, scale.color(d[((2 * cy) / s) * 8 + cx / s]), "cell \(cx), \(cy)")
            XCTAssertEqual(cell.style.background, scale.color(d[((2 * cy + 1) / s) * 8 + cx / s]), "cell \(cx), \(cy)")
        }
    }

    func testKeysChangeTheSettingsAndTTrainsThem() throws {
        let (app, _) = try saeApp()
        func header() -> String { app.frame().text.split(separator: "\n").dropFirst().first.map(String.init) ?? "" }
        XCTAssertTrue(header().contains("relu1 [256] · topk k 16 · d_sae 1024 (4×) · 60 steps × 128"))
        press(app, "a")
        XCTAssertTrue(header().contains("batchtopk k 16"))
        XCTAssertTrue(app.frame().text.contains("shown: topk k 16 · d_sae 1024 (4×) · 60 steps × 128; t trains the settings above"))
        press(app, "aaa")
        XCTAssertTrue(header().contains("matching_pursuit k 16"))
        press(app, "-")
        XCTAssertTrue(header().contains("matching_pursuit k 12"))
        press(app, "-+=")
        XCTAssertTrue(header().contains("k 16"), "- then + and = step along 1 2 3 4 6 8 12 16 24 …")
        press(app, "--")
        XCTAssertTrue(header().contains("k 8"))
        press(app, "A")
        XCTAssertTrue(header().contains("gated λ 5"))
        press(app, "+")
        XCTAssertTrue(header().contains("gated λ 10"))
        press(app, "A")
        XCTAssertTrue(header().contains("jumprelu λ 1"))
        press(app, "+")
        XCTAssertTrue(header().contains("jumprelu λ 2"))
        press(app, "AAA")
        XCTAssertTrue(header().contains("standard λ 3"), "a new architecture starts at its own λ")
        press(app, "-")
        XCTAssertTrue(header().contains("standard λ 2"))
        press(app, "dd")
        XCTAssertTrue(header().contains("d_sae 4096 (16×)"))
        press(app, "DDD")
        XCTAssertTrue(header().contains("d_sae 512 (2×)"))
        press(app, ">")
        XCTAssertTrue(header().contains("120 steps"))
        press(app, "<<")
        XCTAssertTrue(header().contains("30 steps"))
        press(app, "L")
        XCTAssertTrue(header().contains("demo:mlp-1 · fc2 [256]"))
        press(app, "LLL")
        XCTAssertTrue(header().contains("demo:mlp-1 · input [64]"), "the layers cycle through the input")
        press(app, "m")
        XCTAssertTrue(header().contains("demo:mlp-2 · relu1 [256]"), header())
        XCTAssertTrue(app.frame().text.contains("shown: topk k 16 · d_sae 1024 (4×) · 60 steps × 128 on demo:mlp-1 relu1"))
        press(app, "M")
        XCTAssertTrue(header().contains("demo:mlp-1 · relu1 [256]"), header())
        // t trains an MP-SAE with k = 8 on 512 latents for 30 steps: its L0 distribution.
        press(app, "aaaaa")
        XCTAssertTrue(header().contains("matching_pursuit k 8 · d_sae 512 (2×) · 30 steps"))
        press(app, "t")
        let text = app.frame().text
        XCTAssertFalse(text.contains("shown:"), text)
        XCTAssertTrue(text.contains("trained 30 steps"))
        XCTAssertTrue(text.contains("L0 per sample (≤ 8 pursuit steps)"), text)
        let ref = try Self.reference(Self.settings(architecture: .matchingPursuit, k: 8, expansion: 2, steps: 30))
        press(app, "ff")
        let density = try export(app)
        XCTAssertEqual(density.header, ["histogram", "bin", "low", "high", "count"])
        let l0Rows = density.rows.filter { $0[0] == .text("l0") }
        var histogram = [Int](repeating: 0, count: l0Rows.count)
        for n in ref.codes.l0 { histogram[n] += 1 }
        XCTAssertEqual(l0Rows.map { Int($0[4].number!) }, histogram)
        XCTAssertLessThanOrEqual(l0Rows.count - 1, 8, "at most k distinct atoms")
        let densityRows = density.rows.filter { $0[0] == .text("density") }
        XCTAssertEqual(densityRows[0][4], .integer(ref.firing.filter { $0 == 0 }.count), "dead latents apart")
        XCTAssertEqual(densityRows.dropFirst().map { Int($0[4].number!) }.reduce(0, +), ref.firing.filter { $0 > 0 }.count)
        // f and F move the focus; Enter and Esc open and close the latent.
        press(app, "fff")
        XCTAssertEqual(try export(app).header.first, "step", "after the last panel, the first")
        press(app, "F")
        XCTAssertEqual(try export(app).header, ["latent", "part", "rank", "index", "label", "value"])
        app.handle(.escape)
        XCTAssertEqual(try export(app).header.first, "latent")
        XCTAssertEqual(try export(app).header[1], "frequency")
    }

    /// Token ids are no representation: on a model that reads them the view opens on the
    /// embedding (its first layer offered), and `L` never offers the input.
    func testTokenIdsAreNotOffered() throws {
        let json =
            #"{"format": "loupe.arch/1", "name": "ids", "input": {"shape": [5]}, "layers": [{"name": "embed", "kind": "embedding", "num_embeddings": 12, "out": 4, "weight": "e"}, {"name": "flat", "kind": "flatten"}, {"name": "fc", "kind": "linear", "out": 3, "weight": "w"}]}"#
        let app = try makeUserApp(
            self, architecture: json, file: "ids.safetensors", data: Tensor((0..<200).map { Float($0 % 12) }, shape: [40, 5]))
        press(app, "6")
        XCTAssertTrue(app.frame(160, 40).text.contains("ids.safetensors · embed [20]"), app.frame(160, 40).text)
        for _ in 0..<3 {
            press(app, "L")
            XCTAssertFalse(app.frame(160, 40).text.contains("ids.safetensors · input"), app.frame(160, 40).text)
        }
    }

    func testExportWritesTheFocusedPanelAsCSV() throws {
        let ref = try Self.reference(Self.settings())
        let (app, dir) = try saeApp()
        app.run(command: "export curve.csv")
        let lines = try String(contentsOf: dir.appendingPathComponent("curve.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.first, "step,loss,mse,sparsity,auxiliary,l0,fvu,dead_fraction,learning_rate")
        XCTAssertEqual(lines.count, 61)
        let last = lines[60].split(separator: ",").map { Double($0)! }
        XCTAssertEqual(last[0], 60)
        XCTAssertEqual(last[6], ref.curve[59].loss.fvu)
        XCTAssertEqual(last[8], ref.curve[59].learningRate)
    }

    func testSmallTerminalsShowTheFocusedPanel() throws {
        let (app, _) = try saeApp()
        var text = app.frame(80, 24).text
        XCTAssertTrue(text.contains(" training   metrics   density   latents   latent "), text)
        XCTAssertTrue(text.contains("Training: loss, L0 and FVU"))
        XCTAssertFalse(text.contains("Latents: 1024"), "one panel at a time")
        for (key, title) in [
            ("f", "Metrics and dark matter"), ("f", "log10 frequency"), ("f", "Latents: 1024 of 1024"), ("f", "top-activating samples")
        ] {
            press(app, key)
            text = app.frame(80, 24).text
            XCTAssertTrue(text.contains(title), "\(title):\n\(text)")
        }
        // At 120×40 the latent panel is alone, the latents panel shows the browser.
        XCTAssertFalse(app.frame(120, 40).text.contains("Latents: 1024"))
        press(app, "F")
        XCTAssertTrue(app.frame(120, 40).text.contains("Latents: 1024"))
        XCTAssertTrue(app.frame(120, 40).text.contains("top-activating samples"))
        for (w, h) in [(60, 20), (40, 12), (30, 8)] {
            XCTAssertTrue(app.frame(w, h).text.contains("SAE"), "\(w)×\(h)")
        }
        // Without colour, images and heatmaps fall back to ramp characters.
        let (plain, _) = try saeApp(colors: .monochrome)
        XCTAssertTrue(plain.frame().text.contains("top-activating samples"))
    }

    func testSessionRestoresTheSettingsAndRetrains() throws {
        let (app, dir) = try saeApp(Self.settings(expansion: 2, steps: 40))
        press(app, "a-")
        press(app, "t")
        press(app, "fff")
        filter(app, "alive")
        press(app, "lo")  // sort by frequency, ascending
        let before = screen(app)
        let table = try export(app)
        app.save(as: "sae")
        let session = try SessionStore(directory: dir.appendingPathComponent("Sessions")).load("sae")
        XCTAssertEqual(session.tabs.map(\.kind), ["sae"])
        let saved = try session.tabs[0].settings.decode(SAEView.Settings.self)
        XCTAssertEqual(saved.architecture, .batchtopk)
        XCTAssertEqual(saved.k, 12)
        XCTAssertEqual(saved.filter, "alive")
        XCTAssertEqual(saved.panel, .latents)
        XCTAssertEqual(saved.table.sortColumn, 1)
        XCTAssertFalse(saved.table.descending)
        let (restored, _) = try makeApp(self, compare: false, tabs: session.tabs)
        settle(restored)
        XCTAssertEqual(screen(restored), before, "retrained with the same seed: the same SAE, the same screen")
        XCTAssertEqual(try export(restored), table)
    }
}
