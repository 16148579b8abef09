import Interpret
import LinAlg
import Networks
import XCTest

final class ContributionsAndSimilarityTests: XCTestCase {
    func dataset(_ network: Network<Double>, count: Int, seed: UInt64) -> Dataset {
        Dataset(
            name: "random", x: BilinearTestModels.inputs(count, network.inputSize, seed: seed),
            labels: (0..<count).map { $0 % network.outputSize }, sampleShape: network.input.shape)
    }

    /// Per sample: the contributions plus the offset are the logit, the listed terms are the
    /// largest by magnitude and are λ (v·x̃)².
    func testContributionsAddUpToTheLogits() throws {
        let network = BilinearTestModels.network(.init(), seed: 21)
        let data = dataset(network, count: 8, seed: 22)
        let analysis = try BilinearAnalysis(network: network, layer: "bilinear")
        let samples = [5, 0, 7]
        let result = try analysis.contributions(data: data, samples: samples, top: 3)
        let logits = network.scores(data.x.rows(samples).converted(to: Double.self))
        let predicted = logits.rowArgmax()
        XCTAssertEqual(result.map(\.sample), samples)
        for (s, sample) in result.enumerated() {
            XCTAssertEqual(sample.label, data.labels![samples[s]])
            XCTAssertEqual(sample.predicted, predicted[s])
            XCTAssertEqual(sample.forms.count, network.outputSize)
            for (c, form) in sample.forms.enumerated() {
                XCTAssertEqual(form.value, logits[s, c], accuracy: 1e-10 * max(1, abs(logits[s, c])))
                XCTAssertEqual(form.contributions.reduce(0, +) + form.offset, form.value, accuracy: 1e-12 * max(1, abs(form.value)))
                XCTAssertEqual(form.contributions.count, analysis.site.formSize)
                XCTAssertEqual(form.top.count, 3)
                let magnitudes = form.contributions.map(abs).sorted(by: >)
                XCTAssertEqual(form.top.map { abs($0.contribution) }, Array(magnitudes.prefix(3)))
                for term in form.top {
                    XCTAssertEqual(
                        term.contribution, term.eigenvalue * term.projection * term.projection,
                        accuracy: 1e-12 * max(1, abs(term.contribution)))
                    XCTAssertEqual(term.eigenvalue, analysis.forms[c].eigenvalues[term.index])
                }
            }
        }
    }

    /// Identical readout rows give identical forms: their matching features have |cos| = 1 and
    /// top the list of shared features. Within a form, eigenvectors are orthogonal.
    func testSimilarityFindsSharedFeatures() throws {
        var network = BilinearTestModels.network(.init(classes: 3), seed: 31)
        guard case .linear(var head) = network.layers[2].operation else { return XCTFail("layer 2 is the head") }
        head.weight.setRow(2, Array(head.weight.row(0)))
        network.layers[2].operation = .linear(head)
        let analysis = try BilinearAnalysis(network: network, layer: "bilinear")
        let similarity = analysis.similarity(top: 2, pairs: 4)

        let features = similarity.features
        XCTAssertEqual(
            features.count,
            analysis.forms.map { f in
                let e = f.extremes(2); return e.positive.count + e.negative.count
            }.reduce(0, +))
        XCTAssertEqual(features.first?.name, "0 +1")
        for a in features.indices {
            XCTAssertEqual(similarity.cosine[a][a], 1, accuracy: 1e-12)
            for b in features.indices {
                XCTAssertEqual(similarity.cosine[a][b], similarity.cosine[b][a])
                let v = Array(analysis.forms[features[a].form].eigenvectors.row(features[a].index))
                let w = Array(analysis.forms[features[b].form].eigenvectors.row(features[b].index))
                XCTAssertEqual(similarity.cosine[a][b], abs(dot(v, w)), accuracy: 1e-12)
                if a != b && features[a].form == features[b].form { XCTAssertLessThan(similarity.cosine[a][b], 1e-10) }
            }
        }
        XCTAssertEqual(similarity.strongest.count, 4)
        for pair in similarity.strongest {
            XCTAssertEqual(pair.cosine, 1, accuracy: 1e-9)
            XCTAssertEqual(Set([features[pair.a].form, features[pair.b].form]), [0, 2])
            XCTAssertEqual(features[pair.a].index, features[pair.b].index)
        }
        XCTAssertEqual(similarity.strongest.map(\.cosine), similarity.strongest.map(\.cosine).sorted(by: >))
    }

    /// The report gathers everything, decomposing the class forms for the truncation curve when
    /// the analysis holds a single contrast.
    func testReportOfAContrastStillHasTheTruncationCurve() throws {
        let network = BilinearTestModels.network(.init(), seed: 41)
        let data = dataset(network, count: 20, seed: 42)
        let site = try BilinearSite(network: network, layer: "bilinear")
        let analysis = try BilinearAnalysis(site: site, directions: [site.contrast(0, 1)])
        let report = try analysis.report(top: 2, data: data, truncation: true, samples: [3])
        XCTAssertEqual(report.spectra.map(\.label), ["0−1"])
        XCTAssertNil(report.similarity)
        let curve = try XCTUnwrap(report.truncation)
        XCTAssertEqual(curve, try BilinearAnalysis(site: site).truncation(on: data))
        XCTAssertEqual(curve.accuracy.last, curve.modelAccuracy)
        XCTAssertEqual(report.contributions.map(\.sample), [3])
        XCTAssertEqual(report.contributions[0].forms.map(\.label), ["0−1"])
        XCTAssertEqual(report.space, "input")
        XCTAssertTrue(report.hasConstant)
    }
}
