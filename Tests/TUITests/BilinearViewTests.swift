import Figures
import Foundation
import LinAlg
import Networks
import TUI
import TestSupport
import Workbench
import XCTest

/// The bilinear view on demo:bilinear (embedding E, bilinear L, R, readout U, no biases), checked
/// against the class forms built here from the weights: Q_c = ½(EᵀLᵀ diag(U_c) R E + its transpose).
final class BilinearViewTests: XCTestCase {
    // MARK: Reference

    struct Reference {
        let network: Network<Float>
        let data: Dataset
        /// Per class: eigenvalues (largest first) and unit eigenvectors (rows), the largest |component| positive.
        let values: [[Double]]
        let vectors: [[[Double]]]
        let traces: [Double]
        let frobenius: [Double]
    }

    static var cached: Reference?

    func reference() throws -> Reference {
        if let r = Self.cached { return r }
        let net = try DemoModels.load("bilinear")
        let double = net.converted(to: Double.self)
        guard case .linear(let embed) = double.layers[0].operation, case .bilinear(let b) = double.layers[1].operation,
            case .linear(let head) = double.layers[2].operation
        else { throw WorkbenchError("demo:bilinear is not embed → bilinear → head") }
        XCTAssertNil(embed.bias); XCTAssertNil(b.leftBias); XCTAssertNil(b.rightBias); XCTAssertNil(head.bias)
        let (n, hidden, d) = (embed.weight.cols, b.left.rows, embed.weight.rows)
        // L E and R E by plain loops.
        func fold(_ w: Matrix<Double>) -> [[Double]] {
            (0..<hidden).map { a in (0..<n).map { i in (0..<d).reduce(0.0) { $0 + w[a, $1] * embed.weight[$1, i] } } }
        }
        let (l, r) = (fold(b.left), fold(b.right))
        var values: [[Double]] = [], vectors: [[[Double]]] = [], traces: [Double] = [], frobenius: [Double] = []
        for c in 0..<head.weight.rows {
            var q = Matrix<Double>(rows: n, cols: n)
            for i in 0..<n {
                for j in 0..<n {
                    var s = 0.0
                    for a in 0..<hidden { s += head.weight[c, a] * (l[a][i] * r[a][j] + l[a][j] * r[a][i]) }
                    q[i, j] = s / 2
                }
            }
            traces.append((0..<n).reduce(0.0) { $0 + q[$1, $1] })
            frobenius.append(q.storage.map { $0 * $0 }.reduce(0, +))
            let eigen = try SymmetricEigen(q)
            let order = (0..<n).sorted { eigen.values[$0] > eigen.values[$1] }
            values.append(order.map { eigen.values[$0] })
            vectors.append(
                order.map { k in
                    let v = eigen.vector(k)
                    let peak = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
                    return v[peak] < 0 ? v.map { -$0 } : v
                })
        }
        let r0 = Reference(
            network: net, data: try DataSource.load("builtin:digits:test"), values: values, vectors: vectors,
            traces: traces, frobenius: frobenius)
        Self.cached = r0
        return r0
    }

    // MARK: Support

    /// A workbench with only the bilinear tab, its jobs (model, decomposition, truncation) done.
    func bilinearApp(settings: JSONValue = .null, colors: ColorMode = .truecolor) throws -> App {
        let (app, _) = try makeApp(self, compare: false, colors: colors, tabs: [Session.Tab(kind: "bilinear", settings: settings)])
        settle(app)
        return app
    }

    func export(_ app: App) throws -> Table { try XCTUnwrap(app.currentView?.exportTable()) }

    func numbers(_ table: Table, _ column: String) -> [Double] {
        let i = table.header.firstIndex(of: column)!
        return table.rows.map { $0[i].number ?? .nan }
    }

    // MARK: Tests

