import Foundation
import Interpret
import LinAlg
import Networks
import TensorIO
import TestSupport
import XCTest

/// The interaction matrices and eigenpairs of a random network with every kind of bias agree
/// with numpy (Tests/Fixtures/bilinear/make_fixtures.py builds Q from the interaction tensor
/// B_a = L̃_a ⊗ R̃_a and pulls it back through the augmented embedding, then calls eigh).
final class NumpyEighTests: XCTestCase {
    let folder = fixtures.appendingPathComponent("bilinear")

    func testFormsAgreeWithNumpy() throws {
        let network = try NetworkFile.load(folder.appendingPathComponent("model.safetensors"))
        let reference = try SafeTensors.read(folder.appendingPathComponent("reference.safetensors"))
        let q = try XCTUnwrap(reference["q"]).doubles()
        let values = try XCTUnwrap(reference["eigenvalues"]).doubles()
        let vectors = try XCTUnwrap(reference["eigenvectors"]).doubles()
        let offsets = try XCTUnwrap(reference["offsets"]).doubles()
        let x = try XCTUnwrap(reference["x"]).matrix(Double.self)
        let outputs = try XCTUnwrap(reference["outputs"]).matrix(Double.self)

        let site = try BilinearSite(network: network, layer: "bilinear")
        XCTAssertEqual(site.formSize, 13)
        XCTAssertTrue(site.hasConstant)
        XCTAssertEqual(site.imageShape, [1, 3, 4])
        let file = folder.appendingPathComponent("directions.npy").path
        let directions = try site.directions(.readout) + site.directions(.contrast("b", "3")) + site.directions(.file(file))
        XCTAssertEqual(try site.directions(.output("c")), [directions[2]])
        XCTAssertEqual(directions.map(\.label), ["a", "b", "c", "d", "e", "b−d", "directions.npy[0]", "directions.npy[1]"])
        let analysis = try BilinearAnalysis(site: site, directions: directions)
        let points = site.formInputs(x.converted(to: Float.self))
        let n = 13

        for (k, form) in analysis.forms.enumerated() {
            let label = form.direction.label
            XCTAssertEqual(form.direction.offset, offsets[k], accuracy: 1e-12, label)
            for i in 0..<(n * n) {
                XCTAssertEqual(form.matrix.storage[i], q[k * n * n + i], accuracy: 1e-12, "\(label): Q[\(i / n), \(i % n)]")
            }
            // numpy: ascending, eigenvector i in column i. Loupe: descending, one per row.
            for i in 0..<n {
                let j = n - 1 - i
                XCTAssertEqual(form.eigenvalues[i], values[k * n + j], accuracy: 1e-10, "\(label): λ\(i)")
                let theirs = (0..<n).map { vectors[k * n * n + $0 * n + j] }
                let ours = Array(form.eigenvectors.row(i))
                let sign = dot(ours, theirs) < 0 ? -1.0 : 1.0
                for c in 0..<n {
                    XCTAssertEqual(ours[c], sign * theirs[c], accuracy: 1e-9, "\(label): v\(i)[\(c)] (up to sign)")
                }
            }
            let computed = form.values(points)
            for s in 0..<x.rows {
                XCTAssertEqual(computed[s], outputs[s, k], accuracy: 1e-9 * max(1, abs(outputs[s, k])), "\(label): output of sample \(s)")
            }
        }
    }
}
