import Interpret
import Networks
import Workbench

/// A setting of the LRP view's pixel flipping: model, LRP configuration, target, samples.
struct FlippingKey: Equatable {
    var model: String
    var configuration: LRPConfiguration
    var target: AttributionTarget
    var samples: Int

    /// As `loupe lrp flip`: 16 steps, removed inputs set to 0, 10 random orders, seed 1; in
    /// batches of 20 so that the curves grow as the samples are done.
    static let options = PixelFlippingOptions(steps: 16, baseline: .value(0), randomOrders: 10, seed: 1, batchSize: 20)
}

/// The LRP view's pixel-flipping runs, their curves growing batch by batch.
typealias FlippingRuns = BackgroundRuns<FlippingKey, PixelFlippingResult>

extension BackgroundRuns where Key == FlippingKey, Result == PixelFlippingResult {
    func ensure(_ key: Key, network: Network<Float>, data: Dataset, context: ViewContext) {
        let samples = Array(0..<min(key.samples, data.count))
        ensure(key, title: "pixel flipping: \(key.configuration.name)", context: context) { job, deliver in
            _ = try PixelFlippingResult.compute(
                network: network, data: data, samples: samples, methods: [key.configuration], target: key.target,
                options: FlippingKey.options, progress: job.progress, partial: deliver)
        }
    }
}