    func testOpensOnTheDemoBilinearModelWithItsSpectrum() throws {
        let ref = try reference()
        let app = try bilinearApp()
        let text = app.frame().text
        XCTAssertEqual(app.tabTitles, ["Bilinear"])
        XCTAssertTrue(text.contains("demo:bilinear · layer bilinear · forms in input [1, 8, 8]"), text)
        let λ = ref.values[0]
        XCTAssertTrue(
            text.contains(
                "form 0: 64 eigenvalues, \(λ.filter { $0 > 0 }.count) > 0, \(λ.filter { $0 < 0 }.count) < 0"
                    + " · λ from \(NumberFormat.readable(λ[0])) to \(NumberFormat.readable(λ[63]))"), text)
        XCTAssertTrue(text.contains("+ end λ1 = \(NumberFormat.readable(λ[0])) · − end λ64 = \(NumberFormat.readable(λ[63]))"))
        for panel in [
            "Spectrum of 0", "Truncation on builtin:digits:test", "Top eigenvectors of 0", "Sample 0 of 0…448: contributions to 0"
        ] {
            XCTAssertTrue(text.contains(panel), panel)
        }
        // The spectrum panel is focused: e exports every eigenvalue.
        let table = try export(app)
        XCTAssertEqual(table.header, ["form", "index", "feature", "eigenvalue", "shown"])
        let exported = numbers(table, "eigenvalue")
        XCTAssertEqual(exported.count, 64)
        for (a, b) in zip(exported, λ) { XCTAssertEqual(a, b, accuracy: 1e-9 * max(abs(λ[0]), 1)) }
        XCTAssertEqual(exported.reduce(0, +), ref.traces[0], accuracy: 1e-9 * ref.frobenius[0].squareRoot())
        XCTAssertEqual(exported.map { $0 * $0 }.reduce(0, +), ref.frobenius[0], accuracy: 1e-9 * ref.frobenius[0])
        XCTAssertEqual(table.rows[0][2], .text("+1"))
        XCTAssertEqual(table.rows[63][2], .text("−1"))
        XCTAssertEqual(numbers(table, "shown").reduce(0, +), 6, "3 each way are shown")
    }

