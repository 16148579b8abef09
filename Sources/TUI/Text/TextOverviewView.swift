import Figures
import Foundation
import LinAlg
import Transformers
import Workbench

/// What each transformer is and how it does on the text: its shape, its next-token loss on the
/// workspace's contexts (causal models), and the residual stream's statistics after the
/// embedding and after every block, where a model's norm growth and outlier dimensions show.
public final class TextOverviewView: RegisteredView {
    public struct Settings: Codable, Equatable {
        public var table = TableState()
        public var filter = ""
        public init() {}
    }

    /// One model's figures on the text.
    public struct Summary: Sendable {
        public struct Stream: Sendable {
            public let hook: String
            public let width: Int
            /// Mean over tokens of ‖x‖ / √width.
            public let rms: Double
            public let mean: Double
            public let std: Double
            /// The largest |value| of any token and dimension.
            public let largest: Double
        }

        public let streams: [Stream]
        /// Mean next-token cross-entropy (nats) over every position that has a next token;
        /// nil for a bidirectional model or one without a head.
        public let loss: Double?
        public let predictions: Int
        public let tokens: Int
    }

    public static let kind = "overview"
    public static let summary = "each transformer's shape, next-token loss on the text, and the residual stream's statistics by block"

    public private(set) var settings: Settings
    private let workspace: Workspace
    public private(set) var summaries: [Summary?]
    private var failure: String?

    public required init(workspace: Workspace, settings: Settings?) {
        self.workspace = workspace
        self.settings = settings ?? Settings()
        summaries = Array(repeating: nil, count: workspace.textModels.count)
    }

    public var title: String { "Overview" }
    public typealias Action = TableState.Action
    public var keyBindings: [KeyBinding<Action>] { TableState.bindings }

    /// The hook points the table follows: the stream into the first block, out of each block,
    /// and out of the final norm.
    static func streamHooks(_ t: Transformer) -> [String] {
        let names = Set(t.hookPoints.map(\.name))
        return (["blocks.0.hook_resid_pre"] + (0..<t.config.layers).map { "blocks.\($0).hook_resid_post" } + ["ln_final.hook_normalized"])
            .filter(names.contains)
    }

    public func opened(_ context: ViewContext) {
        let models = workspace.textModels
        guard let text = workspace.text else { return }
        context.jobs.submit(
            "summarising",
            work: { [weak self] job in
                for (i, model) in models.enumerated() {
                    let summary = try Self.compute(model.transformer, text.contexts, job: job, label: model.reference)
                    job.deliver { self?.summaries[i] = summary }
                }
            },
            completion: { [weak self] outcome in
                if case .failed(let m) = outcome { self?.failure = m }
                if case .cancelled = outcome { self?.failure = "cancelled; :close and :open overview to start again" }
            })
    }

    /// The summary of `transformer` on `contexts`.
    static func compute(_ transformer: Transformer, _ contexts: [[Int]], job: JobControl, label: String) throws -> Summary {
        let hooks = streamHooks(transformer)
        let predicts = transformer.config.causal && transformer.hasHead
        var sums = [(rms: Double, sum: Double, squares: Double, largest: Double)](repeating: (0, 0, 0, 0), count: hooks.count)
        var (loss, predictions, tokens) = (0.0, 0, 0)
        try runContexts(transformer, contexts, keeping: Set(hooks + (predicts ? ["logits"] : [])), job: job, label: label) { range, run in
            for (h, hook) in hooks.enumerated() {
                let x = run.hooks[hook]!
                for r in 0..<x.rows {
                    var squares = 0.0
                    for v in x.row(r) {
                        let d = Double(v)
                        squares += d * d
                        sums[h].sum += d
                        sums[h].largest = max(sums[h].largest, abs(d))
                    }
                    sums[h].squares += squares
                    sums[h].rms += (squares / Double(x.cols)).squareRoot()
                }
            }
            tokens += range.reduce(0) { $0 + contexts[$1].count }
            guard predicts, let logits = run.hooks["logits"] else { return }
            var row = 0
            for c in range {
                let ids = contexts[c]
                for t in 0..<ids.count - 1 { loss += Self.crossEntropy(logits, row: row + t, target: ids[t + 1]) }
                predictions += ids.count - 1
                row += ids.count
            }
        }
        let streams = hooks.enumerated().map { h, hook in
            let width = transformer.hookPoints.first { $0.name == hook }!.width
            let n = Double(tokens * width)
            let mean = sums[h].sum / n
            return Summary.Stream(
                hook: hook, width: width, rms: sums[h].rms / Double(tokens), mean: mean,
                std: max(sums[h].squares / n - mean * mean, 0).squareRoot(), largest: sums[h].largest)
        }
        return Summary(
            streams: streams, loss: predicts && predictions > 0 ? loss / Double(predictions) : nil, predictions: predictions, tokens: tokens
        )
    }

