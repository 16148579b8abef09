import LinAlg

/// Batchnorm in training: normalising each batch by its own statistics, and keeping the running
/// statistics that evaluation uses, as torch's `model.train()` does.
extension Network {
    /// Switches every batchnorm layer between the batch's statistics (training) and the
    /// running ones (evaluation, the default).
    public mutating func useBatchStatistics(_ on: Bool) {
        for i in layers.indices {
            if case .batchNorm(var n) = layers[i].operation {
                n.usesBatchStatistics = on
                layers[i].operation = .batchNorm(n)
            }
        }
    }

    /// Moves every batchnorm's running statistics towards those of its input in `trace`
    /// (torch's momentum, 0.1, by default).
    public mutating func updateRunningStatistics(trace: [Matrix<T>], momentum: Double = 0.1) {
        for i in layers.indices {
            if case .batchNorm(var n) = layers[i].operation {
                n.updateRunningStatistics(from: trace[inputIndices(of: i)[0]], momentum: momentum)
                layers[i].operation = .batchNorm(n)
            }
        }
    }

    /// Where the running statistics sit in the flat parameter vector: values an optimiser must
    /// not move.
    public var runningStatisticRanges: [Range<Int>] {
        parameterSlots.filter { $0.role == "running_mean" || $0.role == "running_var" }.map(\.range)
    }
}