    /// The top eigenvectors' heatmaps: each cell holds two pixels of the magnified 8×8 image,
    /// coloured on one diverging scale over every shown eigenvector.
    func testEigenvectorImagesAndTheirExport() throws {
        let ref = try reference()
        let app = try bilinearApp()
        app.type("f")  // eigenvectors, alone at 80×24
        let grid = app.frame(80, 24)
        let title = try XCTUnwrap(grid.find("Top eigenvectors of 0"))
        let label = try XCTUnwrap(grid.find("+1 λ \(NumberFormat.readable(ref.values[0][0]))"))
        XCTAssertEqual(label.x, title.x)
        let s = 2 * (label.y - title.y - 1) / 8
        XCTAssertEqual(s, 1, "at 80×24 the images are not magnified")
        let shown = [0, 1, 2, 63, 62, 61]
        let limit = shown.flatMap { ref.vectors[0][$0] }.map(abs).max()!
        let scale = ColorScale.diverging(limit: limit)
        let v = ref.vectors[0][0]
        for (cx, cy) in [(0, 0), (3, 1), (7, 2), (5, 3)] {
            let cell = grid[title.x + cx, title.y + 1 + cy]
            XCTAssertEqual(cell.scalar, "▀")
            let (top, bottom) = ((2 * cy) / s, (2 * cy + 1) / s)
            XCTAssertEqual(cell.style.foreground, scale.color(v[top * 8 + cx / s]), "cell \(cx), \(cy)")
            XCTAssertEqual(cell.style.background, scale.color(v[bottom * 8 + cx / s]), "cell \(cx), \(cy)")
        }
        XCTAssertNotNil(grid.find("−1 λ \(NumberFormat.readable(ref.values[0][63]))"))
        XCTAssertNotNil(grid.find("≈ "), "the nearest feature of another class")
        // With room, the images are magnified: at 200×60 each pixel is 2×2 dots or more.
        let large = app.frame()
        let largeTitle = try XCTUnwrap(large.find("Top eigenvectors of 0"))
        // The first "+1 λ …" of the eigenvector panel (the contributions panel right of it lists terms by the same names).
        let first = "+1 λ \(NumberFormat.readable(ref.values[0][0]))"
        let largeLabel = try XCTUnwrap(
            (largeTitle.y..<large.height).lazy.compactMap { y -> (x: Int, y: Int)? in
                let row = Array(large.text(row: y).unicodeScalars)
                let n = Array(first.unicodeScalars)
                return largeTitle.x + n.count <= row.count && Array(row[largeTitle.x..<(largeTitle.x + n.count)]) == n
                    ? (largeTitle.x, y) : nil
            }.first)
        let m = 2 * (largeLabel.y - largeTitle.y - 1) / 8
        XCTAssertGreaterThanOrEqual(m, 2)
        XCTAssertEqual(large[largeTitle.x + m * 8 - 1, largeTitle.y + 1].style.foreground, scale.color(v[7]))

        let table = try export(app)
        XCTAssertEqual(
            Array(table.header.prefix(8)),
            ["form", "feature", "index", "eigenvalue", "constant", "nearest_other_feature", "nearest_abs_cos", "v0"])
        XCTAssertEqual(table.header.count, 7 + 64)
        XCTAssertEqual(table.rows.map { $0[1] }, ["+1", "+2", "+3", "−1", "−2", "−3"].map { Table.Value.text($0) })
        for (row, index) in zip(table.rows, shown) {
            XCTAssertEqual(row[2], .integer(index))
            XCTAssertEqual(row[4], .missing, "no biases: no constant component")
            for (a, b) in zip(row[7...].map { $0.number! }, ref.vectors[0][index]) { XCTAssertEqual(a, b, accuracy: 1e-9) }
            // The nearest feature of another class: |cos| in (0, 1], and it is of another class.
            let cosine = row[6].number!
            XCTAssertTrue(cosine > 0 && cosine <= 1 + 1e-12)
            guard case .text(let name) = row[5] else { return XCTFail("nearest feature name") }
            XCTAssertFalse(name.hasPrefix("0 "), name)
        }
        // |cos| with the named feature, computed here.
        guard case .text(let name) = table.rows[0][5] else { return XCTFail() }
        let parts = name.split(separator: " ")
        let (c, feature) = (Int(parts[0])!, String(parts[1]))
        let rank = Int(feature.dropFirst())!
        let w = ref.vectors[c][feature.hasPrefix("+") ? rank - 1 : 64 - rank]
        XCTAssertEqual(abs(zip(v, w).map(*).reduce(0, +)), table.rows[0][6].number!, accuracy: 1e-9)
    }

    /// The truncation curve against one computed here: per class the k largest-|λ| terms
    /// λ (v·x)², argmax over classes, against the labels.
    func testTruncationCurve() throws {
        let ref = try reference()
        let app = try bilinearApp()
        app.type("ff")
        let table = try export(app)
        XCTAssertEqual(table.header, ["data", "k", "accuracy", "model_accuracy", "k_for_95_percent"])
        XCTAssertEqual(table.rows.count, 64)
        let x = ref.data.x.converted(to: Double.self)
        let labels = try XCTUnwrap(ref.data.labels)
        var expected = [Double](repeating: 0, count: 64)
        let orders = ref.values.map { λ in λ.indices.sorted { abs(λ[$0]) > abs(λ[$1]) } }
        for s in 0..<x.rows {
            let sample = Array(x.row(s))
            var running = [Double](repeating: 0, count: 10)
            for k in 0..<64 {
                for c in 0..<10 {
                    let i = orders[c][k]
                    let p = zip(ref.vectors[c][i], sample).map(*).reduce(0, +)
                    running[c] += ref.values[c][i] * p * p
                }
                if running.indices.max(by: { running[$0] < running[$1] }) == labels[s] { expected[k] += 1 }
            }
        }
        expected = expected.map { $0 / Double(x.rows) }
        XCTAssertEqual(numbers(table, "accuracy"), expected)
        let model = try XCTUnwrap(ref.network.evaluate(ref.data.x, labels: labels)).accuracy
        XCTAssertEqual(numbers(table, "model_accuracy")[0], model, accuracy: 0.5 / Double(x.rows))
        let k95 = expected.firstIndex { $0 >= 0.95 * expected[63] }! + 1
        XCTAssertEqual(table.rows[0][4], .integer(k95))
        XCTAssertTrue(app.frame().text.contains(String(format: "k for 95 %%: %d of 64 · model %.1f %%", k95, 100 * model)))
    }

