import Foundation
import LinAlg
import TensorIO

/// The bundled digits: 1797 8×8 handwritten digits (UCI "Optical Recognition of Handwritten
/// Digits", E. Alpaydin and C. Kaynak, CC BY 4.0, as scikit-learn ships them), pixels scaled
/// from 0…16 to [0, 1]. `train` is every sample whose index mod 4 ≠ 3, `test` the rest.
public enum Digits {
    public enum Split: String, CaseIterable, Sendable { case all, train, test }

    public static let sampleShape = [1, 8, 8]
    public static let classes = (0...9).map(String.init)

    public static func load(_ split: Split) throws -> Dataset {
        guard let url = Bundle.module.url(forResource: "digits", withExtension: "npy") else {
            throw NetworkError("builtin:digits: the bundled data file is missing from this installation")
        }
        let tensor = try NPY.read(url)
        guard tensor.shape == [1797, 65] else {
            throw NetworkError("builtin:digits: the bundled file has shape \(shapeText(tensor.shape)), expected [1797, 65]")
        }
        let values: Matrix<Float> = tensor.matrix()
        let indices = (0..<values.rows).filter { i in
            switch split {
            case .all: return true
            case .train: return i % 4 != 3
            case .test: return i % 4 == 3
            }
        }
        let pixels = Matrix<Float>(rows: indices.count, cols: 64) { r, c in values[indices[r], c] / 16 }
        let labels = indices.map { Int(values[$0, 64]) }
        let name = split == .all ? "builtin:digits" : "builtin:digits:\(split.rawValue)"
        return Dataset(name: name, x: pixels, labels: labels, sampleShape: sampleShape)
    }

    /// The architecture's input description for models of the digits.
    public static let input = InputSpec(shape: [64], image: sampleShape, range: [0, 1])
}
