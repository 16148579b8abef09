import Foundation
import TensorIO
import XCTest

/// The rules that keep users' files safe: an output never replaces an input (whatever path
/// names it), an existing file only with `force`, never into a missing folder; exports never
/// replace; temporaries are Loupe's to remove.
final class FileSafetyTests: XCTestCase {
    func testAnOutputThatIsAnInputIsRefusedWhateverPathNamesIt() throws {
        let dir = try temporaryDirectory(self)
        let model = dir.appendingPathComponent("m.safetensors")
        try Data("model".utf8).write(to: model)
        let inputs = [OutputCheck.Input("the model", model)]
        let link = dir.appendingPathComponent("link.safetensors")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: model)
        let hard = dir.appendingPathComponent("hard.safetensors")
        try FileManager.default.linkItem(at: model, to: hard)
        for path in [model.path, link.path, hard.path, dir.path + "/./sub/../m.safetensors".replacingOccurrences(of: "/sub/..", with: "")] {
            // With --force too: an input is never replaced.
            assertTensorIOError([path, "would overwrite the model"]) { try OutputCheck.file(path, inputs: inputs, force: true) }
        }
        XCTAssertEqual(try Data(contentsOf: model), Data("model".utf8))
    }

    func testAnExistingFileNeedsForceAndAMissingFolderIsRefused() throws {
        let dir = try temporaryDirectory(self)
        let existing = dir.appendingPathComponent("r.npy")
        try Data("mine".utf8).write(to: existing)
        assertTensorIOError([existing.path, "already exists", "--force"]) { try OutputCheck.file(existing.path, inputs: [], force: false) }
        XCTAssertEqual(try OutputCheck.file(existing.path, inputs: [], force: true), existing)
        let fresh = dir.appendingPathComponent("new.npy")
        XCTAssertEqual(try OutputCheck.file(fresh.path, inputs: [], force: false), fresh)
        assertTensorIOError(["no directory", "create it first"]) {
            try OutputCheck.file(dir.appendingPathComponent("no/such/x.npy").path, inputs: [], force: true)
        }
        assertTensorIOError([dir.path, "names a directory"]) { try OutputCheck.file(dir.path, inputs: [], force: true) }
        assertTensorIOError(["/dev/null", "device, pipe or socket"]) { try OutputCheck.file("/dev/null", inputs: [], force: true) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("no").path), "nothing is created")
        // A folder nobody may write in, root included, is found before any work.
        assertTensorIOError(["/proc/loupe.npy", "cannot write in /proc"]) {
            try OutputCheck.file("/proc/loupe.npy", inputs: [], force: true)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["r.npy"], "the write check leaves nothing")
    }

    /// An SAE directory: an existing file is refused; existing SAE files need --force; the files
    /// of an input SAE are never written over.
    func testADirectoryOutput() throws {
        let dir = try temporaryDirectory(self)
        let files = ["cfg.json", "sae_weights.safetensors"]
        let file = dir.appendingPathComponent("f")
        try Data().write(to: file)
        assertTensorIOError([file.path, "existing file", "must be a directory"]) {
            try OutputCheck.directory(file.path, writing: files, inputs: [], force: true)
        }
        let sae = dir.appendingPathComponent("sae")
        try FileManager.default.createDirectory(at: sae, withIntermediateDirectories: false)
        XCTAssertEqual(
            try OutputCheck.directory(sae.path, writing: files, inputs: [], force: false).path, sae.path, "an empty folder is fine")
        try Data("{}".utf8).write(to: sae.appendingPathComponent("cfg.json"))
        assertTensorIOError(["already holds cfg.json", "--force"]) {
            try OutputCheck.directory(sae.path, writing: files, inputs: [], force: false)
        }
        let input = OutputCheck.Input("the SAE", sae.appendingPathComponent("cfg.json"))
        assertTensorIOError(["cfg.json", "would overwrite the SAE"]) {
            try OutputCheck.directory(sae.path, writing: files, inputs: [input], force: true)
        }
    }

    func testInputsInsideADirectory() throws {
        let dir = try temporaryDirectory(self)
        let probe = dir.appendingPathComponent("p.toml")
        try Data().write(to: probe)
        XCTAssertEqual(OutputCheck.inputInside(dir, [OutputCheck.Input("the probe", probe)])?.role, "the probe")
        XCTAssertNil(OutputCheck.inputInside(dir.appendingPathComponent("reports"), [OutputCheck.Input("the probe", probe)]))
    }

    /// `replacing: false` never replaces: it reports the clash and leaves both files as they were.
    func testAWriteThatMustNotReplace() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("export.csv")
        try AtomicFile.write(Data("first".utf8), to: url, replacing: false)
        XCTAssertThrowsError(try AtomicFile.write(Data("second".utf8), to: url, replacing: false)) { error in
            XCTAssertTrue(error is AtomicFile.Exists, "\(error)")
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "first")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["export.csv"], "no temporary file is left")
    }

    /// A write in progress is registered, so that a signal handler can remove it; removeAll
    /// removes registered files and folders.
    func testTemporariesAreRegisteredWhileWritten() throws {
        let dir = try temporaryDirectory(self)
        let staging = dir.appendingPathComponent(".x.partial")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false)
        try Data().write(to: staging.appendingPathComponent("run1-a.csv"))
        let token = TemporaryFiles.register(staging.path)
        XCTAssertTrue(TemporaryFiles.registered.contains(staging.path))
        TemporaryFiles.removeAll()
        XCTAssertFalse(FileManager.default.fileExists(atPath: staging.path))
        TemporaryFiles.unregister(token)
        XCTAssertFalse(TemporaryFiles.registered.contains(staging.path))
    }

    func testMemoryBudgetSizesAndRefusals() throws {
        XCTAssertEqual(try MemoryBudget.parse("8G"), 8 << 30)
        XCTAssertEqual(try MemoryBudget.parse("512M"), 512 << 20)
        XCTAssertEqual(try MemoryBudget.parse("1.5GiB"), 3 << 29)
        XCTAssertEqual(try MemoryBudget.parse("1000000"), 1_000_000)
        XCTAssertEqual(try MemoryBudget.parse("64kb"), 64 << 10)
        for bad in ["", "G", "-1G", "1e400", "eight"] { XCTAssertThrowsError(try MemoryBudget.parse(bad), bad) }
        XCTAssertNil(MemoryBudget.product(1 << 40, 1 << 40), "overflow is nil, not a trap")
        XCTAssertNil(MemoryBudget.product(3, -1))
        XCTAssertEqual(MemoryBudget.product(3, 4, 5), 60)
        XCTAssertNil(MemoryBudget.sum([1, nil]))
        XCTAssertGreaterThan(MemoryBudget.defaultBytes, 1 << 28)
        MemoryBudget.set(1 << 20)
        defer { MemoryBudget.set(nil) }
        XCTAssertNoThrow(try MemoryBudget.check(1 << 20, for: "x"))
        XCTAssertThrowsError(try MemoryBudget.check((1 << 20) + 1, for: "the weights")) { error in
            XCTAssertEqual(
                "\(error)", "the weights needs 1.0 MB, more than the 1.0 MB memory budget (--max-memory or LOUPE_MAX_MEMORY to change it)")
        }
        XCTAssertThrowsError(try MemoryBudget.check(nil, for: "a [2^40, 2^40] tensor")) { error in
            XCTAssertTrue("\(error)".contains("more memory than can be addressed"), "\(error)")
        }
    }

    /// A folder, a device or a missing file given as an input is refused in one line before a
    /// reader sees it (a folder named x.npz once made the zip reader spin forever).
    func testInputsThatAreNotFiles() throws {
        let dir = try temporaryDirectory(self)
        let folder = dir.appendingPathComponent("x.npz")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: false)
        assertTensorIOError([folder.path, "is a directory"]) { try NPZ.read(folder) }
        let csvFolder = dir.appendingPathComponent("x.csv")
        try FileManager.default.createDirectory(at: csvFolder, withIntermediateDirectories: false)
        assertTensorIOError([csvFolder.path, "is a directory"]) { try CSVTable.read(csvFolder) }
        assertTensorIOError(["/dev/null", "not a regular file"]) { try CSVTable.read(URL(fileURLWithPath: "/dev/null")) }
        assertTensorIOError(["/dev/null", "not a regular file"]) { try NPY.read(URL(fileURLWithPath: "/dev/null")) }
    }

    /// A consistent but enormous file (sparse on disk) is mapped, not read; its size is then
    /// refused by the budget of whoever would convert it (see the Networks tests).
    func testAnEnormousSparseFileIsMappedNotRead() throws {
        let dir = try temporaryDirectory(self)
        let url = dir.appendingPathComponent("huge.npy")
        let rows = 1 << 26, cols = 4096  // 2^38 float32 values: 1 TiB
        let header = npyHeader(shape: [rows, cols])
        let handle = try FileHandle(
            forWritingTo: {
                _ = FileManager.default.createFile(atPath: url.path, contents: header); return url
            }())
        try handle.truncate(atOffset: UInt64(header.count) + UInt64(rows) * UInt64(cols) * 4)
        try handle.close()
        let file = try NPYFile(url)
        XCTAssertEqual(file.shape, [rows, cols])
        XCTAssertEqual(file.rows(0..<1).cols, cols)
    }

    func testFoundationErrorsReadAsOneLine() {
        XCTAssertThrowsError(try FileManager.default.createDirectory(atPath: "/dev/null/x", withIntermediateDirectories: true)) { error in
            let text = errorText(error)
            XCTAssertFalse(text.contains("NSCocoaErrorDomain"), text)
            XCTAssertFalse(text.contains("\n"))
            XCTAssertTrue(text.hasPrefix("/dev/null"), text)
        }
        XCTAssertThrowsError(try Data(contentsOf: URL(fileURLWithPath: "/tmp"))) { error in
            XCTAssertEqual(errorText(error), "/tmp: Is a directory")
        }
        XCTAssertEqual(errorText(TensorIOError(file: "a", message: "b")), "a: b")
    }
}

/// A version 1.0 `.npy` preamble for a float32 array of `shape`, as numpy writes it.
func npyHeader(shape: [Int]) -> Data {
    var dict =
        "{'descr': '<f4', 'fortran_order': False, 'shape': (\(shape.map(String.init).joined(separator: ", "))\(shape.count == 1 ? "," : "")), }"
    while (10 + dict.utf8.count + 1) % 64 != 0 { dict += " " }
    dict += "\n"
    var out = Data([0x93] + Array("NUMPY".utf8) + [1, 0])
    out.append(contentsOf: [UInt8(dict.utf8.count & 0xff), UInt8(dict.utf8.count >> 8)])
    out.append(contentsOf: Array(dict.utf8))
    return out
}
