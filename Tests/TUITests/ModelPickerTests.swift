import Networks
import TUI
import Workbench
import XCTest

final class ModelPickerTests: XCTestCase {
    func workspace() throws -> Workspace {
        try WorkspacePlan(models: ["demo:mlp-1", "demo:mlp-2"], data: "builtin:digits:test").load()
    }

    func testCandidatesAreTheWorkspaceThenTheOtherDemoModels() throws {
        let picker = ModelPicker(workspace: try workspace(), preferred: nil, fallback: "demo:cnn")
        XCTAssertEqual(picker.candidates, ["demo:mlp-1", "demo:mlp-2", "demo:bilinear", "demo:cnn"])
        XCTAssertEqual(picker.reference, "demo:mlp-1")
        XCTAssertNotNil(picker.network)
        picker.step(-1)
        XCTAssertEqual(picker.reference, "demo:cnn")
        picker.step(1)
        XCTAssertEqual(picker.reference, "demo:mlp-1")
    }

    func testAViewThatNeedsABilinearLayerStartsOnTheFallbackAndSkipsModelsWithout() throws {
        let hasBilinear: (Network<Float>) -> Bool = { net in
            net.layers.contains { if case .bilinear = $0.operation { return true } else { return false } }
        }
        let picker = ModelPicker(workspace: try workspace(), preferred: nil, fallback: "demo:bilinear", suits: hasBilinear)
        XCTAssertEqual(picker.reference, "demo:bilinear")
        // Models known not to fit are skipped: the workspace's MLPs, and the CNN once loaded (the
        // LRP view loads it; models are loaded once per process, so it may be loaded already).
        _ = try makeApp(self, compare: false, tabs: [Session.Tab(kind: "lrp", settings: .null)])
        picker.step(1)
        XCTAssertEqual(picker.reference, "demo:bilinear")
        picker.step(-1)
        XCTAssertEqual(picker.reference, "demo:bilinear")
        let restored = ModelPicker(workspace: try workspace(), preferred: "demo:cnn", fallback: "demo:bilinear", suits: hasBilinear)
        XCTAssertEqual(restored.reference, "demo:cnn")
    }
}
