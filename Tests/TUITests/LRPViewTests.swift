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

/// A workbench on demo:mlp-1 with only the LRP view open; the view starts on demo:cnn.
func makeLRPApp(_ test: XCTestCase, settings: JSONValue = .null, colors: ColorMode = .truecolor) throws -> (App, URL) {
    try makeApp(test, compare: false, colors: colors, tabs: [Session.Tab(kind: "lrp", settings: settings)])
}

/// The number written after `label` on the row where `label` first appears.
func number(after label: String, in grid: Grid) -> Double? {
    guard let at = grid.find(label) else { return nil }
    let rest = String(String.UnicodeScalarView(grid.text(row: at.y).unicodeScalars.dropFirst(at.x + label.unicodeScalars.count)))
    return rest.split(separator: " ").first.flatMap { Double($0) }
}

/// A number on screen (four significant digits) is `value`.
func assertShown(_ shown: Double?, _ value: Double, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    guard let shown else { return XCTFail("not on screen: \(message)", file: file, line: line) }
    XCTAssertEqual(shown, value, accuracy: 6e-4 * abs(value) + 1e-12, message, file: file, line: line)
}

/// The main area as text (sidebar hidden, tab bar and status line left out), to compare views.
func mainArea(_ app: App) -> String {
    app.handle(.char("b"))
    defer { app.handle(.char("b")) }
    return app.frame().text.split(separator: "\n", omittingEmptySubsequences: false).dropFirst().dropLast().joined(separator: "\n")
}

/// The magnification of an 8 × 8 map drawn in half blocks from `origin`: its width in ▀ cells / 8.
func magnification(_ grid: Grid, at origin: (x: Int, y: Int)) -> Int {
    var width = 0
    while origin.x + width < grid.width, grid[origin.x + width, origin.y].scalar == "▀" { width += 1 }
    XCTAssertEqual(width % 8, 0, "an 8-pixel-wide map")
    return width / 8
}

/// Checks cells (x, y) of an 8 × 8 map of `values` drawn in half blocks from `origin` at
/// magnification `m`: the foreground is the colour of the pixel in the cell's upper half, the
/// background that of its lower half, each channel within `tolerance`.
func assertMapCells(
    _ grid: Grid, at origin: (x: Int, y: Int), magnification m: Int, values: [Double], scale: ColorScale,
    cells: [(Int, Int)], tolerance: Int = 0, file: StaticString = #filePath, line: UInt = #line
) {
    func close(_ a: Color?, _ b: Color) -> Bool {
        guard case .rgb(let r1, let g1, let b1)? = a, case .rgb(let r2, let g2, let b2) = b else { return false }
        return [(r1, r2), (g1, g2), (b1, b2)].allSatisfy { abs(Int($0) - Int($1)) <= tolerance }
    }
    for (x, y) in cells {
        let cell = grid[origin.x + x, origin.y + y]
        let (top, bottom, col) = (2 * y / m, (2 * y + 1) / m, x / m)
        XCTAssertTrue(close(cell.style.foreground, scale.color(values[top * 8 + col])), "pixel (\(top), \(col))", file: file, line: line)
        if bottom < 8 {
            XCTAssertTrue(
                close(cell.style.background, scale.color(values[bottom * 8 + col])), "pixel (\(bottom), \(col))", file: file, line: line)
        }
    }
}

/// Where `needle` starts on the row where `anchor` first appears (the title of a panel beside another).
func find(_ needle: String, besides anchor: String, in grid: Grid) -> (x: Int, y: Int)? {
    guard let at = grid.find(anchor) else { return nil }
    let row = Array(grid.text(row: at.y).unicodeScalars), n = Array(needle.unicodeScalars)
    guard let x = (at.x..<(row.count - n.count + 1)).first(where: { Array(row[$0..<($0 + n.count)]) == n }) else { return nil }
    return (x, at.y)
}

