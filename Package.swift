// swift-tools-version:6.0
import PackageDescription

// Generic numerical code (Matrix<T>, the layers) must be specialised where it is used, in
// other modules too; cross-module optimisation lets the optimiser see those bodies.
let optimized: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

// Loupe: an interpretability workbench. Dependencies point one way:
// LinAlg ← TensorIO ← Networks ← Interpret ← Workbench ← TUI ← loupe.
let package = Package(
    name: "Loupe",
    products: [
        .executable(name: "loupe", targets: ["loupe"]),
        .executable(name: "loupe-fuzz", targets: ["LoupeFuzz"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0")
    ],
    targets: [
        .systemLibrary(name: "CLinAlg", path: "Sources/CLinAlg"),
        .systemLibrary(name: "CCrypto", path: "Sources/CCrypto"),
        .target(name: "CCurses", linkerSettings: [.linkedLibrary("ncursesw")]),
        .target(name: "LinAlg", dependencies: ["CLinAlg"], swiftSettings: optimized),
        .target(
            name: "TensorIO",
            dependencies: [
                "LinAlg", "ZIPFoundation", .product(name: "CSV", package: "CSV.swift")
            ], swiftSettings: optimized),
        .target(
            name: "Networks", dependencies: ["LinAlg", "TensorIO", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            exclude: ["Resources/README.md"], resources: [.copy("Resources/digits.npy")], swiftSettings: optimized),
        .target(
            name: "Interpret", dependencies: ["Figures", "LinAlg", "TensorIO", "Networks", "Transformers"],
            swiftSettings: optimized),
        .target(name: "TOML"),
        // Hugging Face tokenizer.json: byte-level BPE and WordPiece, as the Python `tokenizers` encodes.
        .target(name: "Tokenizers", swiftSettings: optimized),
        // GPT-2, BERT and Llama-family checkpoints run with TransformerLens's hook points; GPT-2s train.
        // demo:gpt2-tiny (TextDemo) ships as a checkpoint folder with the corpus it learnt.
        .target(
            name: "Transformers", dependencies: ["LinAlg", "TensorIO", "Networks", "Tokenizers"],
            resources: [.copy("Resources/gpt2-tiny")], swiftSettings: optimized),
        // How results describe their figures, and the one number format and table model every
        // front end draws them with.
        .target(name: "Figures"),
        .target(
            name: "Workbench",
            dependencies: [
                "Figures",
                "LinAlg", "TensorIO", "Networks", "Interpret", "Transformers", "TOML", "CCrypto"
            ], swiftSettings: optimized),
        .target(
            name: "TUI",
            dependencies: ["Figures", "LinAlg", "TensorIO", "Networks", "Interpret", "Workbench", "Tokenizers", "Transformers", "CCurses"],
            swiftSettings: optimized),
        // The command line, as a library its tests call; the `loupe` executable only runs it.
        .target(
            name: "LoupeCLI",
            dependencies: [
                "Figures", "LinAlg", "TensorIO", "Networks", "Interpret", "Workbench", "TUI", "Tokenizers", "Transformers",
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]),
        .executableTarget(name: "loupe", dependencies: ["LoupeCLI"]),
        // Every loader under fuzzing: a seeded mutation fuzzer, or a libFuzzer target (scripts/fuzz).
        .executableTarget(
            name: "LoupeFuzz", dependencies: ["LinAlg", "TensorIO", "Networks", "Interpret", "Workbench", "Tokenizers", "Transformers"]),
        .testTarget(name: "LinAlgTests", dependencies: ["LinAlg"]),
        .testTarget(name: "TOMLTests", dependencies: ["TOML", "TestSupport"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "TestSupport"]),
        .testTarget(name: "TransformersTests", dependencies: ["Transformers", "LinAlg", "TensorIO", "Tokenizers", "TestSupport"]),
        .testTarget(name: "TensorIOTests", dependencies: ["TensorIO"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "TestSupport"]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "InterpretTests", dependencies: ["LinAlg", "TensorIO", "Networks", "Interpret", "Transformers", "TestSupport"]),
        .testTarget(
            name: "WorkbenchTests", dependencies: ["Figures", "LinAlg", "TensorIO", "Networks", "Interpret", "Workbench", "TestSupport"]),
        // The command line as a user runs it: the `loupe` executable this build made, in a process.
        .testTarget(
            name: "CLITests",
            dependencies: [
                "loupe", "LoupeCLI", "Figures", "Networks", "TensorIO", "Interpret", "Workbench", "TUI", "Tokenizers",
                "Transformers", "LinAlg", "TestSupport"
            ]),
        .testTarget(
            name: "TUITests",
            dependencies: ["Figures", "LinAlg", "Networks", "Interpret", "Workbench", "TUI", "Tokenizers", "Transformers", "TestSupport"])
    ],
    swiftLanguageModes: [.v5]
)
