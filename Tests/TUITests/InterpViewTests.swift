import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import Workbench
import XCTest

final class InterpViewTests: XCTestCase {
    let data = try! DataSource.load("builtin:digits:test")

    func makeInterpApp(settings: JSONValue = .null) throws -> (App, URL) {
        try makeApp(self, compare: false, tabs: [Session.Tab(kind: "interp", settings: settings)])
    }

    /// A_c(x), the gradient of score c at x (the network is piecewise linear), from a backward
    /// pass: independent of the interpreter's Float64 Jacobian.
    func template(_ network: Network<Float>, sample: Int, class c: Int) -> [Double] {
        let x = data.x.rows([sample])
        var onehot = Matrix<Float>(rows: 1, cols: network.outputSize)
        onehot[0, c] = 1
        return network.backward(trace: network.trace(x), gradient: onehot, at: network.scoreIndex).input.row(0).map(Double.init)
    }

    /// The chosen class's votes A_c ⊙ x beside the input, the decomposition f = Σ votes + b
    /// with a residual at rounding level, and every class's template on one shared scale.
    func testVotesDecompositionAndTemplates() throws {
        let (app, _) = try makeInterpApp()
        let grid = app.frame()
        let text = grid.text
        let cnn = try DemoModels.load("cnn")
        let scores = cnn.scores(data.x.rows([0]))
        let c = scores.rowArgmax()[0]
        XCTAssertTrue(text.contains("demo:cnn · sample 0 of 0…448 · label \(data.labels![0]) · predicted \(c) · max |residual|"), text)
        XCTAssertLessThan(try XCTUnwrap(number(after: "max |residual|", in: grid)), 1e-10)

        let x = data.x.row(0).map(Double.init)
        let a = template(cnn, sample: 0, class: c)
        let votes = zip(a, x).map(*)
        let f = Double(scores[0, c])
        let sumVotes = votes.reduce(0, +)
        XCTAssertTrue(text.contains("class \(c) (predicted): f = Σ votes + b"))
        XCTAssertEqual(try XCTUnwrap(number(after: "f_\(c)(x)", in: grid)), f, accuracy: 1e-3 * abs(f))
        XCTAssertEqual(try XCTUnwrap(number(after: "Σ_i A_i x_i", in: grid)), sumVotes, accuracy: 1e-3 * abs(sumVotes))
        XCTAssertEqual(try XCTUnwrap(number(after: "b_\(c)(x)", in: grid)), f - sumVotes, accuracy: 1e-3 * abs(f - sumVotes))

        // The votes map, magnified like the input.
        let title = try XCTUnwrap(grid.find("votes A_\(c) ⊙ x"))
        let m = magnification(grid, at: (title.x, title.y + 1))
        XCTAssertGreaterThan(m, 1)
        // One step per channel of tolerance: the view's votes are Float64, these Float32.
        assertMapCells(
            grid, at: (title.x, title.y + 1), magnification: m, values: votes,
            scale: .diverging(limit: votes.map(abs).max()!), cells: [(0, 0), (2 * m, m), (5 * m + 1, 3 * m), (7 * m, 4 * m - 1)],
            tolerance: 1)

        // Every class's template under its label "class logit", all on ±max |A|.
        let templates = (0..<10).map { template(cnn, sample: 0, class: $0) }
        let scale = ColorScale.diverging(limit: templates.joined().map(abs).max()!)
        XCTAssertTrue(text.contains("templates A_c(x) of every class, one scale"))
        for k in [0, c, 9] {
            let label = try XCTUnwrap(grid.find("\(k) \(NumberFormat.readable(Double(scores[0, k])))"), "class \(k)")
            let g = magnification(grid, at: (label.x, label.y + 1))
            XCTAssertGreaterThan(g, 0)
            assertMapCells(
                grid, at: (label.x, label.y + 1), magnification: g, values: templates[k], scale: scale,
                cells: [(0, 0), (3 * g, g), (6 * g, 2 * g)], tolerance: 1)
        }
        // The table: a row per class, logit = Σ votes + bias.
        let row = try XCTUnwrap(grid.find("class    logit"))
        XCTAssertTrue(grid.text(row: row.y + 1 + c).contains(NumberFormat.readable(f)))
    }

