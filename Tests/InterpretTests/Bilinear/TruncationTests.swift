import Interpret
import LinAlg
import Networks
import XCTest

/// Truncation on demo:bilinear (embed → bilinear → head, trained on the digits): with every
/// eigenvector kept the forms are the model; with a few per class the accuracy is back.
final class TruncationTests: XCTestCase {
    static let network = Result { try DemoModels.load("bilinear") }
    static let data = Result { try Digits.load(.test) }

    func testAllEigenvectorsReproduceTheModelAndFewRecoverIt() throws {
        let network = try Self.network.get()
        let data = try Self.data.get()
        let analysis = try BilinearAnalysis(network: network, layer: "bilinear")
        XCTAssertEqual(analysis.site.spaceName, "input")
        XCTAssertEqual(analysis.site.formSize, 64, "no biases anywhere: no constant coordinate")
        XCTAssertTrue(analysis.coversLogits)
        let curve = try analysis.truncation(on: data, batchSize: 100)

        let model = try XCTUnwrap(network.evaluate(data.x, labels: data.labels))  // the Float32 model
        XCTAssertEqual(curve.ks, Array(1...64))
        XCTAssertEqual(curve.samples, data.count)
        XCTAssertEqual(curve.accuracy.last, model.accuracy, "every eigenvector kept = the model's accuracy")
        XCTAssertEqual(curve.modelAccuracy, model.accuracy)
        XCTAssertLessThan(curve.maxLogitError, 1e-9)

        // Pearce et al.: a few eigenvectors per class recover the accuracy, and it stays there.
        let k95 = try XCTUnwrap(curve.kFor95Percent)
        XCTAssertLessThanOrEqual(k95, 5)
        XCTAssertEqual(curve.smallestK(reaching: 0.95), k95)
        if k95 > 1 { XCTAssertLessThan(curve.accuracy[k95 - 2], 0.95 * model.accuracy) }
        for k in k95...64 { XCTAssertGreaterThanOrEqual(curve.accuracy[k - 1], 0.95 * model.accuracy, "k = \(k)") }

        // The batched curve against a sample-by-sample count from the eigenpairs.
        for k in [1, 2, 3, 10] {
            XCTAssertEqual(curve.accuracy[k - 1], bruteForceAccuracy(analysis, data, keep: k), accuracy: 1e-12, "k = \(k)")
        }
    }

    func testLogitsOfTheFormsMatchTheFloat32Model() throws {
        let network = try Self.network.get()
        let data = try Self.data.get()
        let analysis = try BilinearAnalysis(network: network, layer: "bilinear")
        let x = data.x.rows(in: 0..<50)
        let logits = network.scores(x)
        let points = analysis.site.formInputs(x)
        for (c, form) in analysis.forms.enumerated() {
            let values = form.values(points)
            for s in 0..<x.rows { XCTAssertEqual(values[s], Double(logits[s, c]), accuracy: 1e-4 * max(1, abs(values[s]))) }
        }
    }

    /// Accuracy with each class keeping its k largest-|λ| eigenvectors, one sample, one class
    /// and one eigenvector at a time.
    private func bruteForceAccuracy(_ analysis: BilinearAnalysis, _ data: Dataset, keep k: Int) -> Double {
        let points = analysis.site.formInputs(data.x)
        let kept = analysis.forms.map { form in
            Array(form.eigenvalues.indices.sorted { abs(form.eigenvalues[$0]) > abs(form.eigenvalues[$1]) }.prefix(k))
        }
        var correct = 0
        for s in 0..<data.count {
            let x = Array(points.row(s))
            let logits = analysis.forms.enumerated().map { c, form in
                kept[c].reduce(form.direction.offset) { sum, i in
                    let p = dot(Array(form.eigenvectors.row(i)), x)
                    return sum + form.eigenvalues[i] * p * p
                }
            }
            if logits.firstIndex(of: logits.max()!) == data.labels![s] { correct += 1 }
        }
        return Double(correct) / Double(data.count)
    }
}
