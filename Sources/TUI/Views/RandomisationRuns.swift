import Interpret
import Networks
import Workbench

/// A setting of the LRP view's model-randomisation check: model, LRP configuration, target.
struct RandomisationKey: Equatable {
    var model: String
    var configuration: LRPConfiguration
    var target: AttributionTarget

    /// The check's settings: `loupe lrp randomise`'s defaults (seed, samples, cascading) with
    /// the view's LRP configuration and target.
    var options: ModelRandomisationOptions {
        ModelRandomisationOptions(configuration: configuration, target: target)
    }
}

/// The LRP view's model-randomisation checks, each delivered when done.
typealias RandomisationRuns = BackgroundRuns<RandomisationKey, ModelRandomisationResult>

extension BackgroundRuns where Key == RandomisationKey, Result == ModelRandomisationResult {
    func ensure(_ key: Key, check: ModelRandomisation, data: Dataset, context: ViewContext) {
        ensure(key, title: "model randomisation: \(key.configuration.name)", context: context) { job, deliver in
            deliver(try check.compute(data: data, progress: job.progress))
        }
    }
}