    /// A sample's logit as the sum of its terms: the logit is the network's own, the terms are
    /// λ (v·x)² with the eigenpairs computed here.
    func testContributionsOfASample() throws {
        let ref = try reference()
        let app = try bilinearApp()
        press(app, "fffnnc")  // contributions, sample 3, class 1, alone at 80×24
        let grid = app.frame(80, 24)
        let text = grid.text
        XCTAssertTrue(text.contains("Sample 2 of 0…448: contributions to 1"), text)
        let sample = 2
        let logits = ref.network.forward(ref.data.x.rows([sample]))
        let logit = Double(logits[0, 1])
        XCTAssertTrue(text.contains("label \(ref.data.labels![sample]) · predicted \(logits.rowArgmax()[0])"))

        let table = try export(app)
        XCTAssertEqual(
            table.header,
            [
                "sample", "label", "predicted", "form", "value", "offset", "index", "feature", "eigenvalue",
                "projection", "contribution"
            ])
        XCTAssertEqual(table.rows.count, 64)
        XCTAssertEqual(table.rows[0][0], .integer(sample))
        XCTAssertEqual(table.rows[0][3], .text("1"))
        let value = numbers(table, "value")[0]
        XCTAssertEqual(value, logit, accuracy: 1e-4 * max(1, abs(logit)))
        XCTAssertTrue(text.contains("logit 1 = \(NumberFormat.readable(value))"), text)
        let terms = numbers(table, "contribution")
        XCTAssertEqual(terms.reduce(0, +), logit, accuracy: 1e-4 * max(1, abs(logit)))
        let x = ref.data.x.row(sample).map(Double.init)
        for (i, row) in table.rows.enumerated() {
            let p = zip(ref.vectors[1][i], x).map(*).reduce(0, +)
            XCTAssertEqual(abs(row[9].number!), abs(p), accuracy: 1e-9)
            XCTAssertEqual(row[10].number!, ref.values[1][i] * p * p, accuracy: 1e-9)
        }
        // The bars, largest first: the largest spans its side of the centre line, red to the right
        // when positive, blue to the left when negative; the second is as long in half cells as
        // its share of the largest.
        let byMagnitude = terms.indices.sorted { abs(terms[$0]) > abs(terms[$1]) }
        var halves: [Int] = [], sides: [Bool] = []
        var half = 0
        for (rank, i) in byMagnitude.prefix(2).enumerated() {
            let name = ref.values[1][i] < 0 ? "−\(64 - i)" : "+\(i + 1)"
            let label = try XCTUnwrap(grid.find("\(name) λ \(NumberFormat.readable(ref.values[1][i]))"), name)
            let row = Array(grid.text(row: label.y).unicodeScalars)
            XCTAssertTrue(grid.text(row: label.y).hasSuffix(NumberFormat.readable(terms[i])), String(String.UnicodeScalarView(row)))
            let centre = try XCTUnwrap((label.x..<row.count).first { row[$0] == "│" })
            let right = (centre + 1..<row.count).prefix { ["█", "▌"].contains(row[$0]) }.count
            let left = (0..<centre).reversed().prefix { ["█", "▐"].contains(row[$0]) }.count
            let cells = max(right, left)
            let colour = grid[right > 0 ? centre + 1 : centre - 1, label.y].style.foreground
            XCTAssertEqual(colour, ColorScale.diverging(limit: 1).color(terms[i] > 0 ? 1 : -1))
            XCTAssertEqual(right > 0, terms[i] > 0)
            let partial = right > 0 ? row[centre + right] == "▌" : row[centre - left] == "▐"
            halves.append(2 * cells - (partial ? 1 : 0))
            sides.append(terms[i] > 0)
            if rank == 0 {
                half = cells
                XCTAssertFalse(partial)
            }
        }
        XCTAssertEqual(halves[1], Int((abs(terms[byMagnitude[1]]) / abs(terms[byMagnitude[0]]) * Double(2 * half)).rounded()))
    }