final class LRPViewTests: XCTestCase {
    let data = try! DataSource.load("builtin:digits:test")

    /// The explanation as the library computes it for one sample, independently of the view.
    func explain(
        _ composite: LRPComposite, sample: Int, target: AttributionTarget = .predicted,
        biases: Bool = true, model: String = "cnn"
    ) throws -> LRPBatch<Float> {
        let network = try DemoModels.load(model)
        let lrp = try LRP(network: network, configuration: LRPConfiguration(composite: composite, biasAbsorbsRelevance: biases))
        return try lrp.explain(data.x.rows([sample]), target: target, labels: data.labels.map { [$0[sample]] })
    }

    /// The input and its relevance side by side: each half block holds two relevance values on
    /// the diverging scale of ±max |R|, magnified like the image; the readout gives f_c(x),
    /// Σ R and their difference.
    func testHeatmapAndConservationReadout() throws {
        let (app, _) = try makeLRPApp(self)
        app.handle(.char("b"))  // no sidebar, whose layer names would be found first
        let grid = app.frame()
        let text = grid.text
        let cnn = try DemoModels.load("cnn")
        let scores = cnn.scores(data.x.rows([0]))
        let predicted = scores.rowArgmax()[0]
        XCTAssertTrue(text.contains("demo:cnn · sample 0 of 0…448 · label \(data.labels![0]) · predicted \(predicted)"), text)
        XCTAssertTrue(text.contains("composite epsilon-plus · target predicted → \(predicted) · biases absorb relevance"))

        let batch = try explain(.epsilonPlus, sample: 0)
        let relevance = batch.relevance.row(0).map(Double.init)
        let sum = relevance.reduce(0, +)
        let f = Double(scores[0, predicted])
        assertShown(number(after: "f_c(x)", in: grid), f)
        assertShown(number(after: "Σ R ", in: grid), sum)
        assertShown(number(after: "Σ R − f_c(x)", in: grid), sum - f)
        XCTAssertTrue(text.contains(String(format: "(ΣR − f)/|f|  %+.1f %%", 100 * (sum - f) / abs(f))))
        assertShown(number(after: "R⁺", in: grid), relevance.filter { $0 > 0 }.reduce(0, +))
        assertShown(number(after: "R⁻", in: grid), relevance.filter { $0 < 0 }.reduce(0, +))

        // The map: find its top-left cell under the title; its width is 8 × the magnification.
        let title = try XCTUnwrap(find("relevance", besides: "input ", in: grid))
        let m = magnification(grid, at: (title.x, title.y + 1))
        XCTAssertGreaterThan(m, 1, "magnified at 200×60")
        let scale = ColorScale.diverging(limit: relevance.map(abs).max()!)
        assertMapCells(
            grid, at: (title.x, title.y + 1), magnification: m, values: relevance, scale: scale,
            cells: [(0, 0), (3 * m, m), (5 * m + 1, 2 * m + 1), (7 * m, 4 * m - 1), (2 * m, 3 * m)])
        // The input beside it, drawn grey from black (0) to white (1) at the same magnification.
        let input = try XCTUnwrap(grid.find("input"))
        let pixel = 255 * Double(data.x[0, 2 * 8 + 4])
        XCTAssertEqual(grid[input.x + 4 * m, input.y + 1 + m].style.foreground, Color(pixel, pixel, pixel), "pixel (2, 4)")
        // The legend spans ±max |R|, and the layer table gives each layer's rule and Σ R.
        XCTAssertTrue(text.contains(NumberFormat.tick(-scale.high)))
        XCTAssertTrue(text.contains("relevance by layer"))
        for (layer, rule) in [("conv1", "zplus"), ("conv2", "zplus"), ("fc1", "epsilon:1e-06"), ("pool1", "to the winner")] {
            let row = try XCTUnwrap(grid.find(layer + " "), layer)
            XCTAssertTrue(grid.text(row: row.y).contains(rule), "\(layer): \(grid.text(row: row.y))")
        }
        let conv1 = try XCTUnwrap(grid.find("conv1 "))
        XCTAssertTrue(grid.text(row: conv1.y).contains(NumberFormat.readable(batch.layerTotals[0, 0])))
    }