    /// −log softmax(logits[row])[target], in Double.
    static func crossEntropy(_ logits: Matrix<Float>, row: Int, target: Int) -> Double {
        let values = logits.row(row)
        return Logits.logSumExp(values) - Double(values[values.startIndex + target])
    }

    public func perform(_ action: Action, _ context: ViewContext) -> Bool {
        settings.table.perform(action, columns: Self.columns.count)
        return true
    }

    public func applyFilter(_ text: String) -> Bool {
        settings.filter = text
        return true
    }

    static let columns: [Table.Column] = [
        .init("hook point"), .init("width"), .init("rms", .fixed(3)), .init("mean", .fixed(3)), .init("std", .fixed(3)),
        .init("max |x|", .fixed(2))
    ]

    public static func streamTable(_ summary: Summary) -> Table {
        Table(
            columns: columns,
            rows: summary.streams.map { s in
                [.text(s.hook), .integer(s.width), .number(s.rms), .number(s.mean), .number(s.std), .number(s.largest)]
            })
    }

    public func exportTable() -> Table? {
        guard summaries.allSatisfy({ $0 != nil }), !summaries.isEmpty else { return nil }
        var table = Table(columns: [Table.Column("model")] + Self.columns + [Table.Column("loss"), Table.Column("predictions")])
        for (model, summary) in zip(workspace.textModels, summaries.map { $0! }) {
            for row in Self.streamTable(summary).rows {
                table.rows.append(
                    [.text(model.reference)] + row + [summary.loss.map { .number($0) } ?? .missing, .integer(summary.predictions)])
            }
        }
        return table
    }

    public func render(_ canvas: Canvas, _ context: ViewContext) {
        if let failure { TextBlock.render("Overview: \(failure)", Theme.error, canvas: canvas); return }
        let models = workspace.textModels
        let areas =
            models.count > 1 && canvas.width >= 120 ? canvas.bounds.columns(models.count, gap: 3) : canvas.bounds.rows(models.count, gap: 1)
        for (i, model) in models.enumerated() { renderModel(model, summaries[i], canvas.sub(areas[i])) }
    }

    private func renderModel(_ model: LoadedTextModel, _ summary: Summary?, _ canvas: Canvas) {
        let c = model.transformer.config
        canvas.text(0, 0, model.title, Theme.heading)
        let kv = c.kvHeads < c.heads ? " (\(c.kvHeads) key/value)" : ""
        let positions = c.rotary == nil ? " · \(c.maxPositions) positions" : " · rotary positions"
        canvas.text(
            model.title.unicodeScalars.count, 0,
            "  \(c.modelType) · \(c.layers) blocks · d \(c.dModel) · \(c.heads) heads\(kv) · MLP \(c.dMLP) · vocabulary \(NumberFormat.grouped(c.vocabSize))\(positions)"
        )
        guard let summary, let text = workspace.text else {
            canvas.text(0, 1, "running \(workspace.data.name) through the model…", Theme.dim)
            return
        }
        let loss =
            summary.loss.map {
                "next-token loss \(String(format: "%.4f", $0)) nats (perplexity \(String(format: "%.2f", exp($0)))) over \(NumberFormat.grouped(summary.predictions)) predictions"
            } ?? (c.causal ? "no language-model head: no next-token loss" : "bidirectional: no next-token loss")
        canvas.text(0, 1, "\(text.contexts.count) contexts, \(NumberFormat.grouped(summary.tokens)) tokens · \(loss)")
        if !settings.filter.isEmpty { canvas.textRight(canvas.width, 1, "filter: \(settings.filter)", Theme.accent) }
        TableWidget.render(
            Self.streamTable(summary), state: &settings.table, filter: settings.filter,
            canvas: canvas.sub(Rect(x: 0, y: 2, width: canvas.width, height: canvas.height - 2)))
    }
}
