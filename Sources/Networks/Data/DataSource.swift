import Foundation
import LinAlg
import TensorIO

/// Reads a data set named as on the command line (docs/formats.md): `builtin:digits[:train|:test]`,
/// a `.safetensors` or `.npz` with `x` and optional `y`, an `.npy` holding x, or a `.csv`.
public enum DataSource {
    public static func load(_ spec: String, labelColumn: String? = nil) throws -> Dataset {
        if spec.hasPrefix("builtin:") {
            let parts = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 2, parts[1] == "digits", parts.count <= 3 else {
                throw NetworkError("unknown built-in data '\(spec)'; available: builtin:digits, builtin:digits:train, builtin:digits:test")
            }
            let split = parts.count == 3 ? Digits.Split(rawValue: parts[2]) : .all
            guard let split, split != .all || parts.count == 2 else {
                throw NetworkError("unknown split in '\(spec)'; use builtin:digits, builtin:digits:train or builtin:digits:test")
            }
            return try Digits.load(split)
        }
        let url = URL(fileURLWithPath: spec)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw NetworkError("\(spec): no such data file")
        }
        try InputCheck.readableFile(url)
        switch url.pathExtension.lowercased() {
        case "safetensors":
            return try dataset(from: SafeTensors.read(url).tensors, name: spec)
        case "npz":
            return try dataset(from: NPZ.read(url), name: spec)
        case "npy":
            let x = try NPY.read(url)
            return try dataset(x: x, y: nil, name: spec)
        case "csv":
            return try fromCSV(url, name: spec, labelColumn: labelColumn)
        default:
            throw NetworkError("\(spec): unknown data format '.\(url.pathExtension)'; expected .safetensors, .npz, .npy or .csv")
        }
    }

    /// The data set in a file's tensors: `x` [N, …] and optional integer labels `y` [N].
    public static func dataset(from tensors: [String: Tensor], name: String) throws -> Dataset {
        guard let x = tensors["x"] else {
            throw NetworkError("\(name): no tensor 'x' (found: \(tensors.keys.sorted().joined(separator: ", ")))")
        }
        return try dataset(x: x, y: tensors["y"], name: name)
    }

    private static func dataset(x: Tensor, y: Tensor?, name: String) throws -> Dataset {
        guard x.shape.count >= 2, x.shape[0] > 0 else {
            throw NetworkError("\(name): 'x' has shape \(shapeText(x.shape)), expected [samples, …] with at least one sample")
        }
        let sampleShape = Array(x.shape.dropFirst())
        try MemoryBudget.check(
            MemoryBudget.product(x.shape + [MemoryLayout<Float>.size]),
            for: "\(name): 'x' \(shapeText(x.shape)) as Float32")
        let values = x.floats()
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw NetworkError("\(name): 'x' contains NaN or infinity (sample \(bad / max(sampleShape.reduce(1, *), 1)))")
        }
        let matrix = Matrix(rows: x.shape[0], cols: values.count / x.shape[0], storage: values)
        var labels: [Int]?
        if let y {
            guard y.shape == [x.shape[0]] else {
                throw NetworkError("\(name): 'y' has shape \(shapeText(y.shape)), expected [\(x.shape[0])] (one label per sample)")
            }
            let ints: [Int64]
            do { ints = try y.int64s() } catch {
                throw NetworkError("\(name): 'y' must hold integer class labels")
            }
            guard ints.allSatisfy({ $0 >= 0 && $0 < Int64(Dataset.maxLabel) }) else {
                throw NetworkError("\(name): 'y' must hold class labels 0, 1, 2, … (below \(Dataset.maxLabel))")
            }
            labels = ints.map { Int($0) }
        }
        return Dataset(name: name, x: matrix, labels: labels, sampleShape: sampleShape)
    }

    private static func fromCSV(_ url: URL, name: String, labelColumn: String?) throws -> Dataset {
        let table = try CSVTable.read(url)
        var values = table.values
        var labels: [Int]?
        if let labelColumn {
            guard let header = table.header, let c = header.firstIndex(of: labelColumn) else {
                throw NetworkError(
                    "\(name): no column named '\(labelColumn)'"
                        + (table.header.map { " (columns: \($0.joined(separator: ", ")))" } ?? " (the file has no header row)"))
            }
            let column = values.column(c)
            guard column.allSatisfy({ $0 >= 0 && $0 < Double(Dataset.maxLabel) && $0 == $0.rounded() }) else {
                throw NetworkError("\(name): column '\(labelColumn)' must hold class labels 0, 1, 2, … (below \(Dataset.maxLabel))")
            }
            labels = column.map { Int($0) }
            values = values.columns((0..<values.cols).filter { $0 != c })
        }
        guard values.rows > 0, values.cols > 0 else { throw NetworkError("\(name): no samples") }
        guard !values.hasNonFinite else { throw NetworkError("\(name): contains NaN or infinity") }
        return Dataset(name: name, x: values.converted(), labels: labels, sampleShape: [values.cols])
    }
}
