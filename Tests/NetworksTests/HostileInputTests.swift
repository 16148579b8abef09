import Foundation
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// Inputs that once crashed Loupe, hung it or gave silently wrong figures: each is refused in
/// one line naming what is wrong, before any large allocation.
final class HostileInputTests: XCTestCase {
    func zeros(_ shape: [Int]) -> Tensor { Tensor([Float](repeating: 0, count: shape.reduce(1, *)), shape: shape) }

    func build(_ spec: ArchitectureSpec, _ tensors: [String: Tensor]) throws -> Network<Float> {
        try NetworkFile.build(spec, tensors: tensors, source: "m.safetensors")
    }

    func conv(padding: Int) -> ArchitectureSpec {
        var c = LayerSpec(name: "c1", kind: "conv2d", weight: "c1.weight")
        c.padding = IntPair(padding)
        return ArchitectureSpec(name: "t", input: InputSpec(shape: [1, 8, 8]), layers: [c])
    }

    /// Padding of 10 000 once cost 13 GB and 30 s, 1e6 a 144 TB allocation, 1e12 an overflow trap.
    func testHugeConvolutionPadding() {
        for p in [3, 10_000, 1_000_000, 1_000_000_000_000] {
            assertThrowsMessage(
                try build(conv(padding: p), ["c1.weight": zeros([2, 1, 3, 3])]),
                contains: ["layer 'c1' (conv2d)", "padding \(p)×\(p) must be smaller than the 3×3 kernel"])
        }
        XCTAssertNoThrow(try build(conv(padding: 2), ["c1.weight": zeros([2, 1, 3, 3])]))
    }

    /// input.shape [1, 100000, 100000] is 40 GB for one sample.
    func testHugeInputShape() {
        MemoryBudget.set(8 << 30)
        defer { MemoryBudget.set(nil) }
        let spec = ArchitectureSpec(
            name: "t", input: InputSpec(shape: [1, 100_000, 100_000]), layers: [LayerSpec(name: "f", kind: "flatten")])
        assertThrowsMessage(
            try build(spec, [:]), contains: ["one input sample of shape [1, 100000, 100000]", "needs 40.0 GB", "memory budget"])
        let overflow = ArchitectureSpec(
            name: "t", input: InputSpec(shape: [1 << 40, 1 << 40]), layers: [LayerSpec(name: "f", kind: "flatten")])
        assertThrowsMessage(try build(overflow, [:]), contains: ["more memory than can be addressed"])
    }

    /// An input.image whose product overflows Int once trapped (found by loupe-fuzz).
    func testImageShapeThatOverflows() {
        for image in [[Int.max, 8, 8], [-1, -8, 8], [0, 8, 8]] {
            let spec = ArchitectureSpec(
                name: "t", input: InputSpec(shape: [64], image: image), layers: [LayerSpec(name: "f", kind: "flatten")])
            assertThrowsMessage(try build(spec, [:]), contains: ["input.image", "must be [channels, height, width]"])
        }
    }

    /// Fewer class names than outputs once crashed `interp` and made `inspect` report 1 output.
    func testClassesMustNameEveryOutput() {
        let fc = LayerSpec(name: "fc", kind: "linear", weight: "w")
        let spec = ArchitectureSpec(name: "t", input: InputSpec(shape: [4]), classes: ["a"], layers: [fc])
        assertThrowsMessage(
            try build(spec, ["w": zeros([10, 4])]), contains: ["\"classes\" names 1 classes but the network has 10 outputs"])
    }

    /// No layers once passed the input through as 64 "logits".
    func testNoLayers() {
        let spec = ArchitectureSpec(name: "t", input: InputSpec(shape: [64]), layers: [])
        assertThrowsMessage(try build(spec, [:]), contains: ["\"layers\" is empty"])
    }

    /// Weights of 1e38 overflow Float32 in the first product.
    func testWeightsThatOverflow() {
        let spec = conv(padding: 0)
        let big = Tensor([Float](repeating: 1e38, count: 18), shape: [2, 1, 3, 3])
        assertThrowsMessage(try build(spec, ["c1.weight": big]), contains: ["layer 'c1' computes infinity or NaN", "overflow Float32"])
    }

