import Foundation
import LinAlg
import Networks
import TensorIO

/// Output directions brought from elsewhere (an SAE's decoder rows, a probe's weights, a
/// difference of means computed in numpy), read from a file: a vector [outputs] or a matrix
/// [directions, outputs], in a `.npy`, a `.npz` or `.safetensors` (one tensor, or the one named
/// after a colon: `sae.safetensors:W_dec`), or a `.csv` (one direction per row, or a single
/// column holding one direction).
public enum DirectionFile {
    public static let formats = ["npy", "npz", "safetensors", "csv"]

    /// The directions as rows, with a label for each.
    public static func read(_ spec: String) throws -> (rows: Matrix<Double>, labels: [String]) {
        let (path, tensorName) = split(spec)
        let url = URL(fileURLWithPath: path)
        guard FileManager.default.fileExists(atPath: path) else {
            throw InterpretError("\(path): no such direction file")
        }
        let ext = url.pathExtension.lowercased()
        guard formats.contains(ext) else {
            throw InterpretError("\(path): unknown direction format '.\(url.pathExtension)'; use .\(formats.joined(separator: ", ."))")
        }
        if tensorName != nil && !(ext == "npz" || ext == "safetensors") {
            throw InterpretError("\(spec): only .npz and .safetensors files hold named tensors")
        }
        let rows: Matrix<Double>
        var name = url.lastPathComponent
        switch ext {
        case "csv":
            let values = try CSVTable.read(url).values
            rows = values.cols == 1 && values.rows > 1 ? values.transposed() : values
        case "npy":
            rows = try matrix(NPY.read(url), path)
        default:
            let tensors = ext == "npz" ? try NPZ.read(url) : try SafeTensors.read(url).tensors
            let chosen = try choose(tensorName, from: tensors, path: path)
            name = chosen
            rows = try matrix(tensors[chosen]!, "\(path):\(chosen)")
        }
        let labels = rows.rows == 1 ? [name] : (0..<rows.rows).map { "\(name)[\($0)]" }
        return (rows, labels)
    }

    /// "file.npz:NAME" → ("file.npz", "NAME"), unless the whole text is an existing path.
    private static func split(_ spec: String) -> (String, String?) {
        guard !FileManager.default.fileExists(atPath: spec), let colon = spec.lastIndex(of: ":") else { return (spec, nil) }
        return (String(spec[..<colon]), String(spec[spec.index(after: colon)...]))
    }

    private static func choose(_ name: String?, from tensors: [String: Tensor], path: String) throws -> String {
        let names = tensors.keys.sorted()
        if let name {
            guard tensors[name] != nil else {
                throw InterpretError("\(path): no tensor '\(name)' (found: \(names.joined(separator: ", ")))")
            }
            return name
        }
        guard names.count == 1 else {
            throw InterpretError(
                "\(path): holds \(names.isEmpty ? "no tensors" : "several tensors (\(names.joined(separator: ", ")))"); name one as \(path):NAME"
            )
        }
        return names[0]
    }

    private static func matrix(_ tensor: Tensor, _ source: String) throws -> Matrix<Double> {
        guard tensor.shape.count == 1 || tensor.shape.count == 2 else {
            throw InterpretError(
                "\(source): a direction file holds a vector [outputs] or a matrix [directions, outputs], not \(shapeText(tensor.shape))")
        }
        guard tensor.dtype.isFloatingPoint else {
            throw InterpretError("\(source): directions must be floating point, not \(tensor.dtype.rawValue)")
        }
        let m: Matrix<Double> = tensor.matrix()
        return tensor.shape.count == 1 ? m.transposed() : m
    }
}
