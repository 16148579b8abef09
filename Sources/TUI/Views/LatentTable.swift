import Figures
import Foundation
import Interpret

/// The latent browser's table: one row per latent with how often it fires on the data (freq),
/// its mean value when it fires and its largest, and the class whose logit it raises most
/// through the rest of the network, with that effect.
enum LatentTable {
    static let columns: [Table.Column] = [
        .init("latent"), .init("freq", .percent(2)), .init("mean"), .init("max"), .init("class"), .init("effect")
    ]
    static let frequencyColumn = 1
    static let topClassColumn = 4

    static func make(metrics: SAEMetrics, top: [[LatentActivation]], effects: [[Double]?]) -> Table {
        Table(
            columns: columns,
            rows: metrics.latentFrequency.indices.map { j in
                let f = metrics.latentFrequency[j]
                let best = effects[j].flatMap(argmax)
                return [
                    .integer(j), .number(f), f > 0 ? .number(metrics.latentMeanActivation[j]) : .missing,
                    top[j].first.map { .number($0.value) } ?? .missing,
                    best.map { .integer($0) } ?? .missing, best.map { .number(effects[j]![$0]) } ?? .missing
                ]
            })
    }

    /// The index of the largest value (the first of ties).
    static func argmax(_ values: [Double]) -> Int? {
        values.indices.max { values[$0] < values[$1] || (values[$0] == values[$1] && $0 > $1) }
    }
}
