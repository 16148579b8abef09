import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import TestSupport
import Workbench
import XCTest

/// The words of a screen row with the column each starts at.
func words(_ grid: Grid, row y: Int) -> [(text: String, x: Int)] {
    var out: [(String, Int)] = []
    var current = "", start = 0
    for (x, scalar) in grid.text(row: y).unicodeScalars.enumerated() {
        if scalar == " " || scalar == "│" {
            if !current.isEmpty { out.append((current, start)) }
            current = ""
        } else {
            if current.isEmpty { start = x }
            current.unicodeScalars.append(scalar)
        }
    }
    if !current.isEmpty { out.append((current, start)) }
    return out
}

final class CKAViewTests: XCTestCase {
    let layers = ["fc1", "relu1", "fc2", "relu2", "fc3"]

    func makeCKA(compare: Bool = true, colors: ColorMode = .truecolor, settings: JSONValue = .null) throws -> (App, URL) {
        try makeApp(self, compare: compare, colors: colors, tabs: [Session.Tab(kind: "cka", settings: settings)])
    }

    /// Linear CKA from its definition, ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred activations.
    func linearCKA(_ x: Matrix<Float>, _ y: Matrix<Float>) -> Double {
        let (xc, yc) = (x.converted(to: Double.self).centered(), y.converted(to: Double.self).centered())
        func squaredNorm(_ m: Matrix<Double>) -> Double { m.storage.reduce(0) { $0 + $1 * $1 } }
        return squaredNorm(matmul(xc, yc, transposeA: true))
            / (squaredNorm(matmul(xc, xc, transposeA: true)).squareRoot() * squaredNorm(matmul(yc, yc, transposeA: true)).squareRoot())
    }

    /// The grid row of `label`: the screen row and the numbers after the label, with their
    /// columns (without colour, the ramp characters around them are skipped).
    func gridRow(_ grid: Grid, _ label: String, count: Int) -> (y: Int, numbers: [(text: String, x: Int)])? {
        let ramp = Set(ColorScale.ramp)
        for y in 0..<grid.height {
            let w = words(grid, row: y).filter { !$0.text.unicodeScalars.allSatisfy(ramp.contains) }
            for k in w.indices where w[k].text == label && k + count < w.count {
                let numbers = Array(w[(k + 1)...(k + count)])
                if numbers.allSatisfy({ Double($0.text) != nil }) { return (y, numbers) }
            }
        }
        return nil
    }

    /// Every block shows the CKA computed here from the definition, to two decimals, coloured on
    /// the 0…1 scale; the cursor's cell is named with four decimals.
    func testLinearCKAOfTwoModels() throws {
        let (app, _) = try makeCKA()
        let grid = app.frame()
        let data = try DataSource.load("builtin:digits:test")
        let (a, b) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"))
        let (ta, tb) = (a.trace(data.x), b.trace(data.x))
        var expected: [[Double]] = []
        for la in layers {
            expected.append(try layers.map { lb in linearCKA(ta[try a.traceIndex(of: la)], tb[try b.traceIndex(of: lb)]) })
        }
        let text = grid.text
        XCTAssertTrue(text.contains("CKA · linear kernel · biased HSIC"), text)
        XCTAssertTrue(text.contains("rows: layers of A demo:mlp-1 · columns: layers of B demo:mlp-2 · 449 samples of builtin:digits:test"))
        XCTAssertTrue(text.contains(String(format: "A fc1 × B fc1: CKA %.4f", expected[0][0])), text)
        let header = try XCTUnwrap(
            (0..<grid.height).first { y in
                let w = words(grid, row: y).map(\.text)
                return w.firstIndex(of: "fc1").map { Array(w[$0...].prefix(5)) == layers } ?? false
            }, "the column names in a row")
        let scale = ColorScale.sequential(low: 0, high: 1)
        for (i, layer) in layers.enumerated() {
            let row = try XCTUnwrap(gridRow(grid, layer, count: 5), layer)
            XCTAssertGreaterThan(row.y, header)
            for (j, number) in row.numbers.enumerated() {
                XCTAssertEqual(number.text, String(format: "%.2f", expected[i][j]), "\(layer) × \(layers[j])")
                let background = grid[number.x, row.y].style.background
                XCTAssertEqual(background, i == 0 && j == 0 ? Theme.cursor : scale.color(expected[i][j]), "\(layer) × \(layers[j])")
            }
        }
        // Beside the map, each layer of A's closest layer of B.
        XCTAssertTrue(text.contains("closest layer of B"))
        for (i, layer) in layers.enumerated() {
            let j = expected[i].indices.max { expected[i][$0] < expected[i][$1] }!
            XCTAssertTrue(text.contains("\(layer) → \(layers[j]) \(String(format: "%.2f", expected[i][j]))"), layer)
        }
    }

