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
        XCTAssertTrue(picker.candidates.allSatisfy { $0.hasPrefix("demo:") })
        XCTAssertEqual(picker.candidates, ["demo:mlp-1", "demo:mlp-2", "demo:bilinear", "demo:cnn", "demo:resnet", "demo:resnet-2"])
        XCTAssertEqual(picker.reference, "demo:mlp-1")
        XCTAssertNotNil(picker.network)
        picker.step(-1)
        XCTAssertEqual(picker.reference, "demo:resnet-2")
        picker.step(1)
        XCTAssertEqual(picker.reference, "demo:mlp-1")
    }

    func testAViewThatNeedsABilinearLayerStartsOnTheFallbackAndSkipsModelsWithout() throws {
        let hasBilinear: (Network<Float>) -> Bool = { net in
            net.layers.contains { if case .bilinear = $0.operation { return true } else { return false } }
        }
        let picker = ModelPicker(workspace: try workspace(), preferred: nil, fallback: "demo:bilinear", suits: hasBilinear)
        XCTAssertEqual(picker.reference, "demo:bilinear")
        // No other candidate has a bilinear layer: the workspace's MLPs are loaded, and the CNN's
        // architecture says so without training it.
        picker.step(1)
        XCTAssertEqual(picker.reference, "demo:bilinear")
        picker.step(-1)
        XCTAssertEqual(picker.reference, "demo:bilinear")
        let restored = ModelPicker(workspace: try workspace(), preferred: "demo:cnn", fallback: "demo:bilinear", suits: hasBilinear)
        XCTAssertEqual(restored.reference, "demo:cnn")
    }
}
