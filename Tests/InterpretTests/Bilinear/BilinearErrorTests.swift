import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// Every refusal is one line that names the layer, file or tensor and what was expected.
final class BilinearErrorTests: XCTestCase {
    let network = BilinearTestModels.network(.init(), seed: 1)

    func testLayerMustExistAndBeBilinear() {
        assertThrowsMessage(
            try BilinearSite(network: network, layer: "head"),
            contains: ["layer 'head'", "is linear, not bilinear", "bilinear layers: bilinear"])
        assertThrowsMessage(try BilinearSite(network: network, layer: "fc9"), contains: ["no layer 'fc9'", "bilinear layers: bilinear"])
        let mlp = Network<Double>(
            name: "mlp", input: InputSpec(shape: [3]), classes: nil,
            layers: [
                BilinearTestModels.linear("fc1", .identity(3), nil)
            ])
        assertThrowsMessage(try BilinearSite(network: mlp, layer: "fc1"), contains: ["fc1", "the model has no bilinear layer"])
    }

    func testNoReadoutWithoutADirection() throws {
        var rng = SeededRandom(seed: 2)
        let gated = Network(
            name: "gated", input: InputSpec(shape: [3]), classes: nil,
            layers: [
                BilinearTestModels.bilinear(left: rng.normalMatrix(rows: 4, cols: 3), right: rng.normalMatrix(rows: 4, cols: 3)),
                BilinearTestModels.activation("act", .relu, size: 4),
                BilinearTestModels.linear("head", rng.normalMatrix(rows: 2, cols: 4), nil)
            ])
        let site = try BilinearSite(network: gated, layer: "bilinear")
        XCTAssertNil(site.readout)
        assertThrowsMessage(
            try site.readoutDirections(), contains: ["bilinear layer 'bilinear'", "followed by relu 'act'", "give a direction"])
        assertThrowsMessage(try BilinearAnalysis(site: site), contains: ["relu 'act'"])
        // A direction of the layer's output still works, but cannot stand in for the model.
        let analysis = try BilinearAnalysis(site: site, directions: site.directions(Matrix(row: [1, 0, 0, 0]), source: "u"))
        XCTAssertEqual(analysis.forms.count, 1)
        let data = Dataset(name: "d", x: BilinearTestModels.inputs(2, 3, seed: 1), labels: [0, 1], sampleShape: [3])
        for attempt in [{ try analysis.truncation(on: data) }, { try analysis.report(top: 1, data: data, truncation: true) }]
            as [() throws -> Any]
        {
            assertThrowsMessage(
                try attempt(),
                contains: ["truncation needs only affine layers between bilinear layer 'bilinear' and the logits", "followed by relu 'act'"]
            )
        }
    }

    func testDirectionOfTheWrongLength() throws {
        let site = try BilinearSite(network: network, layer: "bilinear")
        assertThrowsMessage(
            try site.directions(Matrix(row: [1, 2, 3]), source: "u.npy"),
            contains: ["u.npy", "length 3", "layer 'bilinear' has 6 outputs"])
        assertThrowsMessage(
            try InteractionForm(site: site, direction: FormDirection(label: "w", vector: [1])),
            contains: ["direction 'w' has 1 values", "6 outputs"])
        assertThrowsMessage(try site.directions(Matrix(row: [1, 2, .nan, 4, 5, 6]), source: "u.npy"), contains: ["u.npy", "NaN"])
        assertThrowsMessage(try BilinearAnalysis(site: site, directions: []), contains: ["no direction"])
    }

    func testUnknownClassAndBadSpace() throws {
        let site = try BilinearSite(network: network, layer: "bilinear")
        assertThrowsMessage(try site.readoutIndex("7"), contains: ["no output '7'", "outputs: 0, 1, 2, 3"])
        assertThrowsMessage(try site.directions(.contrast("2", "2")), contains: ["'2' versus '2'", "zero form", "two different outputs"])
        assertThrowsMessage(
            try BilinearSite(network: network, layer: "bilinear", space: "head"), contains: ["'head' comes after bilinear layer 'bilinear'"]
        )
        assertThrowsMessage(try BilinearSite(network: network, layer: "bilinear", space: "nowhere"), contains: ["no layer 'nowhere'"])
        var rng = SeededRandom(seed: 3)
        let relu = Network(
            name: "relu-first", input: InputSpec(shape: [3]), classes: nil,
            layers: [
                BilinearTestModels.activation("relu", .relu, size: 3),
                BilinearTestModels.bilinear(left: rng.normalMatrix(rows: 2, cols: 3), right: rng.normalMatrix(rows: 2, cols: 3))
            ])
        assertThrowsMessage(
            try BilinearSite(network: relu, layer: "bilinear", space: "input"),
            contains: ["cannot write the forms of 'bilinear' in 'input'", "relu layer 'relu'", "not affine"])
    }

    func testTruncationNeedsEveryClassAndLabels() throws {
        let site = try BilinearSite(network: network, layer: "bilinear")
        let x = BilinearTestModels.inputs(5, 10, seed: 4)
        let labelled = Dataset(name: "five", x: x, labels: [0, 1, 2, 3, 0], sampleShape: [10])
        let one = try BilinearAnalysis(site: site, directions: [site.readoutDirections()[3]])
        assertThrowsMessage(try one.truncation(on: labelled), contains: ["truncation needs the form of every class", "these forms are: 3"])
        let all = try BilinearAnalysis(site: site)
        assertThrowsMessage(
            try all.truncation(on: Dataset(name: "unlabelled", x: x, labels: nil, sampleShape: [10])),
            contains: ["data 'unlabelled' has no labels"])
        assertThrowsMessage(
            try all.truncation(on: Dataset(name: "wide", x: BilinearTestModels.inputs(2, 11, seed: 5), labels: [0, 1], sampleShape: [11])),
            contains: ["data 'wide'", "11 values"])
        assertThrowsMessage(
            try all.contributions(data: labelled, samples: [5], top: 2), contains: ["sample 5 is out of range", "5 samples"])
        assertThrowsMessage(try all.report(top: 2, truncation: true), contains: ["need data"])
    }

    func testCancellation() throws {
        let site = try BilinearSite(network: network, layer: "bilinear")
        XCTAssertThrowsError(try BilinearAnalysis(site: site) { _, _ in false }) { XCTAssertTrue($0 is CancellationError) }
    }
}
