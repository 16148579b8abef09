import Figures
import Foundation
import LinAlg
import TUI
import TestSupport
import Transformers
import Workbench
import XCTest

/// The workbench on a transformer checkpoint (the random test GPT-2) and a text: its own views
/// show what the model computes, checked against the model run here, and the network methods
/// say in one line why they do not apply.
final class TextWorkbenchTests: XCTestCase {
    static let checkpoint = fixtures.appendingPathComponent("transformers/gpt2")
    static let lines = [
        "The quick brown fox jumps over the lazy dog, and the dog does not mind at all.",
        "Interpretability asks what a network computes, one layer and one unit at a time.",
        "let x = [1, 2, 3].map { $0 * 2 }  // Swift code reads like this",
        "",
        "A second paragraph: tokens, contexts, and positions trace back to the text."
    ]

    private func makeTextApp(colors: ColorMode = .truecolor) throws -> (App, Workspace, URL) {
        let dir = try temporaryDirectory(self)
        let text = dir.appendingPathComponent("text.txt")
        try Self.lines.joined(separator: "\n").write(to: text, atomically: true, encoding: .utf8)
        var plan = WorkspacePlan(models: [Self.checkpoint.path], data: text.path)
        XCTAssertTrue(plan.isText)
        try plan.preload()
        let workspace = try plan.load()
        let options = AppOptions(
            sessions: SessionStore(directory: dir.appendingPathComponent("Sessions")), exportDirectory: dir, registry: .text)
        let app = App(workspace: workspace, options: options, colors: colors)
        settle(app)
        return (app, workspace, dir)
    }

    /// The contexts are the text's non-blank lines, tokenised as `loupe forward --text` does.
    func testContextsAreTheLinesTokenised() throws {
        let (_, workspace, _) = try makeTextApp()
        let text = try XCTUnwrap(workspace.text)
        let tokenizer = try XCTUnwrap(workspace.textModels[0].transformer.tokenizer)
        XCTAssertEqual(text.documents, [0, 1, 2, 4])
        for (c, line) in [0, 1, 2, 4].enumerated() {
            XCTAssertEqual(text.contexts[c], try tokenizer.encode(Self.lines[line], addSpecialTokens: true))
        }
    }

    func testEveryViewWorksOrSaysWhy() throws {
        let (app, _, _) = try makeTextApp()
        XCTAssertEqual(
            app.tabTitles,
            [
                "Overview", "Activations", "Logit lens", "Attention", "Prompt", "Latents", "SAE", "CKA", "Align", "LRP", "Interp",
                "Bilinear", "Re-Basin"
            ])
        var seen: [String: String] = [:]
        for title in app.tabTitles {
            settle(app)
            seen[title] = app.frame(200, 60).text
            app.handle(.tab)
        }
        XCTAssertTrue(seen["LRP"]!.contains("LRP does not apply to transformers yet"), seen["LRP"]!)
        XCTAssertTrue(seen["Interp"]!.contains("linear interpreter does not apply to transformers yet"))
        XCTAssertTrue(seen["Bilinear"]!.contains("needs a bilinear layer"))
        XCTAssertTrue(seen["Re-Basin"]!.contains("Re-Basin does not apply to transformers yet"))
        XCTAssertTrue(seen["CKA"]!.contains("loupe cka"))
        XCTAssertTrue(seen["SAE"]!.contains("t trains it from"), seen["SAE"]!)
        // The sidebar names the model's shape and the text.
        XCTAssertTrue(seen["Overview"]!.contains("gpt2 · 2 blocks · d 64"), seen["Overview"]!)
        XCTAssertTrue(seen["Overview"]!.contains("4 contexts"))
    }