    /// A contrast: the form of 3 − 8 is the difference of the two class forms, and its value the logit gap.
    func testContrastOfTwoClasses() throws {
        let ref = try reference()
        let app = try bilinearApp()
        press(app, "ccc")  // class 3
        for _ in 0..<8 { press(app, "x") }  // none → 0, 1, 2, 4, 5, 6, 7, 8
        let text = app.frame().text
        XCTAssertTrue(text.contains("form 3−8 (logit 3 − logit 8): 64 eigenvalues"), text)
        XCTAssertTrue(text.contains("Spectrum of 3−8"))
        let λ = numbers(try export(app), "eigenvalue")
        XCTAssertEqual(λ.reduce(0, +), ref.traces[3] - ref.traces[8], accuracy: 1e-9 * 100)
        XCTAssertFalse(text.contains("≈ "), "no nearest-class features for a contrast")
        press(app, "fff")  // the contributions
        let table = try export(app)
        let logits = ref.network.forward(ref.data.x.rows([0]))
        XCTAssertEqual(numbers(table, "value")[0], Double(logits[0, 3] - logits[0, 8]), accuracy: 1e-4)
        press(app, "X")  // back to 7
        XCTAssertTrue(app.frame().text.contains("form 3−7"))
        press(app, "c")  // class 4 keeps the contrast with 7
        XCTAssertTrue(app.frame().text.contains("form 4−7"))
    }

    /// Every key changes what is shown; keys with nothing to do say so.
    func testKeys() throws {
        let app = try bilinearApp()
        let view = try XCTUnwrap(app.currentView)
        let keys = view.keyHelp.map(\.keys)
        XCTAssertEqual(Set(keys).count, keys.count, "no key is bound twice")
        func shows(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertTrue(app.frame().text.contains(text), text, file: file, line: line)
        }
        press(app, "c"); shows("Spectrum of 1")
        press(app, "C"); press(app, "C"); shows("Spectrum of 9")
        press(app, "n"); shows("Sample 1 of 0…448")
        press(app, "N"); shows("Sample 11 of 0…448")
        press(app, "P"); press(app, "p"); press(app, "p"); shows("Sample 0 of 0…448")
        press(app, "+"); XCTAssertEqual(numbers(try export(app), "shown").reduce(0, +), 8); shows("+4 λ")
        press(app, "--"); XCTAssertEqual(numbers(try export(app), "shown").reduce(0, +), 4)
        press(app, "F"); XCTAssertEqual(try export(app).header.first, "sample", "F from the spectrum: contributions")
        press(app, "f"); XCTAssertEqual(try export(app).header.first, "form")
        press(app, "r")
        shows("Spectrum of 9")
    }

