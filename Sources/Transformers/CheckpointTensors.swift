import Foundation
import LinAlg
import Networks
import TensorIO

/// The tensors of a Hugging Face checkpoint: model.safetensors, or the files a sharded
/// model.safetensors.index.json maps them to, memory-mapped. Names are looked up under the
/// prefix the checkpoint uses for its body ("transformer." for GPT2LMHeadModel, "bert." for
/// BertForMaskedLM, none for a bare GPT2Model or BertModel).
struct CheckpointTensors {
    let tensors: [String: Tensor]
    /// What to call the weights in messages: "gpt2/model.safetensors".
    let source: String
    var prefix = ""
    /// Untrained weights instead of a file's: every matrix drawn from N(0, 0.02²) (transformers'
    /// initialisation), norm scales 1, biases 0.
    var draws: WeightDraws?
    /// How many weight elements were read in place and how many converted, shared by the
    /// copies `under` makes.
    let tally = WeightTally()

    final class WeightTally: @unchecked Sendable {
        var inPlace = 0
        var converted = 0
    }

    /// Weights for a network of `config`'s shapes that no file holds.
    static func untrained(seed: UInt64) -> CheckpointTensors {
        CheckpointTensors(tensors: [:], source: "untrained", draws: WeightDraws(seed: seed))
    }

    /// The generator behind untrained weights, shared by the copies `under` makes.
    final class WeightDraws: @unchecked Sendable {
        var random: SeededRandom
        init(seed: UInt64) { random = SeededRandom(seed: seed) }
    }

    static func read(_ folder: URL, label: String) throws -> CheckpointTensors {
        let single = folder.appendingPathComponent("model.safetensors")
        let index = folder.appendingPathComponent("model.safetensors.index.json")
        let manager = FileManager.default
        if manager.fileExists(atPath: single.path) {
            return CheckpointTensors(tensors: try SafeTensors.read(single).tensors, source: "\(label)/model.safetensors")
        }
        guard manager.fileExists(atPath: index.path) else {
            let hint =
                manager.fileExists(atPath: folder.appendingPathComponent("pytorch_model.bin").path)
                ? " (it has pytorch_model.bin: save it again with safe_serialization=True)" : ""
            throw TransformerError("\(label): no model.safetensors or model.safetensors.index.json\(hint)")
        }
        struct Index: Decodable {
            let weightMap: [String: String]
            enum CodingKeys: String, CodingKey { case weightMap = "weight_map" }
        }
        let map: Index
        do {
            map = try JSONDecoder().decode(Index.self, from: Data(contentsOf: index))
        } catch let error as DecodingError {
            throw TransformerError("\(label)/model.safetensors.index.json: \(error.fieldDescription)")
        }
        var tensors: [String: Tensor] = [:]
        for file in Set(map.weightMap.values).sorted() {
            // Shards are named inside the folder, never outside it.
            guard !file.contains("/"), !file.hasPrefix(".") else {
                throw TransformerError(
                    "\(label)/model.safetensors.index.json: shard \"\(file)\" is not a file name in the checkpoint's folder")
            }
            let shard = try SafeTensors.read(folder.appendingPathComponent(file))
            tensors.merge(shard.tensors) { first, _ in first }
        }
        for (name, file) in map.weightMap where tensors[name] == nil {
            throw TransformerError("\(label)/\(file): no tensor '\(name)', which model.safetensors.index.json puts there")
        }
        return CheckpointTensors(tensors: tensors, source: "\(label)/model.safetensors")
    }

    /// The same tensors, looked up under whichever of `prefixes` holds `probe`.
    func under(_ prefixes: [String], probe: String) throws -> CheckpointTensors {
        if draws != nil { return self }
        guard let p = prefixes.first(where: { tensors[$0 + probe] != nil }) else {
            throw TransformerError("\(source): no tensor '\(probe)' (under any of \(prefixes.map { "'\($0)'" }.joined(separator: ", ")))")
        }
        var copy = self
        copy.prefix = p
        return copy
    }

    /// Untrained weights have an untied unembedding and no masked-LM head.
    func has(_ name: String) -> Bool { draws.map { _ in name == "lm_head.weight" } ?? (tensors[prefix + name] != nil) }

    private func tensor(_ name: String, _ shape: [Int]) throws -> Tensor {
        guard let t = tensors[prefix + name] else { throw TransformerError("\(source): no tensor '\(prefix + name)'") }
        guard t.shape == shape else {
            throw TransformerError(
                "\(source): tensor '\(prefix + name)' is \(shapeText(t.shape)), config.json makes it \(shapeText(shape))")
        }
        guard t.dtype.isFloatingPoint else {
            throw TransformerError("\(source): tensor '\(prefix + name)' is \(t.dtype.rawValue), expected floating point weights")
        }
        return t
    }

    /// A [rows, cols] weight for the products: read in place when the file stores it as
    /// float32, else converted once.
    func weight(_ name: String, _ rows: Int, _ cols: Int) throws -> Weight {
        if draws != nil {
            tally.converted += rows * cols
            return Weight(try matrix(name, rows, cols))
        }
        let t = try tensor(name, [rows, cols])
        if let mapped = Weight(mapping: t, rows: rows, cols: cols) {
            tally.inPlace += rows * cols
            return mapped
        }
        tally.converted += rows * cols
        return Weight(try t.matrix(Float.self))
    }

    /// A [rows, cols] weight in Float32 (half-precision weights widened).
    func matrix(_ name: String, _ rows: Int, _ cols: Int) throws -> Matrix<Float> {
        if let draws { return draws.random.normalMatrix(rows: rows, cols: cols, std: 0.02) }
        return try tensor(name, [rows, cols]).matrix(Float.self)
    }

    func vector(_ name: String, _ count: Int) throws -> [Float] {
        if draws != nil { return [Float](repeating: name.hasSuffix("weight") ? 1 : 0, count: count) }
        return try tensor(name, [count]).floats()
    }
}