    /// With LRP-0 and the biases out of the rules, relevance is conserved: Σ R = f_c(x) on the
    /// MLP. On the CNN it is not: conv1 units over blank patches fire on their bias alone, so
    /// with the bias left out their relevance has nowhere to go, and the layer table shows it
    /// lost at conv1.
    /// On the user's own data, which no demo model fits, a workspace without a CNN opens both
    /// attribution views on its own model (demo:cnn only on the built-in digits).
    func testOpensOnTheWorkspaceModelOnItsOwnData() throws {
        let json =
            #"{"format": "loupe.arch/1", "name": "six", "input": {"shape": [6]}, "layers": [{"name": "fc", "kind": "linear", "out": 3, "weight": "w", "bias": "b"}]}"#
        let app = try makeUserApp(
            self, architecture: json, file: "six.safetensors", data: Tensor([Float](repeating: 0.5, count: 12), shape: [2, 6]))
        for key in ["3", "4"] {
            press(app, key)
            let text = app.frame(160, 40).text
            XCTAssertTrue(text.contains("six.safetensors · sample 0"), text)
            XCTAssertFalse(text.contains("demo:cnn"), text)
        }
    }

    func testConservationWithLRP0AndNoBias() throws {
        let (app, _) = try makeLRPApp(self)
        // c steps through the five composites, then the single rules: lrp0 is the sixth.
        app.type("ccccca")
        var grid = app.frame()
        XCTAssertTrue(grid.text.contains("composite lrp0 · target predicted"), grid.text)
        XCTAssertTrue(grid.text.contains("biases off"))
        let cnn = try explain(.uniform(.zero), sample: 0, biases: false)
        assertShown(number(after: "Σ R − f_c(x)", in: grid), cnn.conservationErrors[0])
        let conv1 = try XCTUnwrap(grid.find("conv1 "))
        let row = grid.text(row: conv1.y).trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(row.hasSuffix(" " + NumberFormat.readable(cnn.layerTotals[0, 1] - cnn.layerTotals[0, 0])), row)
        XCTAssertEqual(
            cnn.layerTotals[0, 1] - cnn.layerTotals[0, 0], -cnn.conservationErrors[0], accuracy: 1e-4,
            "all of it is lost at conv1")

        stepPastTheLaterDemos(app, "m")  // demo:mlp-1
        grid = app.frame()
        XCTAssertTrue(grid.text.contains("demo:mlp-1 · sample 0 of"))
        let f = Double(try DemoModels.load("mlp-1").scores(data.x.rows([0])).storage.max()!)
        assertShown(number(after: "f_c(x)", in: grid), f)
        XCTAssertLessThan(abs(try XCTUnwrap(number(after: "Σ R − f_c(x)", in: grid))), 1e-5 * f)
    }