    /// m and M step through the models that have a bilinear layer, L through a model's bilinear
    /// layers. The workspace holds the MLPs, the CNN and a model with two bilinear layers in a
    /// row; the first has no linear readout (its forms need a direction), the second's forms are
    /// written in the first one's output, which is no image.
    func testModelsAndLayers() throws {
        let dir = try temporaryDirectory(self)
        var rng = SeededRandom(seed: 7)
        func bilinear(_ name: String, _ inputs: Int, _ outputs: Int) -> Layer<Float> {
            Layer(
                name: name,
                operation: .bilinear(
                    Bilinear(
                        left: rng.normalMatrix(rows: outputs, cols: inputs, std: 0.3, of: Float.self),
                        right: rng.normalMatrix(rows: outputs, cols: inputs, std: 0.3, of: Float.self))),
                inputShape: [inputs], outputShape: [outputs])
        }
        let head = Layer<Float>(
            name: "head", operation: .linear(Linear(weight: rng.normalMatrix(rows: 10, cols: 12, std: 0.3, of: Float.self), bias: nil)),
            inputShape: [12], outputShape: [10])
        let twoLayers = Network<Float>(
            name: "two", input: InputSpec(shape: [64], image: [1, 8, 8], range: [0, 1]), classes: nil,
            layers: [bilinear("b1", 64, 16), bilinear("b2", 16, 12), head])
        let file = dir.appendingPathComponent("two.safetensors")
        try NetworkFile.save(twoLayers, to: file)
        let workspace = try WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2", "demo:cnn", file.path], data: "builtin:digits:test").load()
        var settings = BilinearView.Settings()
        settings.model = "demo:cnn"
        let app = App(
            workspace: workspace, tabs: [Session.Tab(kind: "bilinear", settings: try JSONValue(encoding: settings))],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        settle(app)
        func shows(_ text: String, file: StaticString = #filePath, line: UInt = #line) {
            XCTAssertTrue(app.frame().text.contains(text), text, file: file, line: line)
        }
        shows("demo:cnn has no bilinear layer; m picks the next model")
        XCTAssertNil(app.currentView?.exportTable())
        press(app, "m")
        shows("\(file.path) · layer b1 (1 of 2, L: next)")
        shows("bilinear layer 'b1' is followed by bilinear 'b2', not by a linear readout: give a direction")
        press(app, "L")
        shows("\(file.path) · layer b2 (2 of 2, L: next) · forms in b1 [16]")
        shows("Spectrum of 0")
        // Forms in a space that is no image: the eigenvectors as near-square grids (4 × 4 here).
        press(app, "f")
        let grid = app.frame()
        let title = try XCTUnwrap(grid.find("Top eigenvectors of 0"))
        XCTAssertEqual(grid[title.x, title.y + 1].scalar, "▀")
        XCTAssertEqual(numbers(try export(app), "eigenvalue").count, 6)
        XCTAssertEqual(try export(app).header.count, 7 + 16)
        // The demo model comes after the workspace's; the CNN and the MLPs are skipped both ways.
        press(app, "m")
        shows("demo:bilinear · layer bilinear · forms in input")
        press(app, "m")
        shows("\(file.path) · layer b1")
        press(app, "M")
        shows("demo:bilinear · layer bilinear")
        app.type("L")
        XCTAssertTrue(app.statusMessage?.contains("L does nothing here") ?? false, "demo:bilinear has one bilinear layer")
    }

    func testSessionRoundTrip() throws {
        let app = try bilinearApp()
        press(app, "cccxnnn+ff")
        let session = try app.session(named: "t")
        let json = try JSONEncoder().encode(session)
        let restored = try JSONDecoder().decode(Session.self, from: json)
        XCTAssertEqual(restored.tabs.map(\.kind), ["bilinear"])
        let again = try bilinearApp(settings: restored.tabs[0].settings)
        XCTAssertEqual(again.frame().text, app.frame().text)
        XCTAssertEqual(try export(again), try export(app))
        XCTAssertTrue(again.frame().text.contains("Sample 3 of 0…448: contributions to 3−0"))
    }

    func testSizes() throws {
        let app = try bilinearApp()
        let large = app.frame(200, 60).text
        for panel in ["Spectrum of 0", "Truncation on", "Top eigenvectors of 0", "Sample 0 of 0…448"] {
            XCTAssertTrue(large.contains(panel))
        }
        // 80×24: the focused panel alone, with the strip naming the others.
        for (i, panel) in ["Spectrum of 0", "Top eigenvectors of 0", "Truncation on", "Sample 0 of 0…448"].enumerated() {
            let text = app.frame(80, 24).text
            XCTAssertNotNil(text.range(of: #"spectrum +eigenvectors +truncation +contributions"#, options: .regularExpression), text)
            XCTAssertTrue(text.contains(panel), "\(i): \(text)")
            let others = ["Spectrum of 0", "Top eigenvectors of 0", "Truncation on", "Sample 0 of 0…448"].filter { $0 != panel }
            for other in others { XCTAssertFalse(text.contains(other), other) }
            app.type("f")
        }
        let medium = app.frame(120, 40).text
        XCTAssertTrue(medium.contains("Top eigenvectors of 0") && medium.contains("Truncation on"), medium)
        for (w, h) in [(60, 20), (40, 12), (30, 8), (20, 5), (1, 1), (0, 0)] {
            for _ in 0..<4 {
                _ = app.frame(w, h)
                app.type("f")
            }
        }
        XCTAssertTrue(app.frame(40, 12).text.contains("demo:bilinear"))
    }

    func testMonochrome() throws {
        let app = try bilinearApp(colors: .monochrome)
        app.type("f")
        let grid = app.frame()
        let title = try XCTUnwrap(grid.find("Top eigenvectors of 0"))
        let ramp = Set(ColorScale.ramp)
        for x in 0..<8 { XCTAssertTrue(ramp.contains(grid[title.x + x, title.y + 1].scalar)) }
    }

    /// Data without labels: no truncation curve (said in its panel), the rest works.
    func testUnlabelledData() throws {
        let data = try DataSource.load("builtin:digits:test")
        let unlabelled = Dataset(name: "unlabelled", x: data.x, labels: nil, sampleShape: data.sampleShape)
        let workspace = Workspace(
            models: try WorkspacePlan(models: ["demo:mlp-1"], data: "builtin:digits:test").load().models,
            data: unlabelled, dataFile: nil)
        let dir = try temporaryDirectory(self)
        let app = App(
            workspace: workspace, tabs: [Session.Tab(kind: "bilinear", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        settle(app)
        app.type("ff")
        let text = app.frame().text
        XCTAssertTrue(text.contains("data 'unlabelled' has no labels"), text)
        XCTAssertNil(app.currentView?.exportTable())
        app.type("f")
        XCTAssertTrue(app.frame().text.contains("predicted "))
        XCTAssertNotNil(app.currentView?.exportTable())
    }

    /// Data the bilinear model cannot take: the forms are shown, the sample panels say why not.
    func testDataThatDoesNotFit() throws {
        let wide = Dataset(name: "wide", x: Matrix<Float>(rows: 5, cols: 3), labels: [0, 1, 2, 0, 1], sampleShape: [3])
        let models = try WorkspacePlan(models: ["demo:bilinear"], data: "builtin:digits:test").load().models
        let workspace = Workspace(models: models, data: wide, dataFile: nil)
        let dir = try temporaryDirectory(self)
        let app = App(
            workspace: workspace, tabs: [Session.Tab(kind: "bilinear", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        settle(app)
        let text = app.frame().text
        XCTAssertTrue(text.contains("Spectrum of 0"), text)
        XCTAssertTrue(text.contains("data 'wide' has samples of 3 values"), text)
    }

    /// Esc during the truncation curve cancels it (the panel says so, the forms stay); r starts again.
    func testCancellingTheTruncation() throws {
        let data = try DataSource.load("builtin:digits:test")
        let copies = 120  // about 54,000 samples: the curve takes long enough to be cancelled midway
        let many = Dataset(
            name: "many", x: Matrix.vstack(Array(repeating: data.x, count: copies)),
            labels: Array(Array(repeating: data.labels!, count: copies).joined()), sampleShape: data.sampleShape)
        let models = try WorkspacePlan(models: ["demo:mlp-1"], data: "builtin:digits:test").load().models
        let dir = try temporaryDirectory(self)
        let app = App(
            workspace: Workspace(models: models, data: many, dataFile: nil), tabs: [Session.Tab(kind: "bilinear", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir))
        while !(app.jobs.status?.message.hasPrefix("truncation") ?? false) {
            app.update()
            Thread.sleep(forTimeInterval: 0.001)
        }
        app.handle(.escape)
        settle(app)
        var text = app.frame().text
        XCTAssertTrue(text.contains("cancelled; r starts again"), text)
        XCTAssertTrue(text.contains("Spectrum of 0"))
        press(app, "r")
        text = app.frame().text
        XCTAssertTrue(text.contains("k for 95 %"), text)
        XCTAssertEqual(try XCTUnwrap(app.currentView?.exportTable()).header.count, 5, "the spectrum")
    }
}
