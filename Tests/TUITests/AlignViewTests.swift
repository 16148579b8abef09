import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import Workbench
import XCTest

final class AlignViewTests: XCTestCase {
    func makeAlign(compare: Bool = true, colors: ColorMode = .truecolor) throws -> (App, URL) {
        try makeApp(self, compare: compare, colors: colors, tabs: [Session.Tab(kind: "align", settings: .null)])
    }

    /// Pearson correlations of every column of x with every column of y; 0 for a constant column.
    func correlations(_ x: Matrix<Float>, _ y: Matrix<Float>) -> [[Double]] {
        func standardised(_ m: Matrix<Float>) -> Matrix<Double> {
            var c = m.converted(to: Double.self).centered()
            for j in 0..<c.cols {
                let constant = (0..<m.rows).allSatisfy { m[$0, j] == m[0, j] }
                let norm = (0..<c.rows).reduce(0.0) { $0 + c[$1, j] * c[$1, j] }.squareRoot()
                for i in 0..<c.rows { c[i, j] = constant ? 0 : c[i, j] / norm }
            }
            return c
        }
        let r = matmul(standardised(x), standardised(y), transposeA: true)
        return (0..<r.rows).map { Array(r.row($0)) }
    }

    /// relu1 of both demo models on the test digits.
    func relu1() throws -> [[Double]] {
        let data = try DataSource.load("builtin:digits:test")
        return correlations(try DemoModels.load("mlp-1").trace(data.x)[2], try DemoModels.load("mlp-2").trace(data.x)[2])
    }

    func live(_ c: [[Double]]) -> (rows: [Int], columns: [Int]) {
        (c.indices.filter { i in c[i].contains { $0 != 0 } }, c[0].indices.filter { j in c.contains { $0[j] != 0 } })
    }

    /// The map's top-left cell: two rows under the heading, after the unit numbers.
    func mapOrigin(_ grid: Grid) throws -> (x: Int, y: Int) {
        let heading = try XCTUnwrap(grid.find("A demo:mlp-1 relu1 [256] ×"))
        return (heading.x + 4, heading.y + 2)
    }

    /// The default pair is relu1 × relu1; the readout gives the correlation under the cursor
    /// and the mean matched correlations equal a maximum-weight assignment and row maxima
    /// computed here.
    func testCorrelationsAndMatchings() throws {
        let (app, _) = try makeAlign()
        let c = try relu1()
        let text = app.frame().text
        XCTAssertTrue(text.contains("A demo:mlp-1 relu1 [256] × B demo:mlp-2 relu1 [256]"), text)
        XCTAssertTrue(text.contains("449 observations · B's units in their own order"))
        XCTAssertTrue(text.contains(String(format: "A 0 × B 0: r = %+.3f", c[0][0])), text)
        let (rows, columns) = live(c)
        let m = Matrix<Double>(rows: rows.count, cols: columns.count) { c[rows[$0]][columns[$1]] }
        let assignment = try LinearAssignment(cost: m, maximize: true)
        let matched = assignment.columnForRow.enumerated().compactMap { i, j in j.map { m[i, $0] } }
        XCTAssertTrue(
            text.contains(String(format: "bipartite %.3f (%d pairs)", matched.reduce(0, +) / Double(matched.count), matched.count)), text)
        let best = rows.indices.map { i in columns.indices.map { m[i, $0] }.max()! }
        XCTAssertTrue(text.contains(String(format: "semi      %.3f", best.reduce(0, +) / Double(best.count))))
        XCTAssertTrue(text.contains("constant: A \(256 - rows.count), B \(256 - columns.count)"))
        XCTAssertTrue(text.contains("━ bipartite  ━ semi"))
        // g: to A 0's partner; the readout names it with its correlation.
        app.handle(.char("g"))
        let partner = columns[assignment.columnForRow[rows.firstIndex(of: 0)!]!]
        XCTAssertTrue(app.frame().text.contains(String(format: "A 0 × B %d: r = %+.3f", partner, c[0][partner])))
        XCTAssertTrue(app.frame().text.contains(String(format: "partners of A 0: bipartite B %d (%.3f)", partner, c[0][partner])))
    }