    /// The Overview's next-token loss is the mean cross-entropy of the model's logits, here
    /// computed from them in Double.
    func testOverviewLossIsTheMeanNextTokenCrossEntropy() throws {
        let (app, workspace, _) = try makeTextApp()
        let transformer = workspace.textModels[0].transformer
        var total = 0.0, count = 0
        for ids in workspace.text!.contexts {
            let logits = try XCTUnwrap(transformer.run(ids, keeping: ["logits"]).hooks["logits"])
            for t in 0..<ids.count - 1 {
                let row = logits.row(t).map(Double.init)
                let top = row.max()!
                total += top + log(row.reduce(0) { $0 + exp($1 - top) }) - row[ids[t + 1]]
                count += 1
            }
        }
        let screen = app.frame(200, 60).text
        XCTAssertTrue(screen.contains(String(format: "next-token loss %.4f nats", total / Double(count))), screen)
        XCTAssertTrue(screen.contains("over \(count) predictions"))
        for hook in ["blocks.0.hook_resid_pre", "blocks.1.hook_resid_post", "ln_final.hook_normalized"] {
            XCTAssertNotNil(app.frame(200, 60).find(hook), hook)
        }
    }

    /// Each token's background is the selected unit's activation there, on one diverging scale
    /// for the whole text; the unit's values are the model's at that hook point.
    func testActivationsColourEachTokenByTheUnit() throws {
        let (app, workspace, _) = try makeTextApp()
        app.handle(.tab)
        settle(app)
        press(app, "jlln")  // the hook point after the default, unit 2, the second context
        let grid = app.frame(200, 60)
        let transformer = workspace.textModels[0].transformer
        let hook = "blocks.1.hook_mlp_out"
        XCTAssertNotNil(grid.find("\(hook) [64] · unit 2 · context 2/4 (line 2)"), grid.text)
        let ids = workspace.text!.contexts[1]
        let all = try workspace.text!.contexts.map { try XCTUnwrap(transformer.run($0, keeping: [hook]).hooks[hook]).column(2) }
        let limit = Double(all.joined().map { abs($0) }.max()!)
        let mine = all[1]
        // The text starts on the screen's fourth row of the view; find its first token.
        let first = TokenTextProbe.shown(ids[0], workspace)
        let at = try XCTUnwrap(grid.find(first + TokenTextProbe.shown(ids[1], workspace)), grid.text)
        XCTAssertEqual(grid[at.x, at.y].style.background, ColorScale.diverging(limit: limit).color(Double(mine[0])))
        let second = at.x + first.unicodeScalars.count
        XCTAssertEqual(grid[second, at.y].style.background, ColorScale.diverging(limit: limit).color(Double(mine[1])))
        // The export holds the same numbers.
        let table = try XCTUnwrap(app.currentView?.exportTable())
        XCTAssertEqual(table.rows.count, ids.count)
        for (p, row) in table.rows.enumerated() { XCTAssertEqual(row.last?.number ?? .nan, Double(mine[p]), accuracy: 1e-6) }
        // t goes to the context where the unit is largest.
        press(app, "t")
        let best = all.indices.max { all[$0].max()! < all[$1].max()! }!
        XCTAssertNotNil(app.frame(200, 60).find("context \(best + 1)/4"))
    }

    /// The logit lens of the last block's stream is the model's own prediction: its top token
    /// at each position is the argmax of the logits, with the softmax probability.
    func testLogitLensOfTheLastBlockIsTheModelsPrediction() throws {
        let (app, workspace, _) = try makeTextApp()
        app.handle(.tab)
        app.handle(.tab)
        settle(app)
        let transformer = workspace.textModels[0].transformer
        let ids = workspace.text!.contexts[0]
        let logits = try XCTUnwrap(transformer.run(ids, keeping: ["logits"]).hooks["logits"])
        let table = try XCTUnwrap(app.currentView?.exportTable(), app.frame().text)
        let lastBlock = table.rows.filter { $0[2] == .text("block 1") && $0[5] == .integer(1) }
        XCTAssertEqual(lastBlock.count, ids.count)
        for (p, row) in lastBlock.enumerated() {
            let values = logits.row(p).map(Double.init)
            let best = values.indices.max { values[$0] < values[$1] }!
            let top = values[best]
            XCTAssertEqual(row[6], .text(transformer.tokenizer!.decode([best], skipSpecialTokens: false)))
            XCTAssertEqual(row[7].number!, 1 / values.reduce(0) { $0 + exp($1 - top) }, accuracy: 1e-6)
            if p + 1 < ids.count {
                let next = values[ids[p + 1]]
                XCTAssertEqual(row[9], .integer(1 + values.filter { $0 > next }.count))
            }
        }
        // Every layer's row of the selected token is on screen, with the next token's rank.
        press(app, "l")
        let grid = app.frame(200, 60)
        for layer in ["embed", "block 0", "block 1"] { XCTAssertNotNil(grid.find(layer), layer) }
        XCTAssertNotNil(grid.find("token 1 '"), grid.text)
    }