    /// Every key changes what is shown.
    func testKeys() throws {
        let (app, _) = try makeLRPApp(self)
        func sum() -> Double? { number(after: "Σ R ", in: app.frame()) }
        app.handle(.char("n"))
        XCTAssertTrue(app.frame().text.contains("sample 1 of 0…448"))
        app.handle(.char("N"))
        XCTAssertTrue(app.frame().text.contains("sample 11 of 0…448"))
        app.handle(.char("P"))
        app.handle(.char("p"))
        XCTAssertTrue(app.frame().text.contains("sample 0 of 0…448"))

        app.handle(.char("c"))
        XCTAssertTrue(app.frame().text.contains("composite epsilon-plus-flat"))
        assertShown(sum(), try explain(.epsilonPlusFlat, sample: 0).relevanceSums[0])
        app.handle(.char("C"))
        app.handle(.char("C"))
        XCTAssertTrue(app.frame().text.contains("composite flat ·"), "C goes back round to the last rule")
        app.handle(.char("c"))

        // Targets: predicted, label, then each class.
        app.handle(.char("t"))
        XCTAssertTrue(app.frame().text.contains("target label → \(data.labels![0])"))
        app.handle(.char("t"))
        var grid = app.frame()
        XCTAssertTrue(grid.text.contains("target class 0"))
        let scores = try DemoModels.load("cnn").scores(data.x.rows([0]))
        assertShown(number(after: "f_c(x)", in: grid), Double(scores[0, 0]))
        assertShown(sum(), try explain(.epsilonPlus, sample: 0, target: .classIndex(0)).relevanceSums[0])
        app.handle(.char("T"))
        app.handle(.char("T"))
        XCTAssertTrue(app.frame().text.contains("target predicted"))

        app.handle(.char("a"))
        XCTAssertTrue(app.frame().text.contains("biases off"))
        assertShown(sum(), try explain(.epsilonPlus, sample: 0, biases: false).relevanceSums[0])
        app.handle(.char("a"))

        // F: how many samples pixel flipping takes; v: which panel e exports.
        XCTAssertTrue(app.frame().text.contains("f runs it over the first 100 samples"))
        app.handle(.char("F"))
        XCTAssertTrue(app.frame().text.contains("f runs it over the first 200 samples"))
        app.handle(.char("F"))
        XCTAssertTrue(app.frame().text.contains("f runs it over the first 449 samples"))
        app.handle(.char("F"))
        XCTAssertTrue(app.frame().text.contains("f runs it over the first 50 samples"))
        XCTAssertEqual(app.currentView?.exportTable()?.header.last, "relevance")
        app.handle(.char("v"))
        XCTAssertEqual(app.currentView?.exportTable()?.header.last, "relevance_lost")

        // m: the next model (after demo:cnn and the later demos come the workspace's models).
        stepPastTheLaterDemos(app, "m")
        grid = app.frame()
        XCTAssertTrue(grid.text.contains("demo:mlp-1 · sample 0 of 0…448"), grid.text)
        XCTAssertTrue(grid.text.contains("fc1 "))
        XCTAssertNil(grid.find("conv1"))
        stepPastTheLaterDemos(app, "M")
        XCTAssertTrue(app.frame().text.contains("demo:cnn · sample 0 of 0…448"))
    }

    /// `f` runs pixel flipping in the background: the curves of the composite, gradient × input
    /// and random order with their areas, as `PixelFlippingResult` computes them; `e` exports
    /// the curves.
    func testPixelFlipping() throws {
        let (app, dir) = try makeLRPApp(self)
        app.type("FFF")  // 50 samples
        app.handle(.char("f"))
        app.finishJobs()
        let grid = app.frame()
        let cnn = try DemoModels.load("cnn")
        let options = PixelFlippingOptions(steps: 16, baseline: .value(0), randomOrders: 10, seed: 1, batchSize: 20)
        let result = try PixelFlippingResult.compute(
            network: cnn, data: data, samples: Array(0..<50),
            methods: [LRPConfiguration(composite: .epsilonPlus)], options: options)
        XCTAssertTrue(grid.text.contains("pixel flipping · first 50 samples · mean u·f(x)"), grid.text)
        for curve in result.curves {
            XCTAssertTrue(grid.text.contains("━ \(curve.method) AUC \(NumberFormat.readable(curve.auc))"), curve.method)
        }
        XCTAssertLessThan(result.curve("epsilon-plus")!.auc, result.curve("random")!.auc)
        // The plot's y axis spans the curves.
        let high = result.curves.flatMap(\.meanScore).max()!
        XCTAssertTrue(grid.text.contains(NumberFormat.tick(high)))

        app.handle(.char("v"))
        app.handle(.char("v"))
        app.handle(.char("e"))
        let path = String(try XCTUnwrap(app.statusMessage).split(separator: " ").last!)
        XCTAssertTrue(path.hasPrefix(dir.path))
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines[0], "model,composite,biases_absorb,target,samples,method,step,fraction_removed,mean_score,auc")
        XCTAssertEqual(lines.count, 1 + 3 * 17)
        let random = lines.filter { $0.contains(",random,") }.map { $0.split(separator: ",") }
        XCTAssertEqual(random.count, 17)
        XCTAssertEqual(random[16][6], "16")
        XCTAssertEqual(Double(random[16][7]), 1)
        XCTAssertEqual(Double(random[5][8])!, result.curve("random")!.meanScore[5], accuracy: 1e-12)
        XCTAssertEqual(Double(random[0][9])!, result.curve("random")!.auc, accuracy: 1e-12)

