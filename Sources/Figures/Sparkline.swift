/// Counts as a row of block characters ▁…█, each scaled to the largest; zero is a blank, so an
/// empty bin reads as empty (a histogram in one line of text).
public enum Sparkline {
    public static func text(_ counts: [Int]) -> String {
        let blocks = Array("▁▂▃▄▅▆▇█")
        let top = max(counts.max() ?? 0, 1)
        return String(counts.map { $0 <= 0 ? " " : blocks[min(($0 * blocks.count - 1) / top, blocks.count - 1)] })
    }
}