    /// The attention heatmap's numbers are the model's pattern: causal, each row summing to 1.
    func testAttentionPatternIsTheModels() throws {
        let (app, workspace, _) = try makeTextApp()
        for _ in 0..<3 { app.handle(.tab) }
        settle(app)
        press(app, "Jll")  // block 1, head 2
        let transformer = workspace.textModels[0].transformer
        let ids = workspace.text!.contexts[0]
        let pattern = try XCTUnwrap(transformer.run(ids, keeping: ["blocks.1.attn.hook_pattern"]).hooks["blocks.1.attn.hook_pattern"])
        let table = try XCTUnwrap(app.currentView?.exportTable(), app.frame().text)
        XCTAssertEqual(table.rows.count, ids.count * ids.count)
        for row in table.rows {
            guard case .integer(let q) = row[4], case .integer(let k) = row[6] else { return XCTFail("\(row)") }
            XCTAssertEqual(row[2], .integer(1))
            XCTAssertEqual(row[8].number!, Double(pattern[2 * ids.count + q, k]), accuracy: 1e-7)
            if k > q { XCTAssertEqual(row[8].number!, 0) }
        }
        for q in ids.indices {
            let sum = table.rows.filter { $0[4] == .integer(q) }.reduce(0.0) { $0 + $1[8].number! }
            XCTAssertEqual(sum, 1, accuracy: 1e-5)
        }
        XCTAssertNotNil(app.frame(200, 60).find("block 1/1 · head 2/3"))
    }

    /// Every text view draws at 80×24 without running off its area, with and without colour.
    func testTextViewsAtEightyByTwentyFour() throws {
        for colors in [ColorMode.truecolor, .monochrome] {
            let (app, _, _) = try makeTextApp(colors: colors)
            for _ in 0..<4 {
                settle(app)
                let grid = app.frame(80, 24)
                XCTAssertFalse(grid.text.contains("running the text"), grid.text)
                XCTAssertFalse(grid.text.contains("computing"), grid.text)
                app.handle(.tab)
            }
        }
    }

    /// demo:gpt2-tiny opens on the lines of its corpus its training held out.
    func testTextDemoOpensOnItsHeldOutLines() throws {
        var plan = WorkspacePlan(models: ["demo:gpt2-tiny"], data: TextDemo.corpus.path)
        plan.textReading.everyKthLine = TextDemo.holdOutEvery
        try plan.preload()
        let workspace = try plan.load()
        let text = try XCTUnwrap(workspace.text)
        XCTAssertEqual(text.contexts.count, TextSample.maxContexts)
        XCTAssertTrue(text.documents.allSatisfy { $0 % TextDemo.holdOutEvery == TextDemo.holdOutEvery - 1 }, "\(text.documents)")
        XCTAssertEqual(workspace.textModels[0].transformer.config.layers, 4)
    }

    /// A network and a checkpoint in one workspace, or a checkpoint without text, are one line each.
    func testMixedOrTextlessWorkspacesAreRefused() throws {
        var mixed = WorkspacePlan(models: ["demo:mlp-1", Self.checkpoint.path], data: "x.txt")
        XCTAssertThrowsError(try mixed.preload()) { XCTAssertTrue("\($0)".contains("compares models of one kind"), "\($0)") }
        var textless = WorkspacePlan(models: [Self.checkpoint.path], data: "builtin:digits:test")
        XCTAssertThrowsError(try textless.preload()) { XCTAssertTrue("\($0)".contains("give --text FILE"), "\($0)") }
    }
}

/// A token as the text views show it (decoded alone, controls made visible).
enum TokenTextProbe {
    static func shown(_ id: Int, _ workspace: Workspace) -> String {
        let text = workspace.textModels[0].transformer.tokenizer!.decode([id], skipSpecialTokens: false)
        return text.replacingOccurrences(of: "\n", with: "↵").replacingOccurrences(of: "\t", with: "→")
    }
}
