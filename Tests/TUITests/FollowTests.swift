import Figures
import Foundation
import Interpret
import LinAlg
import Networks
import TUI
import Workbench
import XCTest

/// `@` follows the SAE latent (or Align unit) under the cursor into LRP, Align, Re-Basin and
/// Bilinear, and Backspace walks the trail back; each view shows what `LatentTrail` computes for
/// the same latent of the same seeded SAE (trained here as the SAE view trains it).
final class FollowTests: XCTestCase {
    func app(width: Int = 200, height: Int = 60) throws -> App {
        let tabs = try [
            Session.Tab(kind: "sae", settings: JSONValue(encoding: SAEViewTests.settings())), Session.Tab(kind: "lrp", settings: .null),
            Session.Tab(kind: "align", settings: .null), Session.Tab(kind: "rebasin", settings: .null)
        ]
        let (app, _) = try makeApp(self, tabs: tabs)
        settle(app)
        return app
    }

    /// The latent `@` offers to follow, as its prompt names it.
    func followedLatent(_ app: App) throws -> Int {
        app.type("@")
        let text = app.frame().text
        let match = try XCTUnwrap(
            text.firstMatch(of: #/follow latent (\d+) of relu1 to: l LRP map · a partner in B · r Re-Basin unit · b bilinear eigenvector/#),
            text)
        return Int(match.1)!
    }

    func testFromALatentToItsLRPMapItsPartnerAndBack() throws {
        let app = try app()
        let j = try followedLatent(app)
        let ref = try SAEViewTests.reference(SAEViewTests.settings())
        let (a, b) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"))
        let data = try DataSource.load("builtin:digits:test")
        let trail = try LatentTrail.follow(.latent(j), layer: "relu1", of: a, sae: ref.sae, data: data, b: b)

        // l: the LRP view explains the latent's direction on its top sample.
        press(app, "l")
        let lrp = try XCTUnwrap(app.currentView as? LRPView)
        var text = app.frame().text
        XCTAssertTrue(text.contains("demo:mlp-1 · sample \(trail.topSample) of 0…448"), text)
        XCTAssertTrue(text.contains("target latent \(j) of relu1: its direction u, u·h(x) at relu1"), text)
        XCTAssertTrue(text.contains("trail: SAE: latent \(j) of relu1 → LRP: sample \(trail.topSample), where it is largest"), text)
        let table = try XCTUnwrap(lrp.exportTable())
        let column = try XCTUnwrap(table.columns.firstIndex { $0.name == "relevance" })
        let shown = table.rows.map { $0[column].number! }
        XCTAssertEqual(shown.count, trail.relevance.count)
        for (s, t) in zip(shown, trail.relevance) { XCTAssertEqual(s, Double(t), accuracy: 1e-6) }

        // Backspace: back at the SAE view, the same latent still under the cursor.
        app.handle(.backspace)
        XCTAssertTrue(app.currentView is SAEView)
        XCTAssertTrue(app.frame().text.contains("back at SAE: latent \(j) of relu1"))

        // a: the Align view, cursor on the unit the latent writes to most and its partner in B.
        XCTAssertEqual(try followedLatent(app), j)
        press(app, "a")
        XCTAssertTrue(app.currentView is AlignView)
        let partner = try XCTUnwrap(trail.partner)
        text = app.frame().text
        let r = NumberFormat.readable(partner.correlation, digits: 3)
        XCTAssertTrue(
            text.contains(
                "latent \(j) of relu1: writes most to A unit \(trail.strongestUnit); its best partner in B is unit \(partner.unit) (r \(r))"
            ),
            text)
        XCTAssertTrue(text.contains("A \(trail.strongestUnit) × B \(partner.unit): r = "), text)
        XCTAssertTrue(text.contains("trail: SAE: latent \(j) of relu1 → Align: B unit \(partner.unit) (r \(r))"), text)

        // From the Align unit on to its LRP map: the trail grows, and walks back step by step.
        press(app, "@l")
        XCTAssertTrue(app.currentView is LRPView)
        let unitTrail = try LatentTrail.follow(.unit(trail.strongestUnit), layer: "relu1", of: a, data: data)
        text = app.frame().text
        XCTAssertTrue(
            text.contains(
                "trail: SAE: latent \(j) of relu1 → Align: B unit \(partner.unit) (r \(r)) → LRP: sample \(unitTrail.topSample), where it is largest"
            ),
            text)
        XCTAssertTrue(text.contains("target unit \(trail.strongestUnit) of relu1"), text)
        app.handle(.backspace)
        XCTAssertTrue(app.currentView is AlignView)
        app.handle(.backspace)
        XCTAssertTrue(app.currentView is SAEView)
        app.handle(.backspace)
        XCTAssertTrue(app.frame().text.contains("no trail to walk back"))
    }

    func testReBasinAndTheBilinearEigenvectorWhereThereIsNone() throws {
        let app = try app()
        let j = try followedLatent(app)
        let ref = try SAEViewTests.reference(SAEViewTests.settings())
        let (a, b) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"))
        let groups = try GitRebasin.run(a, b).result.groups
        let trail = try LatentTrail.follow(
            .latent(j), layer: "relu1", of: a, sae: ref.sae, data: try DataSource.load("builtin:digits:test"), rebasin: groups)
        press(app, "r")
        XCTAssertTrue(app.currentView is RebasinView)
        let unit = try XCTUnwrap(trail.rebasinUnit)
        let text = app.frame().text
        XCTAssertTrue(
            text.contains(
                "latent \(j) of relu1: A unit \(trail.strongestUnit) (the unit it writes to most) ↔ B unit \(unit) under weight matching"),
            text)
        app.handle(.backspace)
        _ = try followedLatent(app)
        press(app, "b")
        XCTAssertTrue(app.currentView is SAEView, "nowhere to go: it stays")
        XCTAssertTrue(app.frame().text.contains("no bilinear layer of A demo:mlp-1 reads relu1"), app.frame().text)
        // Any other key after @ follows nothing.
        _ = try followedLatent(app)
        press(app, "z")
        XCTAssertTrue(app.currentView is SAEView)
    }

    /// At 80×24 the prompt and the trail wrap on the status line rather than being cut.
    func testSmallTerminal() throws {
        let app = try app()
        let j = try followedLatent(app)
        press(app, "l")
        let grid = app.frame(80, 24)
        let text = grid.text
        XCTAssertTrue(text.contains("Bksp: back"), text)
        XCTAssertTrue(text.contains("latent \(j) of"), text)
    }
}