    func testKeys() throws {
        let (app, _) = try makeInterpApp()
        app.type("tt")  // label, then class 0
        var text = app.frame().text
        XCTAssertTrue(text.contains("class 0: f = Σ votes + b"), text)
        app.handle(.char("j"))
        XCTAssertTrue(app.frame().text.contains("class 1: f = Σ votes + b"))
        app.handle(.down)
        app.handle(.up)
        app.handle(.char("k"))
        XCTAssertTrue(app.frame().text.contains("class 0: f = Σ votes + b"))
        app.handle(.char("T"))
        XCTAssertEqual((app.currentView as? InterpView)?.settings.target, .label)
        app.handle(.char("T"))
        XCTAssertEqual((app.currentView as? InterpView)?.settings.target, .predicted)
        app.handle(.char("v"))
        XCTAssertTrue(app.frame().text.contains("votes A_c ⊙ x of every class, one scale (v: templates)"))
        app.handle(.char("v"))
        XCTAssertTrue(app.frame().text.contains("templates A_c(x) of every class"))
        app.type("nN")
        text = app.frame().text
        XCTAssertTrue(text.contains("sample 11 of 0…448 · label \(data.labels![11])"), text)
        app.type("Pp")
        XCTAssertTrue(app.frame().text.contains("sample 0 of 0…448"))
        stepPastTheLaterDemos(app, "m")  // after demo:cnn and the later demos: the workspace's MLP
        text = app.frame().text
        XCTAssertTrue(text.contains("demo:mlp-1 · sample 0 of 0…448"), text)
        XCTAssertTrue(text.contains("bias from fc3"))
        stepPastTheLaterDemos(app, "M")
        XCTAssertTrue(app.frame().text.contains("demo:cnn · sample 0 of 0…448"))
    }

    /// A network that is not piecewise linear gets the interpreter's refusal, not a hang.
    func testRefusesANetworkThatIsNotPiecewiseLinear() throws {
        var settings = InterpView.Settings()
        settings.model = "demo:bilinear"
        let (app, _) = try makeInterpApp(settings: try JSONValue(encoding: settings))
        let text = app.frame().text.replacingOccurrences(of: "\n", with: " ")
        XCTAssertTrue(text.contains("needs a piecewise-linear network"), text)
        XCTAssertTrue(text.contains("m picks another model"))
        XCTAssertNil(app.currentView?.exportTable())
    }

    /// `e` writes the table: a row per class with logit, Σ votes, bias, residual and the bias shares.
    func testExport() throws {
        let (app, dir) = try makeInterpApp()
        app.handle(.char("n"))
        app.handle(.char("e"))
        let message = try XCTUnwrap(app.statusMessage)
        XCTAssertTrue(message.hasPrefix("exported 10 rows × 12 columns to \(dir.path)/loupe-interp-"), message)
        let lines = try String(contentsOfFile: String(message.split(separator: " ").last!), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(
            lines[0], "model,sample,label,predicted,class,logit,votes_sum,bias,residual,bias_from_conv1,bias_from_conv2,bias_from_fc1")
        let cnn = try DemoModels.load("cnn")
        let scores = cnn.scores(data.x.rows([1]))
        for c in 0..<10 {
            let fields = lines[1 + c].split(separator: ",").map(String.init)
            XCTAssertEqual(Array(fields[0..<5]), ["demo:cnn", "1", "\(data.labels![1])", "\(scores.rowArgmax()[0])", "\(c)"])
            let (logit, votes, bias, residual) = (Double(fields[5])!, Double(fields[6])!, Double(fields[7])!, Double(fields[8])!)
            XCTAssertEqual(logit, Double(scores[0, c]), accuracy: 1e-4 * max(abs(logit), 1))
            XCTAssertEqual(
                votes, zip(template(cnn, sample: 1, class: c), data.x.row(1)).map { $0 * Double($1) }.reduce(0, +),
                accuracy: 1e-4 * max(abs(votes), 1))
            XCTAssertEqual(votes + bias - logit, residual, accuracy: 1e-12)
            XCTAssertLessThan(abs(residual), 1e-10)
            XCTAssertEqual(fields[9..<12].map { Double($0)! }.reduce(0, +), bias, accuracy: 1e-12)
        }
    }

    func testSessionRoundTrip() throws {
        let (app, dir) = try makeInterpApp()
        app.type("nnjjjv")
        app.run(command: "save interp")
        let session = try SessionStore(directory: dir.appendingPathComponent("Sessions")).load("interp")
        let saved = try session.tabs[0].settings.decode(InterpView.Settings.self)
        XCTAssertEqual(saved.model, "demo:cnn")
        XCTAssertEqual(saved.sample, 2)
        XCTAssertEqual(saved.grid, .votes)
        let (restored, _) = try makeApp(self, compare: false, tabs: session.tabs)
        XCTAssertEqual((restored.currentView as? InterpView)?.settings, saved)
        XCTAssertEqual(mainArea(restored), mainArea(app))
    }

    func testSizes() throws {
        let (app, _) = try makeInterpApp()
        for (w, h) in [(200, 60), (120, 40), (80, 24), (60, 20), (40, 12), (30, 8), (1, 1)] {
            let text = app.frame(w, h).text
            if w >= 80 {
                for needle in ["demo:cnn · sample 0 of 0…448", "f_3(x)", "residual", "templates A_c(x)", "class    logit"] {
                    XCTAssertTrue(text.contains(needle), "\(w)×\(h): \(needle)\n\(text)")
                }
            }
        }
    }
}
