import Figures
import Foundation
import Interpret
import LoupeCLI
import Networks
import TUI
import TensorIO
import TestSupport
import Workbench
import XCTest

/// One result, four front ends: the workbench computes an SAE, a CKA matrix and a Re-Basin run
/// as a user would, then the command line's text and `--json`, a probe report's section and the
/// workbench's `E` export each render that result, and each must carry every figure of its
/// description (same value) and every caveat.
final class OneDescriptionTests: XCTestCase {
    /// A workbench on the demo models with one view, its jobs done.
    func workbench(_ kind: String, settings: JSONValue = .null) throws -> (App, URL) {
        let dir = try temporaryDirectory(self)
        let plan = WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2"], data: "builtin:digits:test")
        let app = App(
            workspace: try plan.load(), tabs: [Session.Tab(kind: kind, settings: settings)],
            options: AppOptions(sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir))
        for _ in 0..<10 where app.isBusy { app.finishJobs() }
        return (app, dir)
    }

    /// `E`: the CSV the workbench writes, as rows of cells.
    func exportFigures(_ app: App, _ dir: URL) throws -> [[String]] {
        app.handle(.char("E"))
        let message = try XCTUnwrap(app.statusMessage)
        XCTAssertTrue(message.hasPrefix("exported "), message)
        let path = String(try XCTUnwrap(message.split(separator: " ").last))
        return try CSVTable.readCells(URL(fileURLWithPath: path))
    }

    /// The figures and caveats of `--json`, read back as JSON (Codable reads doubles exactly).
    func json<T: Encodable>(_ result: T, _ sheet: FigureSheet) throws -> FigureSheet {
        let text = try Console.capture { try printJSON(result, figures: sheet) }
        XCTAssertEqual(text.split(separator: "\n").count, 1, "one JSON object on one line")
        return try JSONDecoder().decode(FigureSheet.self, from: Data(text.utf8))
    }

    /// Every figure and caveat of `sheet` in each front end's output.
    func assertEveryFrontEnd(
        _ sheet: FigureSheet, cliText: String, jsonOutput: FigureSheet,
        section: ReportSection, exported: [[String]], file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertFalse(sheet.figures.isEmpty, file: file, line: line)
        let cliLines = cliText.split(separator: "\n").map(String.init)
        let reportRows = section.tables.flatMap(\.rows)
        for f in sheet.figures {
            // The command line: a line with the figure's label and its value as text.
            XCTAssertTrue(
                cliLines.contains { $0.contains(f.label) && $0.contains(f.text) } || cliText.contains(f.text),
                "CLI text lacks \(f.path) = \(f.text)", file: file, line: line)
            // --json: the same key and the same value.
            XCTAssertEqual(jsonOutput[f.path], f, "JSON lacks \(f.path) = \(f.value)", file: file, line: line)
            // The report: a row with the figure's value, exactly.
            XCTAssertTrue(
                reportRows.contains { $0.contains(.number(f.value)) }, "report lacks \(f.path) = \(f.value)", file: file, line: line)
            // The workbench's export: section, key and the exact value.
            XCTAssertTrue(
                exported.contains { $0.count == 3 && $0[0] == f.section && $0[1] == f.key && Double($0[2]) == f.value },
                "export lacks \(f.path)", file: file, line: line)
        }
        for c in sheet.caveats {
            XCTAssertTrue(cliText.contains("note: " + c.text), "CLI text lacks caveat \(c.key)", file: file, line: line)
            XCTAssertTrue(jsonOutput.caveats.contains(c), "JSON lacks caveat \(c.key)", file: file, line: line)
            XCTAssertTrue(section.text.contains { $0.contains(c.text) }, "report lacks caveat \(c.key)", file: file, line: line)
            XCTAssertTrue(exported.contains { $0 == ["caveat", c.key, c.text] }, "export lacks caveat \(c.key)", file: file, line: line)
        }
        XCTAssertEqual(jsonOutput.figures.count, sheet.figures.count, file: file, line: line)
        XCTAssertEqual(
            exported.count, 1 + sheet.figures.count + sheet.caveats.count, "a header, then a row per figure and caveat", file: file,
            line: line)
    }

