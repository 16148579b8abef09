import Figures
import Foundation
import Interpret
import LinAlg
import TUI
import TensorIO
import TestSupport
import Transformers
import Workbench
import XCTest

/// The Latents and Prompt views on the random test GPT-2 with an SAE whose latent 1 is planted
/// on one token's embedding (it fires there, with value ‖e‖²/2, and nowhere else).
final class LatentViewsTests: XCTestCase {
    let checkpoint = fixtures.appendingPathComponent("transformers/gpt2")

    private func makeApp() throws -> (App, Workspace, planted: Int, value: Float) {
        let dir = try temporaryDirectory(self)
        try TextWorkbenchTests.lines.joined(separator: "\n").write(
            to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        let model = try Transformer.load(checkpoint)
        let planted = try XCTUnwrap(model.tokenizer?.encode("The", addSpecialTokens: false).first)
        let e = try XCTUnwrap(model.run([planted], keeping: ["hook_embed"]).hooks["hook_embed"]).row(0).map { $0 }
        let norm = e.reduce(0) { $0 + $1 * $1 }
        var encoder = Matrix<Float>(rows: 4, cols: 64), decoder = Matrix<Float>(rows: 4, cols: 64)
        encoder.setRow(1, e)
        decoder.setRow(1, e)
        let sae = SparseAutoencoder(
            architecture: .standard, encoder: encoder, encoderBias: [-1, -norm / 2, -1, -1], decoder: decoder,
            decoderBias: [Float](repeating: 0, count: 64))
        try SAEFile.save(sae, info: SAEFileInfo(layer: "hook_embed"), to: dir.appendingPathComponent("sae"))
        var plan = WorkspacePlan(models: [checkpoint.path], data: dir.appendingPathComponent("t.txt").path)
        plan.textReading.sae = dir.appendingPathComponent("sae").path
        try plan.preload()
        let workspace = try plan.load()
        let options = AppOptions(
            sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir, registry: .text)
        let app = App(workspace: workspace, options: options)
        settle(app)
        return (app, workspace, planted, norm / 2)
    }

    /// The screen once the work its first drawing asked for (a latent's dashboard) is done.
    private func look(_ app: App, _ width: Int, _ height: Int) -> Grid {
        _ = app.frame(width, height)
        settle(app)
        return app.frame(width, height)
    }

    func testLatentsTableAndDashboard() throws {
        let (app, workspace, planted, value) = try makeApp()
        try app.open("latents")
        settle(app)
        let ids = workspace.text!.contexts.joined()
        let density = Double(ids.filter { $0 == planted }.count) / Double(ids.count)
        XCTAssertGreaterThan(density, 0)
        let table = try XCTUnwrap(app.currentView?.exportTable())
        XCTAssertEqual(table.rows[1][1].number ?? .nan, density, accuracy: 1e-12)
        XCTAssertEqual(table.rows[1][2].number ?? .nan, Double(value), accuracy: 1e-6)
        XCTAssertEqual(table.rows[0][1].number, 0)
        for (width, height) in [(80, 24), (200, 60)] {
            app.handle(.down)
            let grid = look(app, width, height)
            XCTAssertNotNil(grid.find("latent 1 · fires on"), grid.text)
            XCTAssertNotNil(grid.find("promotes:"), grid.text)
            app.handle(.up)
        }
        // Sorted by density, latent 1 leads.
        app.type("lo")
        app.type("o")
        settle(app)
        XCTAssertNotNil(look(app, 200, 60).find("latent 1 · fires on"))
    }

    /// Type a prompt, select a token, see the latent active there, and jump to its dashboard.
    func testPromptToLatent() throws {
        let (app, _, _, value) = try makeApp()
        try app.open("prompt")
        settle(app)
        XCTAssertNotNil(app.frame(80, 24).find("i types a prompt"))
        app.type("i")
        app.type("The dog, and The fox")  // 'q' and digits are text here, not the workbench's keys
        app.handle(.enter)
        settle(app)
        for (width, height) in [(80, 24), (200, 60)] {
            let grid = app.frame(width, height)
            XCTAssertNotNil(grid.find("next after token"), grid.text)
        }
        // The last token is selected; go back to the first, "The".
        for _ in 0..<20 { app.handle(.left) }
        settle(app)
        let grid = app.frame(200, 60)
        XCTAssertNotNil(grid.find("1 latents of the SAE active at token 0"), grid.text)
        XCTAssertNotNil(grid.find("latent 1"), grid.text)
        XCTAssertNotNil(grid.find(NumberFormat.readable(Double(value))), grid.text)
        app.handle(.enter)
        settle(app)
        XCTAssertEqual(app.tabTitles[app.activeTabIndex], "Latents")
        let latents = look(app, 200, 60)
        XCTAssertNotNil(latents.find("latent 1 · fires on"), latents.text)
    }

    /// The SAE view of a text workspace trains a top-k SAE from the text as the model reads it,
    /// its figures on screen as it goes; then the latent views read the SAE it trained.
    func testTheSAEViewTrainsFromTheTextForTheLatentViews() throws {
        let dir = try temporaryDirectory(self)
        try TextWorkbenchTests.lines.joined(separator: "\n").write(
            to: dir.appendingPathComponent("t.txt"), atomically: true, encoding: .utf8)
        var plan = WorkspacePlan(models: [checkpoint.path], data: dir.appendingPathComponent("t.txt").path)
        try plan.preload()
        let workspace = try plan.load()
        let app = App(
            workspace: workspace,
            options: AppOptions(
                sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir, registry: .text))
        settle(app)
        try app.open("sae")
        settle(app)
        XCTAssertNotNil(app.frame(80, 24).find("t trains it from"), app.frame(80, 24).text)
        XCTAssertNil(workspace.sae)
        for _ in 0..<4 { app.handle(.char("<")) }  // 300 steps → the fewest, 25
        app.handle(.char("H"))  // the hook point before blocks.1.hook_resid_post
        app.handle(.char("t"))
        settle(app)
        let hook = try XCTUnwrap(workspace.sae?.hook)
        XCTAssertEqual(hook, "blocks.1.hook_mlp_out")
        XCTAssertEqual(workspace.sae?.sae.latentCount, 8 * 64)
        XCTAssertEqual(workspace.sae?.sae.k, 16)
        for (width, height) in [(80, 24), (200, 60)] {
            let grid = app.frame(width, height)
            XCTAssertNotNil(grid.find("step 25/25"), grid.text)
            XCTAssertNotNil(grid.find("tokens/s"), grid.text)
        }
        XCTAssertNotNil(app.frame(200, 60).find("done: the Latents and Prompt views read SAE 1 trained here on \(hook)"))
        try app.open("latents")
        settle(app)
        XCTAssertEqual(app.currentView?.exportTable()?.rows.count, 8 * 64)
    }
}