    /// Fitted, each half-block pixel is the mean of a block of f × f correlations, coloured on
    /// a diverging scale up to the largest mean; the cursor's pixel is marked.
    func testFittedMapColours() throws {
        let (app, _) = try makeAlign()
        _ = app.frame()
        app.type("jl")
        let grid = app.frame()
        let c = try relu1()
        let readout = try XCTUnwrap(grid.text.split(separator: "\n").first { $0.contains("its cell: mean of ") })
        let factor = try XCTUnwrap(Int(readout.components(separatedBy: "mean of ")[1].split(separator: "×")[0]))
        XCTAssertGreaterThan(factor, 1, "256 units do not fit 1:1 at 200×60")
        XCTAssertTrue(readout.contains(String(format: "A %d × B %d", factor, factor)), "a cursor key moves one pixel")
        func mean(_ r: Int, _ k: Int) -> Double {
            let rows = (r * factor)..<min(r * factor + factor, 256), cols = (k * factor)..<min(k * factor + factor, 256)
            return rows.reduce(0.0) { s, i in cols.reduce(s) { $0 + c[i][$1] } } / Double(rows.count * cols.count)
        }
        let origin = try mapOrigin(grid)
        // The colours span ± the largest mean of a whole block.
        let whole = 256 / factor
        let largest = (0..<whole).flatMap { r in (0..<whole).map { abs(mean(r, $0)) } }.max()!
        XCTAssertLessThan(largest, 0.9, "block means are diluted")
        let scale = ColorScale.diverging(limit: largest)
        XCTAssertTrue(grid.text.contains(NumberFormat.tick(largest)), "the legend names the limit")
        for (x, y) in [(0, 0), (5, 3), (20, 10), (2, 1)] {
            let cell = grid[origin.x + x, origin.y + y]
            XCTAssertEqual(cell.scalar, "▀")
            XCTAssertEqual(cell.style.foreground, scale.color(mean(2 * y, x)), "pixel \(2 * y), \(x)")
            XCTAssertEqual(cell.style.background, scale.color(mean(2 * y + 1, x)), "pixel \(2 * y + 1), \(x)")
        }
        XCTAssertEqual(grid[origin.x + 1, origin.y].style.background, Theme.cursor, "the cursor at pixel (1, 1)")
        XCTAssertTrue(readout.contains(String(format: "= %+.3f", mean(1, 1))))
    }