    func testAnSAEResult() throws {
        var settings = SAEView.Settings()
        settings.steps = 60
        let (app, dir) = try workbench("sae", settings: try JSONValue(encoding: settings))
        let report = try XCTUnwrap((app.currentView as? SAEView)?.report)
        let sheet = report.figures
        XCTAssertEqual(sheet.caveats.map(\.key), ["dark_matter.not_measured"], "449 samples are too few for dark matter on 256 features")
        assertEveryFrontEnd(
            sheet, cliText: TerminalText.sae(report), jsonOutput: try json(report, sheet),
            section: SAEMethod.section(report, on: "relu1"), exported: try exportFigures(app, dir))
    }

    func testACKAResult() throws {
        let (app, dir) = try workbench("cka")
        let view = try XCTUnwrap(app.currentView as? CKAView)
        let result = try XCTUnwrap(view.current)
        let m = try XCTUnwrap(view.figures)
        XCTAssertEqual(m, result.figures)
        assertEveryFrontEnd(
            m, cliText: TerminalText.cka(result, activations: false), jsonOutput: try json(result, m),
            section: CKAMethod.section(result, names: ["demo:mlp-1", "demo:mlp-2"]), exported: try exportFigures(app, dir))
    }

    /// A caveat on the way to every front end: minibatch CKA whose one batch holds all the data.
    func testACKACaveat() throws {
        let data = try DataSource.load("builtin:digits:test")
        let result = try LayerCKA.compute(
            try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), data: data, layersA: ["relu1"],
            layersB: ["relu1"], options: CKAOptions(kernel: .linear, debiased: true, batchSize: 1024))
        let sheet = result.figures
        XCTAssertEqual(sheet.caveats.map(\.key), ["cka.one_minibatch"])
        let exported = try CSVTable.readCells(
            { () -> URL in
                let url = try temporaryDirectory(self).appendingPathComponent("e.csv")
                try sheet.exactTable.writeCSV(to: url)
                return url
            }())
        assertEveryFrontEnd(
            sheet, cliText: TerminalText.cka(result, activations: false), jsonOutput: try json(result, sheet),
            section: CKAMethod.section(result, names: ["demo:mlp-1", "demo:mlp-2"]), exported: exported)
    }

    /// A permutation null on the way to every front end, for CKA and for mutual k-NN.
    func testACKANullAndMutualNeighbours() throws {
        let data = try DataSource.load("builtin:digits:test")
        for measure in CKAOptions.Measure.allCases {
            let result = try LayerCKA.compute(
                try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"), data: data, layersA: ["relu1", "relu2"],
                layersB: ["relu1", "relu2"], options: CKAOptions(measure: measure, permutations: 9))
            let sheet = result.figures
            XCTAssertEqual(sheet.figures.filter { $0.section == "p_value" }.count, 4)
            XCTAssertEqual(sheet["data.permutations"]?.value, 9)
            XCTAssertNotNil(sheet[result.figureKey("relu1", "relu2")])
            let exported = try CSVTable.readCells(
                { () -> URL in
                    let url = try temporaryDirectory(self).appendingPathComponent("e.csv")
                    try sheet.exactTable.writeCSV(to: url)
                    return url
                }())
            let cli = TerminalText.cka(result, activations: false)
            XCTAssertTrue(cli.contains("p \(sheet["p_value.relu1|relu1"]!.text), null \(sheet["null_mean.relu1|relu1"]!.text)"), cli)
            assertEveryFrontEnd(
                sheet, cliText: cli, jsonOutput: try json(result, sheet),
                section: CKAMethod.section(result, names: ["demo:mlp-1", "demo:mlp-2"]), exported: exported)
        }
    }

    func testARebasinResult() throws {
        let (app, dir) = try workbench("rebasin")
        let result = try XCTUnwrap((app.currentView as? RebasinView)?.current)
        let sheet = result.figures
        XCTAssertNotNil(sheet["barriers.loss_permuted"])
        assertEveryFrontEnd(
            sheet, cliText: TerminalText.rebasin(result), jsonOutput: try json(result, sheet),
            section: try RebasinMethod.section(result, names: ("demo:mlp-1", "demo:mlp-2")), exported: try exportFigures(app, dir))
    }
}
