import ArgumentParser
import Foundation
import LinAlg
import TensorIO

/// Writes a command's numeric result to the file the user named, in the format its extension
/// says (docs/command-line.md): `.safetensors` and `.npz` keep every tensor, `.npy` and `.csv` the main one.
enum OutputFile {
    static let formats = ["safetensors", "npz", "npy", "csv"]

    /// Refuses an unknown extension before any work is done.
    static func validate(_ path: String) throws {
        let ext = URL(fileURLWithPath: path).pathExtension.lowercased()
        guard formats.contains(ext) else {
            throw ValidationError("--out \(path): unknown format '.\(ext)'; use .\(formats.joined(separator: ", ."))")
        }
    }

    /// `main` is the tensor a single-tensor format gets; `csvHeader` names its columns in CSV.
    static func write(
        main: (name: String, tensor: Tensor), extras: [(String, Tensor)] = [],
        csvHeader: [String]? = nil, metadata: [String: String] = [:], to path: String
    ) throws {
        let url = URL(fileURLWithPath: path)
        var all = [main.name: main.tensor]
        for (k, v) in extras { all[k] = v }
        switch url.pathExtension.lowercased() {
        case "safetensors": try SafeTensors.write(SafeTensorsFile(tensors: all, metadata: metadata), to: url)
        case "npz": try NPZ.write(all, to: url)
        case "npy": try NPY.write(main.tensor, to: url)
        case "csv":
            let m: Matrix<Double> = main.tensor.matrix()
            let header = csvHeader ?? (0..<m.cols).map { "\(main.name)_\($0)" }
            try CSVTable.write(header: header, rows: m, to: url)
        default: try validate(path)
        }
    }
}