    /// `loupe train --arch mlp:64-1000000000-10` once died allocating 256 GB.
    func testHugeTrainingArchitecture() throws {
        let spec = try ShortSpec.parse("mlp:64-1000000000-10")
        assertThrowsMessage(
            try NetworkFile.untrained(spec, seed: 0), contains: ["layer 'fc1'", "training a [1000000000, 64] 'weight'", "memory budget"])
        var huge = try ShortSpec.parse("mlp:64-10")
        huge.layers[0].out = Int.max
        assertThrowsMessage(try NetworkFile.untrained(huge, seed: 0), contains: ["'out' is \(Int.max)"])
    }

    /// A consistent 1 TB file (sparse on disk) once was read into memory and aborted: its
    /// weights are refused by the budget, as is a 1 TB data file.
    func testEnormousFilesAreRefusedByTheBudget() throws {
        let dir = try temporaryDirectory(self)
        let model = dir.appendingPathComponent("huge.safetensors")
        let arch = ArchitectureSpec(
            name: "t", input: InputSpec(shape: [65536]), layers: [LayerSpec(name: "fc", kind: "linear", weight: "w")])
        let rows = 1 << 22, cols = 65536  // 2^38 floats: 1 TiB
        var header =
            "{\"__metadata__\":{\"loupe.arch\":\(jsonQuoted(arch.encoded()))},\"w\":{\"dtype\":\"F32\",\"shape\":[\(rows),\(cols)],\"data_offsets\":[0,\(rows * cols * 4)]}}"
        while header.utf8.count % 8 != 0 { header += " " }
        var bytes = Data()
        bytes.append(contentsOf: withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian, Array.init))
        bytes.append(contentsOf: Array(header.utf8))
        _ = FileManager.default.createFile(atPath: model.path, contents: bytes)
        let handle = try FileHandle(forWritingTo: model)
        try handle.truncate(atOffset: UInt64(bytes.count) + UInt64(rows * cols * 4))
        try handle.close()
        assertThrowsMessage(
            try NetworkFile.load(model), contains: ["huge.safetensors", "the model's weights (as Float32) needs 1.1 TB", "memory budget"])

        let data = dir.appendingPathComponent("huge.npy")
        var npy = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
        var dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (\(rows), \(cols)), }"
        while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
        dict += "\n"
        npy.append(contentsOf: [UInt8(dict.utf8.count & 0xff), UInt8(dict.utf8.count >> 8)] + Array(dict.utf8))
        _ = FileManager.default.createFile(atPath: data.path, contents: npy)
        let h = try FileHandle(forWritingTo: data)
        try h.truncate(atOffset: UInt64(npy.count) + UInt64(rows * cols * 4))
        try h.close()
        assertThrowsMessage(try DataSource.load(data.path), contains: ["huge.npy", "'x' [4194304, 65536] as Float32 needs 1.1 TB"])
    }

    /// A label of 99999999999999999999 once trapped converting to Int.
    func testCSVLabelsOutOfRange() throws {
        let dir = try temporaryDirectory(self)
        let csv = dir.appendingPathComponent("d.csv")
        try Data("a,b,label\n1,2,99999999999999999999\n".utf8).write(to: csv)
        assertThrowsMessage(
            try DataSource.load(csv.path, labelColumn: "label"), contains: ["column 'label' must hold class labels", "below 1000000"])
    }

    /// A folder named like a data file once made the zip reader spin at 90 % CPU.
    func testFoldersNamedLikeDataFiles() throws {
        let dir = try temporaryDirectory(self)
        for name in ["x.npz", "x.npy", "x.csv", "x.safetensors"] {
            let folder = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
            assertThrowsMessage(try DataSource.load(folder.path), contains: [folder.path, "is a directory"])
        }
        assertThrowsMessage(try DataSource.load("/dev/null"), contains: ["/dev/null"])
    }

    private func jsonQuoted(_ s: String) -> String {
        String(decoding: try! JSONEncoder().encode(s), as: UTF8.self)
    }
}
