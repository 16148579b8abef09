import Foundation
import Interpret
import Networks
import TensorIO
import Tokenizers
import Transformers
import Workbench

/// One loader under fuzzing: the bytes of a file go in, and the loader either reads them or
/// refuses them by throwing. Anything else (a trap, a hang, memory beyond the budget) is a
/// finding.
struct FuzzTarget {
    let name: String
    /// What the bytes are.
    let about: String
    let run: (Data) throws -> Void

    static let all: [FuzzTarget] = [
        FuzzTarget(name: "safetensors", about: "a .safetensors file; a model when its metadata holds loupe.arch, else data (x, y)") {
            data in
            let file = try SafeTensors.decode(data, source: "fuzz.safetensors")
            if let arch = file.metadata[ArchitectureSpec.metadataKey] {
                let spec = try ArchitectureSpec.decode(Data(arch.utf8), source: "fuzz.safetensors (loupe.arch)")
                _ = try NetworkFile.build(spec, tensors: file.tensors, source: "fuzz.safetensors")
            } else {
                _ = try DataSource.dataset(from: file.tensors, name: "fuzz.safetensors")
            }
        },
        FuzzTarget(name: "npy", about: "an .npy array, read as data") { data in
            let x = try NPY.decode(data, source: "fuzz.npy")
            _ = try DataSource.dataset(from: ["x": x], name: "fuzz.npy")
        },
        FuzzTarget(name: "npz", about: "an .npz archive, read from a file as Loupe reads it, as data (x, y)") { data in
            try data.write(to: scratchFile)
            _ = try DataSource.dataset(from: NPZ.read(scratchFile), name: "fuzz.npz")
        },
        FuzzTarget(name: "csv", about: "a CSV table of numbers") { data in
            guard let text = String(data: data, encoding: .utf8) else { return }
            _ = try CSVTable.parse(text, source: "fuzz.csv")
        },
        FuzzTarget(name: "arch", about: "a loupe.arch/1 JSON, built untrained (its shapes alone decide every size)") { data in
            let spec = try ArchitectureSpec.decode(data, source: "fuzz.arch.json")
            _ = try NetworkFile.untrained(spec, seed: 0)
        },
        FuzzTarget(name: "onnx", about: "an ONNX model, read from a file as every command opens one") { data in
            try data.write(to: scratchONNX)
            _ = try NetworkFile.load(scratchONNX)
        },
        FuzzTarget(name: "sae-cfg", about: "an SAE's cfg.json, beside small weights of d_in 2, d_sae 4") { data in
            _ = try SAEFile.decode(config: data, configPath: "fuzz/cfg.json", weightsPath: "fuzz/sae_weights.safetensors") { saeWeights }
        },
        FuzzTarget(name: "tokenizer", about: "a tokenizer.json, read, then encoding and decoding a text of many scripts") { data in
            let tokenizer = try Tokenizer(json: data, source: "fuzz/tokenizer.json")
            let ids = try tokenizer.encode(tokenizerText)
            _ = tokenizer.decode(ids, skipSpecialTokens: false)
        },
        FuzzTarget(name: "hf-config", about: "a checkpoint's config.json beside a tiny GPT-2's weights, loaded and run on three tokens") {
            data in
            try data.write(to: tinyCheckpoint.appendingPathComponent("config.json"))
            let model = try Transformer.load(tinyCheckpoint)
            _ = try model.run([0, 1, 2], keeping: Set(model.hookPoints.map(\.name)))
        },
        FuzzTarget(name: "activation-cache", about: "an activation cache's cache.json beside one shard of 3 rows of 2 values") { data in
            try data.write(to: cacheFolder.appendingPathComponent(ActivationCache.manifestName))
            _ = try ActivationCache(opening: cacheFolder, expecting: cacheContents).all()
        },
        FuzzTarget(name: "probe", about: "a probe (TOML), parsed and checked") { data in
            guard let text = String(data: data, encoding: .utf8) else { return }
            _ = try Probe.parse(text, source: "fuzz.toml")
        }
    ]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// What the tokenizer target encodes: cases, accents, CJK, emoji, digits, whitespace runs,
/// contractions and special tokens.
private let tokenizerText = "Hello, WORLD! Ça va? 你好 🤖👩‍💻 12345 \t\t  don't <|endoftext|> [CLS] e\u{301}"

/// Where a target that reads from a file gets its bytes.
private let scratchFile = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-fuzz-\(getpid()).npz")
private let scratchONNX = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-fuzz-\(getpid()).onnx")

/// A checkpoint folder holding a GPT-2 of width 8 (1 layer, 2 heads, MLP 16, 16 tokens, 8
/// positions), written once; the hf-config target puts each config.json beside it.
private let tinyCheckpoint: URL = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-fuzz-\(getpid())-checkpoint")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let shapes: [String: [Int]] = [
        "wte.weight": [16, 8], "wpe.weight": [8, 8], "ln_f.weight": [8], "ln_f.bias": [8],
        "h.0.ln_1.weight": [8], "h.0.ln_1.bias": [8], "h.0.ln_2.weight": [8], "h.0.ln_2.bias": [8],
        "h.0.attn.c_attn.weight": [8, 24], "h.0.attn.c_attn.bias": [24], "h.0.attn.c_proj.weight": [8, 8], "h.0.attn.c_proj.bias": [8],
        "h.0.mlp.c_fc.weight": [8, 16], "h.0.mlp.c_fc.bias": [16], "h.0.mlp.c_proj.weight": [16, 8], "h.0.mlp.c_proj.bias": [8]
    ]
    let tensors = shapes.mapValues { shape in
        let count = shape.reduce(1, *)
        return Tensor((0..<count).map { Float(($0 * 37) % 17 - 8) / 16 }, shape: shape)
    }
    try! SafeTensors.write(
        SafeTensorsFile(tensors: Dictionary(uniqueKeysWithValues: tensors.map { ("transformer." + $0.key, $0.value) })),
        to: folder.appendingPathComponent("model.safetensors"))
    return folder
}()

/// What the activation-cache target's cache.json must say it holds (the seed says so), and the
/// folder with its one shard.
private let cacheContents = try! JSONDecoder().decode(
    ActivationCache.Contents.self,
    from: Data(
        #"{"model":"m","hook":"h","text":"/t.txt","textBytes":1,"textModified":0,"contextLength":4,"before":[0],"after":[],"excluded":[0]}"#
            .utf8))
private let cacheFolder: URL = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("loupe-fuzz-\(getpid())-cache")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    try! NPY.encode(Tensor([Float]([1, 2, 3, 4, 5, 6]), shape: [3, 2])).write(to: folder.appendingPathComponent("shard-00000.npy"))
    return folder
}()

/// The weights the cfg.json target reads: every tensor an SAE of d_in 2, d_sae 4 may name.
private let saeWeights = SafeTensorsFile(tensors: [
    "W_enc": Tensor([Float](repeating: 0.5, count: 8), shape: [2, 4]), "b_enc": Tensor([Float](repeating: 0, count: 4), shape: [4]),
    "W_dec": Tensor([Float](repeating: 0.5, count: 8), shape: [4, 2]), "b_dec": Tensor([Float](repeating: 0, count: 2), shape: [2]),
    "threshold": Tensor([Float](repeating: 0.1, count: 4), shape: [4]),
    "b_gate": Tensor([Float](repeating: 0, count: 4), shape: [4]), "r_mag": Tensor([Float](repeating: 0.2, count: 4), shape: [4]),
    "b_mag": Tensor([Float](repeating: 0.1, count: 4), shape: [4])
])