    /// z shows one pixel per unit (the window scrolls with the cursor); o puts B's units in the
    /// order of their partners, so that each matched unit of A meets its partner on the diagonal.
    func testZoomAndAlignedOrder() throws {
        let (app, _) = try makeAlign()
        app.type("zo")
        // To the first column of the aligned order, so that the window starts at column 0.
        for _ in 0..<256 { app.handle(.char("h")) }
        let c = try relu1()
        let result = try ConvergentLearning.compare(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"),
            data: try DataSource.load("builtin:digits:test"), layerA: "relu1", layerB: "relu1")
        let order = result.bipartite.columnOrder
        var grid = app.frame()
        XCTAssertTrue(grid.text.contains("B's units beside their partners in A"))
        XCTAssertFalse(grid.text.contains("its cell"), "one unit per pixel")
        let origin = try mapOrigin(grid)
        let scale = ColorScale.diverging(limit: 1)
        for (x, y) in [(3, 2), (10, 10), (30, 5)] {
            XCTAssertEqual(grid[origin.x + x, origin.y + y].style.foreground, scale.color(c[2 * y][order[x]]))
            XCTAssertEqual(grid[origin.x + x, origin.y + y].style.background, scale.color(c[2 * y + 1][order[x]]))
        }
        // Each matched unit of A meets its partner on the diagonal.
        for pair in result.bipartite.pairs {
            XCTAssertEqual(order[pair.unitA], pair.unitB)
            XCTAssertEqual(c[pair.unitA][order[pair.unitA]], pair.correlation, accuracy: 1e-9)
        }
        let diagonal = try XCTUnwrap(result.bipartite.pairs.first { $0.unitA >= 10 && $0.unitA < 40 && $0.unitA % 2 == 0 })
        XCTAssertEqual(grid[origin.x + diagonal.unitA, origin.y + diagonal.unitA / 2].style.foreground, scale.color(diagonal.correlation))
        XCTAssertTrue(grid.text.contains(String(format: "A 0 × B %d: r = %+.3f", order[0], c[0][order[0]])), grid.text)
        XCTAssertEqual(grid[origin.x, origin.y].style.foreground, Theme.cursor)
        // Moving right walks the aligned order.
        app.handle(.char("l"))
        XCTAssertTrue(app.frame().text.contains(String(format: "A 0 × B %d: r = %+.3f", order[1], c[0][order[1]])))
        // Far down, the window scrolls: its first row is no longer unit 0.
        for _ in 0..<200 { app.handle(.char("j")) }
        grid = app.frame()
        XCTAssertTrue(grid.text.contains("A 200 × B"))
        XCTAssertNotEqual(grid[origin.x - 2, origin.y].scalar, "0")
    }