        // Another composite runs again; going back finds the first run kept.
        app.handle(.char("c"))
        XCTAssertTrue(app.isBusy || app.frame().text.contains("epsilon-plus-flat AUC"))
        app.finishJobs()
        XCTAssertTrue(app.frame().text.contains("━ epsilon-plus-flat AUC"))
        app.handle(.char("C"))
        XCTAssertFalse(app.isBusy, "kept, not run again")
        XCTAssertTrue(app.frame().text.contains("━ epsilon-plus AUC \(NumberFormat.readable(result.curve("epsilon-plus")!.auc))"))
        app.handle(.char("f"))
        XCTAssertTrue(app.frame().text.contains("pixel flipping off"))
    }

    /// Esc cancels pixel flipping; the curves of the batches done stay, and switching flipping
    /// off and on runs it again.
    func testEscCancelsPixelFlipping() throws {
        let (app, _) = try makeLRPApp(self)
        app.type("FFf")  // every sample: long enough to catch running
        let deadline = Date().addingTimeInterval(30)
        while app.jobs.status == nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.001) }
        XCTAssertTrue(app.frame(120, 40).text.contains("pixel flipping: epsilon-plus"), "the status line names the job")
        app.handle(.escape)
        app.finishJobs()
        let text = app.frame().text
        XCTAssertTrue(text.contains("pixel flipping · first 449 samples · cancelled at"), text)
        app.type("ff")
        XCTAssertTrue(app.frame().text.contains("running"))
        app.finishJobs()
        XCTAssertTrue(app.frame().text.contains("━ random AUC"))
        XCTAssertFalse(app.frame().text.contains("cancelled"))
    }

    /// `e` on the map: one row per input, its position, value and relevance.
    func testExportMapAndLayers() throws {
        let (app, dir) = try makeLRPApp(self)
        app.handle(.char("n"))
        app.handle(.char("e"))
        let message = try XCTUnwrap(app.statusMessage)
        XCTAssertTrue(message.hasPrefix("exported 64 rows × 13 columns to \(dir.path)/loupe-lrp-"), message)
        let lines = try String(contentsOfFile: String(message.split(separator: " ").last!), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines[0], "model,composite,biases_absorb,target,sample,label,target_class,input,channel,row,col,value,relevance")
        let batch = try explain(.epsilonPlus, sample: 1)
        let row = lines[1 + 19].split(separator: ",")
        XCTAssertEqual(
            Array(row[0..<8]),
            [
                "demo:cnn", "epsilon-plus", "1", "predicted", "1", "\(data.labels![1])",
                "\(batch.classes[0]!)", "19"
            ])
        XCTAssertEqual(Array(row[8..<11]), ["0", "2", "3"])
        XCTAssertEqual(Double(row[11]), Double(data.x[1, 19]))
        XCTAssertEqual(Double(row[12]), Double(batch.relevance[0, 19]))

        app.handle(.char("v"))
        let layers = try XCTUnwrap(app.currentView?.exportTable())
        XCTAssertEqual(
            layers.header,
            [
                "model", "composite", "biases_absorb", "target", "sample", "label", "target_class",
                "layer", "kind", "rule", "relevance_in", "relevance_lost"
            ])
        let cnn = try DemoModels.load("cnn")
        XCTAssertEqual(layers.rows.count, cnn.layers.count + 1)
        XCTAssertEqual(layers.rows[0][7], .text("conv1"))
        XCTAssertEqual(layers.rows[0][10], .number(batch.layerTotals[0, 0]))
        XCTAssertEqual(layers.rows.last?[10], .number(batch.explained[0]))
        app.handle(.char("v"))
        XCTAssertNil(app.currentView?.exportTable(), "no flipping curves while flipping is off")
    }

    /// A session restores the view as it was: model, sample, composite, target, bias switch,
    /// flipping, focus.
    func testSessionRoundTrip() throws {
        let (app, dir) = try makeLRPApp(self)
        app.type("nnnccttaFv")
        app.handle(.char("s"))
        app.handle(.control("u"))
        app.type("lrp")
        app.handle(.enter)
        let session = try SessionStore(directory: dir.appendingPathComponent("Sessions")).load("lrp")
        XCTAssertEqual(session.tabs.map(\.kind), ["lrp"])
        let saved = try session.tabs[0].settings.decode(LRPView.Settings.self)
        var expected = LRPView.Settings()
        expected.model = "demo:cnn"
        expected.sample = 3
        expected.composite = .epsilonGammaBox
        expected.target = .classIndex(0)
        expected.biasAbsorbsRelevance = false
        expected.flipSamples = 200
        expected.focus = .layers
        XCTAssertEqual(saved, expected)
        let (restored, _) = try makeApp(self, compare: false, tabs: session.tabs)
        XCTAssertEqual((restored.currentView as? LRPView)?.settings, expected)
        XCTAssertEqual(mainArea(restored), mainArea(app))
    }

    /// Every size draws without overlap errors or crashes; 80×24 keeps the essentials.
    func testSizes() throws {
        let (app, _) = try makeLRPApp(self)
        app.handle(.char("f"))
        app.finishJobs()
        for (w, h) in [(200, 60), (120, 40), (80, 24), (60, 20), (40, 12), (30, 8), (1, 1)] {
            let text = app.frame(w, h).text
            if w >= 80 {
                for needle in [
                    "demo:cnn · sample 0 of 0…448", "composite epsilon-plus", "relevance", "f_c(x)", "Σ R − f_c(x)",
                    "pixel flipping · first 100", "AUC"
                ] {
                    XCTAssertTrue(text.contains(needle), "\(w)×\(h): \(needle)")
                }
            }
        }
    }

    /// Without colour the map is drawn in ramp characters, zero on '+'.
    func testMonochrome() throws {
        let (app, _) = try makeLRPApp(self, colors: .monochrome)
        let grid = app.frame()
        let title = try XCTUnwrap(find("relevance", besides: "input ", in: grid))
        let ramp = Set(ColorScale.ramp)
        let relevance = try explain(.epsilonPlus, sample: 0).relevance.row(0).map(Double.init)
        let scale = ColorScale.diverging(limit: relevance.map(abs).max()!)
        // The legend starts with the low end of the scale right under the map, 8m rows down.
        func legend(_ m: Int) -> Bool {
            String(String.UnicodeScalarView(grid.text(row: title.y + 1 + 8 * m).unicodeScalars.dropFirst(title.x)))
                .hasPrefix(NumberFormat.tick(scale.low) + " ")
        }
        let m = try XCTUnwrap((1...8).first(where: legend))
        XCTAssertTrue(ramp.contains(grid[title.x, title.y + 1].scalar))
        for (r, c) in [(0, 0), (3, 4), (7, 7), (5, 2)] {
            XCTAssertEqual(grid[title.x + c * m, title.y + 1 + r * m].scalar, scale.character(relevance[r * 8 + c]))
        }
    }
}
