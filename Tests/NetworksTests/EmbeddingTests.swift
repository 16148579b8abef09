import Foundation
import LinAlg
import Networks
import TestSupport
import XCTest

/// An embedding looks up token ids (its forward and gradient against torch are in
/// GraphParityTests): what it refuses, and the data it refuses.
final class EmbeddingTests: XCTestCase {
    private func spec(_ layers: [String], input: [Int] = [3]) throws -> ArchitectureSpec {
        let json = #"{"format": "loupe.arch/1", "name": "m", "input": {"shape": \#(input)}, "layers": [\#(layers.joined(separator: ","))]}"#
        return try ArchitectureSpec.decode(Data(json.utf8), source: "m.json")
    }

    private let embed = #"{"name": "embed", "kind": "embedding", "num_embeddings": 5, "out": 2, "weight": "wte"}"#
    private let readout = [#"{"name": "flat", "kind": "flatten"}"#, #"{"name": "fc", "kind": "linear", "out": 4, "weight": "w"}"#]

    /// A table of num_embeddings rows of `out` values, drawn N(0, 1) as torch draws them; each
    /// position's output is the row its id names.
    func testUntrainedTableAndLookup() throws {
        let net = try NetworkFile.untrained(try spec([embed] + readout), seed: 3)
        guard case .embedding(let e) = net.layers[0].operation else { return XCTFail("not an embedding") }
        XCTAssertEqual([e.vocabulary, e.dimension], [5, 2])
        XCTAssertEqual(net.layers[0].outputShape, [3, 2])
        // 10 draws of N(0, 1): not the ±1/√fan_in box of a linear layer.
        XCTAssertGreaterThan(e.weight.storage.map(abs).max()!, 1 / Float(2).squareRoot())
        let ids = Matrix<Float>(rows: 2, cols: 3, storage: [4, 0, 4, 1, 2, 3])
        let out = net.layers[0].forward(ids)
        for (k, id) in ids.storage.enumerated() {
            XCTAssertEqual(Array(out.storage[(2 * k)..<(2 * k + 2)]), Array(e.weight.row(Int(id))), "position \(k)")
        }
        // Saved and read back (num_embeddings and out written for it), the same network.
        let saved = NetworkFile.architecture(of: net)
        XCTAssertEqual(saved.layers[0].numEmbeddings, 5)
        XCTAssertEqual(try NetworkFile.build(saved, tensors: NetworkFile.tensors(of: net), source: "m").forward(ids), net.forward(ids))
    }

    func testArchitecturesThatCannotHoldAnEmbeddingAreRefused() throws {
        func refused(_ layers: [String], input: [Int] = [3], _ message: String, line: UInt = #line) throws {
            assertThrowsMessage(try NetworkFile.untrained(try spec(layers, input: input), seed: 1), contains: [message], line: line)
        }
        try refused(
            [#"{"name": "r", "kind": "relu"}"#, embed] + readout,
            "layer 'embed' (embedding) looks up token ids, so it must read the network's input, not 'r'")
        try refused([embed] + readout, input: [1, 3], "layer 'embed' (embedding) takes a [positions] sample of token ids, got [1, 3]")
        try refused(
            [#"{"name": "embed", "kind": "embedding", "out": 2, "weight": "wte"}"#] + readout,
            "layer 'embed' (embedding) needs 'num_embeddings' and 'out' to be built untrained")
        try refused(
            [#"{"name": "embed", "kind": "embedding", "num_embeddings": 0, "out": 2, "weight": "wte"}"#] + readout,
            "'num_embeddings' is 0; it must be between 1 and")
    }

    /// Data for a network that reads token ids must hold whole numbers inside its table.
    func testDataThatIsNotTokenIdsIsRefused() throws {
        let net = try NetworkFile.untrained(try spec([embed] + readout), seed: 3)
        func data(_ values: [Float]) -> Dataset {
            Dataset(name: "ids.npy", x: Matrix(rows: 2, cols: 3, storage: values), labels: nil, sampleShape: [3])
        }
        XCTAssertNoThrow(try data([0, 1, 2, 3, 4, 0]).check(against: net))
        assertThrowsMessage(
            try data([0, 1, 2, 3, 5, 0]).check(against: net),
            contains: ["data 'ids.npy': sample 1, position 1 holds 5.0, but model 'm' reads token ids, whole numbers from 0 to 4"])
        assertThrowsMessage(try data([0, 1, 2.5, 3, 4, 0]).check(against: net), contains: ["sample 0, position 2 holds 2.5"])
        assertThrowsMessage(try data([0, -1, 2, 3, 4, 0]).check(against: net), contains: ["sample 0, position 1 holds -1.0"])
        assertThrowsMessage(try data([0, .nan, 2, 3, 4, 0]).check(against: net), contains: ["position 1 holds nan"])
    }

    /// Trained on ids, the table learns (only the rows the ids name move); noise on the inputs
    /// would make them other numbers, and is refused.
    func testTrainingMovesTheRowsTheIdsName() throws {
        var net = try NetworkFile.untrained(try spec([embed] + readout), seed: 3)
        let before = net.layers[0].parameters[0].values
        let ids = Dataset(name: "ids", x: Matrix(rows: 2, cols: 3, storage: [0, 1, 0, 1, 3, 1]), labels: [1, 2], sampleShape: [3])
        try Trainer.train(&net, on: ids, options: TrainingOptions(epochs: 2, batchSize: 2, optimizer: .adam(learningRate: 1e-2), seed: 1))
        let after = net.layers[0].parameters[0].values
        let moved = (0..<5).map { row in (0..<2).contains { before[2 * row + $0] != after[2 * row + $0] } }
        XCTAssertEqual(moved, [true, true, false, true, false])
        assertThrowsMessage(
            try Trainer.train(&net, on: ids, options: TrainingOptions(epochs: 1, batchSize: 2, seed: 1, inputNoise: 0.1)),
            contains: ["input noise would turn the token ids model 'm' reads into other numbers"])
    }
}
