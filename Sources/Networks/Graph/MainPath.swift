extension Network {
    /// The layers on the network's longest path from the input to the output, by layer index:
    /// the stream a reader follows (through a residual block's convolutions, say), from which the
    /// other layers (a shortcut's downsampling, a gate) branch off. A chain is all main path.
    /// Ties go to the first input, as a merge lists them.
    public var mainPath: Set<Int> {
        // depth[t]: layers on the longest path to trace index t; from[t]: the input it came by.
        var depth = [0], from = [0]
        for i in layers.indices {
            let reads = inputIndices(of: i)
            let deepest = reads.max { depth[$0] < depth[$1] }!
            depth.append(depth[deepest] + 1)
            from.append(deepest)
        }
        var path = Set<Int>()
        var t = layers.count
        while t > 0 {
            path.insert(t - 1)
            t = from[t]
        }
        return path
    }
}
