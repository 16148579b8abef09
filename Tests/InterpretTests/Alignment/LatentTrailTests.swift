import Interpret
import LinAlg
import Networks
import TestSupport
import XCTest

/// A latent or unit followed into the other analyses, each link checked against a value
/// computed here from the models: the top sample and the explained u·h(x) from a forward pass,
/// LRP's conservation, the partner from Pearson correlations, the Re-Basin unit from the
/// permutation, and a planted eigenvector found as the eigen-feature.
final class LatentTrailTests: XCTestCase {
    let data = try! DataSource.load("builtin:digits:test")

    func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let (mx, my) = (x.reduce(0, +) / Double(x.count), y.reduce(0, +) / Double(y.count))
        let sxy = zip(x, y).reduce(0) { $0 + ($1.0 - mx) * ($1.1 - my) }
        let sxx = x.reduce(0) { $0 + ($1 - mx) * ($1 - mx) }, syy = y.reduce(0) { $0 + ($1 - my) * ($1 - my) }
        return sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : 0
    }

    func testAUnitsTrail() throws {
        let (a, b) = (try DemoModels.load("mlp-1"), try DemoModels.load("mlp-2"))
        let rebasin = try GitRebasin.run(a, b).result.groups
        let u = 17
        let trail = try LatentTrail.follow(.unit(u), layer: "relu1", of: a, data: data, b: b, rebasin: rebasin)
        let h = a.trace(data.x)[try a.traceIndex(of: "relu1")]
        let column = (0..<h.rows).map { Double(h[$0, u]) }
        XCTAssertEqual(trail.topSample, column.indices.max { column[$0] < column[$1] })
        XCTAssertEqual(trail.topActivation, column.max()!, accuracy: 1e-6)
        XCTAssertEqual(trail.explained, column.max()!, accuracy: 1e-4, "u·h(x) of a basis vector is the unit")
        XCTAssertEqual(trail.strongestUnit, u)
        let hb = b.trace(data.x)[try b.traceIndex(of: "relu1")]
        let r = (0..<hb.cols).map { j in pearson(column, (0..<hb.rows).map { Double(hb[$0, j]) }) }
        let best = r.indices.max { r[$0] < r[$1] }!
        XCTAssertEqual(trail.partner?.unit, best)
        XCTAssertEqual(trail.partner?.correlation ?? 0, r[best], accuracy: 1e-9)
        let fc1 = try XCTUnwrap(rebasin.first { $0.layer == "fc1" })
        XCTAssertEqual(trail.rebasinUnit, fc1.permutation[u], "relu1 shares fc1's permutation")
        XCTAssertNil(trail.eigenfeature, "no bilinear layer after relu1")
        XCTAssertEqual(trail.relevance.count, 64)
    }

    /// A latent: its activation is the SAE's code, and LRP explains its encoder row: the
    /// explained score is w·h(x) at the top sample, recomputed here.
    func testALatentsTrailExplainsItsEncoderRow() throws {
        let a = try DemoModels.load("mlp-1")
        let h = a.trace(data.x)[try a.traceIndex(of: "relu1")]
        let sae = try SAETrainer.train(
            on: ActivationMatrix(h, name: "relu1"),
            options: SAETrainingOptions(architecture: .topk, latents: 128, k: 8, steps: 200, batchSize: 256, seed: 3)
        ).sae
        let codes = sae.encode(h).dense
        let j = (0..<codes.cols).max { a, b in
            (0..<codes.rows).count(where: { codes[$0, a] > 0 }) < (0..<codes.rows).count(where: { codes[$0, b] > 0 })
        }!
        let trail = try LatentTrail.follow(.latent(j), layer: "relu1", of: a, sae: sae, data: data)
        let column = (0..<codes.rows).map { Double(codes[$0, j]) }
        XCTAssertEqual(trail.topSample, column.indices.max { column[$0] < column[$1] })
        let w = sae.encoder.row(j).map(Double.init)
        let wh = zip(w, h.row(trail.topSample)).reduce(0) { $0 + $1.0 * Double($1.1) }
        XCTAssertEqual(trail.explained, wh, accuracy: 1e-4)
        let d = sae.decoder.row(j).map { abs(Double($0)) }
        XCTAssertEqual(trail.strongestUnit, d.indices.max { d[$0] < d[$1] })
        XCTAssertNil(trail.partner)
        XCTAssertNil(trail.rebasinUnit)
    }

    /// A latent whose decoder direction is a class form's eigenvector of demo:bilinear (written
    /// in the embedding's space) is linked to that eigenvector with |cos| = 1.
    func testAPlantedEigenvectorIsTheEigenfeature() throws {
        let a = try DemoModels.load("bilinear")
        let spectra = try BilinearAnalysis(site: BilinearSite(network: a, layer: "bilinear", space: "embed")).spectra(top: 3)
        let planted = spectra[4].negative[1]
        var rng = SeededRandom(seed: 1)
        var sae = SparseAutoencoder<Float>.initialised(architecture: .topk, inputSize: 64, latents: 8, k: 2, decoderNorm: 1, rng: &rng)
        var rows = (0..<8).map { Array(sae.decoder.row($0)) }
        rows[5] = planted.vector.map { Float(-2 * $0) }
        sae.decoder = Matrix(rows)
        let trail = try LatentTrail.follow(.latent(5), layer: "embed", of: a, sae: sae, data: data)
        let e = try XCTUnwrap(trail.eigenfeature)
        XCTAssertEqual(e.form, spectra[4].label)
        XCTAssertEqual(e.index, planted.index)
        XCTAssertEqual(e.eigenvalue, planted.eigenvalue)
        XCTAssertEqual(e.cosine, 1, accuracy: 1e-6)
        XCTAssertEqual(e.bilinearLayer, "bilinear")
    }

    /// On a convolutional layer a unit is a channel, as Align and Re-Basin count them: its
    /// signal is the channel's sum over positions, and the Re-Basin unit of a model matched with
    /// itself is the same channel.
    func testAChannelsTrail() throws {
        let a = try DemoModels.load("cnn")
        let c = 5
        let trail = try LatentTrail.follow(.unit(c), layer: "relu2", of: a, data: data, rebasin: try GitRebasin.run(a, a).result.groups)
        let h = a.trace(data.x)[try a.traceIndex(of: "relu2")]
        let sums = (0..<h.rows).map { r in (c * 16..<(c + 1) * 16).reduce(0.0) { $0 + Double(h[r, $1]) } }
        XCTAssertEqual(trail.topSample, sums.indices.max { sums[$0] < sums[$1] })
        XCTAssertEqual(trail.explained, sums.max()!, accuracy: 1e-4)
        XCTAssertEqual(trail.strongestUnit, c)
        XCTAssertEqual(trail.rebasinUnit, c, "a model matched with itself keeps its channels")
        assertThrowsMessage(try LatentTrail.follow(.unit(32), layer: "relu2", of: a, data: data), contains: ["0…31 (channels)", "32"])
    }

    func testRefusals() throws {
        let a = try DemoModels.load("mlp-1")
        assertThrowsMessage(try LatentTrail.follow(.unit(999), layer: "relu1", of: a, data: data), contains: ["relu1", "999"])
        assertThrowsMessage(try LatentTrail.follow(.latent(0), layer: "relu1", of: a, data: data), contains: ["no SAE"])
        assertThrowsMessage(try LatentTrail.follow(.unit(0), layer: "nope", of: a, data: data), contains: ["nope"])
    }
}