    /// The cursor moves over the blocks, and its cell is named; it stops at the edges.
    func testCursor() throws {
        let (app, _) = try makeCKA()
        app.type("jjl")
        var grid = app.frame()
        let m = try LayerCKA.compute(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), data: try DataSource.load("builtin:digits:test"))
        XCTAssertTrue(grid.text.contains(String(format: "A fc2 × B relu1: CKA %.4f", m.values[2][1])), grid.text)
        let row = try XCTUnwrap(gridRow(grid, "fc2", count: 5))
        XCTAssertEqual(grid[row.numbers[1].x, row.y].style.background, Theme.cursor)
        XCTAssertEqual(grid[row.numbers[0].x, row.y].style.background, ColorScale.sequential(low: 0, high: 1).color(m.values[2][0]))
        app.type("jjjjjjlllllll")
        grid = app.frame()
        XCTAssertTrue(grid.text.contains(String(format: "A fc3 × B fc3: CKA %.4f", m.values[4][4])))
        app.handle(.up)
        app.handle(.left)
        XCTAssertTrue(app.frame().text.contains("A relu2 × B relu2"))
    }

    /// K switches the kernel and d the estimator; each is computed once and kept, so going back
    /// is immediate; a choice left before it finished is computed when chosen again.
    func testKernelAndEstimatorToggles() throws {
        let (app, _) = try makeCKA()
        let (a, b, data) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), try DataSource.load("builtin:digits:test"))
        app.handle(.char("K"))
        XCTAssertTrue(app.frame().text.contains("computing CKA on builtin:digits:test"))
        app.handle(.char("K"))
        XCTAssertTrue(app.frame().text.contains("A fc1 × B fc1: CKA"), "linear is kept: no recomputing")
        app.handle(.char("K"))
        app.finishJobs()
        let rbf = try LayerCKA.compute(a, b, data: data, options: CKAOptions(kernel: .rbf(threshold: 0.5)))
        var grid = app.frame()
        XCTAssertTrue(grid.text.contains("CKA · RBF kernel (σ = 0.5 × median distance) · biased HSIC"), grid.text)
        XCTAssertTrue(grid.text.contains(String(format: "A fc1 × B fc1: CKA %.4f", rbf.values[0][0])))
        XCTAssertEqual(gridRow(grid, "relu2", count: 5)?.numbers.map(\.text), rbf.values[3].map { String(format: "%.2f", $0) })
        app.handle(.char("d"))
        app.finishJobs()
        let debiased = try LayerCKA.compute(a, b, data: data, options: CKAOptions(kernel: .rbf(threshold: 0.5), debiased: true))
        grid = app.frame()
        XCTAssertTrue(grid.text.contains("RBF kernel (σ = 0.5 × median distance) · debiased HSIC"))
        XCTAssertEqual(gridRow(grid, "fc2", count: 5)?.numbers.map(\.text), debiased.values[2].map { String(format: "%.2f", $0) })
        XCTAssertNotEqual(rbf.values[2], debiased.values[2])
    }

    /// M switches to mutual k-NN alignment and p adds the permutation null: the map shows the
    /// library's values, and the cursor's cell its p-value and shuffled mean beside the value.
    func testMutualNeighboursAndPermutationNull() throws {
        let (app, _) = try makeCKA()
        let (a, b, data) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), try DataSource.load("builtin:digits:test"))
        app.handle(.char("M"))
        app.finishJobs()
        let knn = try LayerCKA.compute(a, b, data: data, options: CKAOptions(measure: .mutualKNN))
        var grid = app.frame()
        XCTAssertTrue(grid.text.contains("mutual 10-NN alignment · cosine neighbours"), grid.text)
        XCTAssertTrue(grid.text.contains(String(format: "A fc1 × B fc1: mutual 10-NN %.4f", knn.values[0][0])), grid.text)
        XCTAssertEqual(gridRow(grid, "relu1", count: 5)?.numbers.map(\.text), knn.values[1].map { String(format: "%.2f", $0) })
        app.handle(.char("d"))
        XCTAssertTrue(app.frame().text.contains("mutual 10-NN alignment · cosine neighbours"), "mutual k-NN has no estimator to switch")
        app.type("jp")
        app.finishJobs()
        let null = try LayerCKA.compute(a, b, data: data, options: CKAOptions(measure: .mutualKNN, permutations: 99))
        grid = app.frame()
        XCTAssertTrue(grid.text.contains("mutual 10-NN alignment · cosine neighbours · p-values from 99 shuffles"), grid.text)
        let cell = try XCTUnwrap(null.null?[1][0])
        XCTAssertEqual(cell.pValue, 0.01, "trained twins share neighbours beyond every shuffle")
        XCTAssertTrue(grid.text.contains(String(format: "A relu1 × B fc1: mutual 10-NN %.4f · ", null.values[1][0]) + cell.text), grid.text)
        app.type("M")
        app.finishJobs()
        let cka = try LayerCKA.compute(a, b, data: data, options: CKAOptions(permutations: 99))
        XCTAssertTrue(
            app.frame().text.contains(String(format: "A relu1 × B fc1: CKA %.4f · ", cka.values[1][0]) + cka.null![1][0].text),
            app.frame().text)
        let export = try XCTUnwrap((app.currentView as? CKAView)?.exportTable())
        XCTAssertEqual(export.columns.map(\.name).suffix(4), ["p_value", "null_mean", "null_spread", "permutations"])
    }

    /// With one model, its layers against each other: 1 on the diagonal, no "closest layer of B".
    func testOneModel() throws {
        let (app, _) = try makeCKA(compare: false)
        let grid = app.frame()
        XCTAssertTrue(grid.text.contains("rows: layers of A demo:mlp-1 · columns: layers of A demo:mlp-1"))
        XCTAssertFalse(grid.text.contains("closest layer of B"))
        XCTAssertTrue(grid.text.contains("fc1 × fc1: CKA 1.0000"), grid.text)
        for (i, layer) in layers.enumerated() {
            XCTAssertEqual(gridRow(grid, layer, count: 5)?.numbers[i].text, "1.00", layer)
        }
    }

    /// `e` writes one row per pair of layers with the full-precision value.
    func testExport() throws {
        let (app, dir) = try makeCKA()
        app.run(command: "export cka.csv")
        let lines = try String(contentsOf: dir.appendingPathComponent("cka.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines[0], "model_a,layer_a,model_b,layer_b,cka,kernel,debiased,samples,data")
        XCTAssertEqual(lines.count, 1 + 25)
        let data = try DataSource.load("builtin:digits:test")
        let (a, b) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"))
        let fields = lines[1 + 5 * 3 + 1].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(fields[0...3]), ["demo:mlp-1", "relu2", "demo:mlp-2", "relu1"])
        // Full precision: a rounded figure would be off by 5e-5 or more. Float32 activations are
        // multiplied in Float32 blocks summed in Float64 (docs/methods.md), about 1e-8 from the
        // Float64 reference here.
        XCTAssertEqual(Double(fields[4])!, linearCKA(a.trace(data.x)[4], b.trace(data.x)[2]), accuracy: 1e-7)
        XCTAssertEqual(Array(fields[5...]), ["linear", "0", "449", "builtin:digits:test"])
    }

    /// A saved session reopens the view with its kernel, estimator and cursor.
    func testSessionRoundTrip() throws {
        let (app, dir) = try makeCKA()
        app.type("Kdjl")
        app.finishJobs()
        let before = app.frame().text
        let session = try app.session(named: "cka")
        XCTAssertEqual(session.tabs.map(\.kind), ["cka"])
        let (restored, _) = try makeApp(self, tabs: session.tabs)
        XCTAssertEqual(restored.frame().text, before)
        let settings = try XCTUnwrap(restored.currentView as? CKAView).settings
        XCTAssertEqual(settings.kernel, .rbf(threshold: 0.5))
        XCTAssertTrue(settings.debiased)
        XCTAssertEqual([settings.row, settings.column], [1, 1])
        _ = dir
    }

    /// A deep model's 25 layers at 80×24: one-cell blocks, upright column names that keep their
    /// ends, and rows that scroll to keep the cursor in view.
    func testManyLayersScroll() throws {
        let dir = try temporaryDirectory(self)
        let spec = try ShortSpec.parse("mlp:64-" + Array(repeating: "16", count: 12).joined(separator: "-") + "-10")
        let file = dir.appendingPathComponent("deep.safetensors")
        try NetworkFile.save(try NetworkFile.untrained(spec, seed: 1), to: file)
        let workspace = try WorkspacePlan(models: [file.path], data: "builtin:digits:test").load()
        let app = App(
            workspace: workspace, tabs: [Session.Tab(kind: "cka", settings: .null)],
            options: AppOptions(sessions: SessionStore(directory: dir), exportDirectory: dir, showSidebar: false))
        app.finishJobs()
        var grid = app.frame(80, 24)
        let header = try XCTUnwrap(grid.find("f … f"), grid.text)
        let down = (0..<4).map { y in words(grid, row: header.y + y).map(\.text).joined() }
        XCTAssertEqual(down[0].prefix(6), "f…f…f…")
        XCTAssertTrue(down[1].hasPrefix("clclcl"), down[1])
        XCTAssertTrue(down[2].hasPrefix("1u2u3u"), down[2])
        XCTAssertTrue(down[3].hasPrefix("123"), "relu1, relu2, relu3 end in their numbers: \(down[3])")
        XCTAssertTrue(grid.text.contains("fc1 × fc1: CKA 1.0000"))
        for _ in 0..<15 { app.handle(.char("j")) }
        grid = app.frame(80, 24)
        XCTAssertTrue(grid.text.contains("relu8 × fc1: CKA"), grid.text)
        let labels = (0..<grid.height).compactMap { words(grid, row: $0).first?.text }
        XCTAssertTrue(labels.contains("relu8"))
        XCTAssertFalse(labels.contains("relu1"), "scrolled past the first rows")
    }

    /// Small terminals draw less, never out of bounds; without colour the blocks are ramp characters.
    func testSizesAndMonochrome() throws {
        let (app, _) = try makeCKA()
        for (w, h) in [(200, 60), (120, 40), (80, 24), (60, 16), (40, 12), (30, 8)] {
            XCTAssertTrue(app.frame(w, h).text.contains("CKA"), "\(w)×\(h)")
        }
        let small = app.frame(80, 24).text
        XCTAssertTrue(small.contains("A fc1 × B fc1: CKA"), small)
        XCTAssertNotNil(gridRow(app.frame(80, 24), "relu2", count: 5), "every block fits at 80×24")
        let (mono, _) = try makeCKA(colors: .monochrome)
        let grid = mono.frame()
        let row = try XCTUnwrap(gridRow(grid, "fc3", count: 5))
        let ramp = Set(ColorScale.ramp)
        // "0.89" set off by a space, then the block's ramp character.
        let end = row.numbers[0].x + row.numbers[0].text.count
        XCTAssertEqual(grid[end, row.y].scalar, " ")
        XCTAssertTrue(ramp.contains(grid[end + 1, row.y].scalar))
        XCTAssertNotEqual(grid[end + 1, row.y].scalar, " ")
        XCTAssertEqual(grid[row.numbers[0].x, row.y].style.background, .terminalDefault)
    }
}
