import Figures

/// The tab of a method that does not apply to the workspace's models (LRP on a transformer):
/// it keeps its place among the tabs and says why, in one line, rather than failing or
/// vanishing.
final class UnavailableView: WorkbenchView {
    typealias Settings = [String: String]
    typealias Action = Never

    static let kind = "unavailable"
    static let summary = "a method that does not apply to these models, and why"

    let kind: String
    let title: String
    let reason: String

    init(kind: String, title: String, reason: String) {
        self.kind = kind
        self.title = title
        self.reason = reason
    }

    var settings: Settings { [:] }
    var keyBindings: [KeyBinding<Never>] { [] }

    func render(_ canvas: Canvas, _ context: ViewContext) {
        TextBlock.render(reason, Theme.warning, canvas: canvas)
    }

    func perform(_ action: Never, _ context: ViewContext) -> Bool {
        switch action {}
    }

    func exportTable() -> Table? { nil }
}