    /// n and p move both layers, N and P B's alone; c shows the spectral clusters.
    func testLayersAndClusters() throws {
        let (app, _) = try makeAlign()
        app.handle(.char("n"))
        app.handle(.char("n"))  // replaces the fc2 job with relu2's
        app.handle(.char("p"))  // fc2 again: computed, not remembered as cancelled
        app.finishJobs()
        var text = app.frame().text
        XCTAssertTrue(text.contains("A demo:mlp-1 fc2 [256] × B demo:mlp-2 fc2 [256]"), text)
        XCTAssertTrue(text.contains("bipartite"), text)
        app.handle(.char("N"))
        app.finishJobs()
        text = app.frame().text
        XCTAssertTrue(text.contains("A demo:mlp-1 fc2 [256] × B demo:mlp-2 relu2 [256]"), text)
        app.handle(.char("c"))
        app.finishJobs()
        text = app.frame().text
        let r = try ConvergentLearning.compare(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), data: try DataSource.load("builtin:digits:test"),
            layerA: "fc2", layerB: "relu2", options: ConvergentOptions(methods: [.spectral]))
        let s = try XCTUnwrap(r.spectral)
        XCTAssertTrue(text.contains("spectral clusters (c: matchings)"), text)
        XCTAssertTrue(
            text.contains("\(s.clusters.count)\(s.chosenByEigengap ? " (by the eigengap)" : ""), \(s.sharedClusters) shared by A and B"),
            text)
        let first = s.clusters[0]
        XCTAssertTrue(
            text.contains(String(format: "%3d  %7d  %7d  %8.3f", 0, first.unitsA.count, first.unitsB.count, first.meanAbsoluteCorrelation)))
        for _ in 0..<10 { app.handle(.char("p")) }
        app.finishJobs()
        XCTAssertTrue(app.frame().text.contains("A demo:mlp-1 fc1 [256] × B demo:mlp-2 fc1 [256]"))
    }

    /// t tests both matchings against shuffled samples: the panel shows the null the library
    /// computes for the same pair and seed.
    func testMatchingsAgainstShuffledSamples() throws {
        let (app, _) = try makeAlign()
        app.handle(.char("t"))
        app.finishJobs()
        let r = try ConvergentLearning.compare(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), data: try DataSource.load("builtin:digits:test"),
            layerA: "relu1", layerB: "relu1", options: ConvergentOptions(permutations: 99))
        let text = app.frame().text
        for m in [r.bipartite, r.semi] {
            let null = try XCTUnwrap(m.null)
            XCTAssertEqual(null.permutations, 99)
            XCTAssertTrue(text.contains("\(m.kind.rawValue): \(null.text)"), text)
        }
        XCTAssertEqual(r.bipartite.null?.pValue, 0.01)
        app.handle(.char("t"))
        XCTAssertFalse(app.frame().text.contains("bipartite: p "), "t again turns the test off")
    }

    func testOneModelSaysItNeedsTwo() throws {
        let (app, _) = try makeAlign(compare: false)
        let text = app.frame().text.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(text.contains("compares two models"), text)
        XCTAssertTrue(text.contains("loupe tui A --compare B"))
        XCTAssertNil(app.currentView?.exportTable())
        app.handle(.char("n"))
        XCTAssertTrue(app.statusMessage?.contains("does nothing here") ?? false)
    }

    /// `e` writes every pair of units: its correlation, its aligned place and the matchings' picks.
    func testExport() throws {
        let (app, dir) = try makeAlign()
        app.run(command: "export align.csv")
        let lines = try String(contentsOf: dir.appendingPathComponent("align.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines[0], "model_a,layer_a,unit_a,model_b,layer_b,unit_b,correlation,aligned_position,bipartite,semi")
        XCTAssertEqual(lines.count, 1 + 256 * 256)
        let c = try relu1()
        let result = try ConvergentLearning.compare(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"),
            data: try DataSource.load("builtin:digits:test"), layerA: "relu1", layerB: "relu1")
        let pair = result.bipartite.pairs[5]
        let fields = lines[1 + pair.unitA * 256 + pair.unitB].split(separator: ",").map(String.init)
        XCTAssertEqual(Array(fields[0...5]), ["demo:mlp-1", "relu1", "\(pair.unitA)", "demo:mlp-2", "relu1", "\(pair.unitB)"])
        XCTAssertEqual(Double(fields[6])!, c[pair.unitA][pair.unitB], accuracy: 1e-9)
        XCTAssertEqual(Int(fields[7]), pair.unitA, "aligned, the partner stands on the diagonal")
        XCTAssertEqual(fields[8], "1")
        let picks = lines.dropFirst().filter { $0.hasSuffix(",1,0") || $0.hasSuffix(",1,1") }.count
        XCTAssertEqual(picks, result.bipartite.pairs.count)
    }

    func testSessionRoundTrip() throws {
        let (app, _) = try makeAlign()
        app.type("nN")
        app.finishJobs()
        app.type("ozcjjl")
        let before = app.frame().text
        let session = try app.session(named: "align")
        let (restored, _) = try makeApp(self, tabs: session.tabs)
        XCTAssertEqual(restored.frame().text, before)
        let settings = try XCTUnwrap(restored.currentView as? AlignView).settings
        XCTAssertEqual(settings.layerA, "fc2")
        XCTAssertEqual(settings.layerB, "relu2")
        XCTAssertTrue(settings.aligned && settings.zoomed && settings.clusters)
        XCTAssertEqual(settings.unitA, 2)
    }

    func testSizes() throws {
        let (app, _) = try makeAlign()
        for (w, h) in [(200, 60), (120, 40), (80, 24), (60, 16), (40, 12), (30, 8)] {
            let text = app.frame(w, h).text
            XCTAssertTrue(text.contains("A demo:mlp-1") || w < 60, "\(w)×\(h)")
        }
        let small = app.frame(80, 24).text
        XCTAssertTrue(small.contains("A 0 × B 0: r = "), small)
        XCTAssertTrue(small.contains("bipartite"), small)
        let (mono, _) = try makeAlign(colors: .monochrome)
        let grid = mono.frame()
        let origin = try mapOrigin(grid)
        XCTAssertTrue(Set(ColorScale.ramp).contains(grid[origin.x + 3, origin.y + 3].scalar))
    }
}
