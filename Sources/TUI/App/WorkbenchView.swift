import Figures
import Foundation
import Workbench

/// One tab of the workbench. A view draws into a canvas, answers keys through its own binding
/// table (which the `?` help lists beside the workbench's), exports the numbers it shows, keeps
/// its settings in sessions, and starts long work as background jobs through its context.
///
/// Adding an analysis to the workbench means writing one of these (a `RegisteredView`) and
/// registering it in `ViewRegistry.standard`; the frame, sessions, export and help need no change.
public protocol WorkbenchView: AnyObject {
    /// What a session stores to reopen the view as it was.
    associatedtype Settings: Codable
    /// What the view's keys do: its `perform` handles every case.
    associatedtype Action: Sendable

    /// The name sessions and the `:open` command know the view by (lower case, one word).
    static var kind: String { get }
    /// One line for the command palette.
    static var summary: String { get }

    /// The name of this view's kind; `Self.kind` unless one type stands for several kinds.
    var kind: String { get }
    /// Whether the view takes every key (a text field being edited) before the workbench's own.
    var capturesTyping: Bool { get }
    var settings: Settings { get }
    var title: String { get }
    /// Keys this view answers to, beyond the workbench's own.
    var keyBindings: [KeyBinding<Action>] { get }

    /// Called once when the view is opened: start background jobs here.
    func opened(_ context: ViewContext)
    func render(_ canvas: Canvas, _ context: ViewContext)
    /// Runs one of the view's binding actions; returns whether it did anything.
    func perform(_ action: Action, _ context: ViewContext) -> Bool
    /// Answers a key; by default through `keyBindings`.
    func handle(_ key: Key, _ context: ViewContext) -> Bool
    /// Restricts what the view shows to matches of `text` (`/`); false if the view has no filter.
    func applyFilter(_ text: String) -> Bool
    /// The numbers behind what the view shows now, for `e` (nil while there is nothing yet).
    func exportTable() -> Table?
    /// The figures and caveats of the result on screen, as the command line and reports give
    /// them, for `E` (nil for views without such a result, or while it is computed).
    var figures: FigureSheet? { get }
}

/// A view the registry makes by its kind's name, from the workspace and saved settings.
public protocol RegisteredView: WorkbenchView {
    init(workspace: Workspace, settings: Settings?)
}

extension WorkbenchView {
    public func opened(_ context: ViewContext) {}

    public func handle(_ key: Key, _ context: ViewContext) -> Bool {
        guard let action = keyBindings.action(for: key) else { return false }
        return perform(action, context)
    }

    public func applyFilter(_ text: String) -> Bool { false }

    public var capturesTyping: Bool { false }

    public var figures: FigureSheet? { nil }

    /// The settings as JSON, for the session file.
    public var settingsJSON: JSONValue { (try? JSONValue(encoding: settings)) ?? .null }

    public var kind: String { Self.kind }

    /// The keys and what they do, for the `?` help.
    public var keyHelp: [(keys: String, help: String)] { keyBindings.map { ($0.keyLabel, $0.help) } }
}

/// What a view may use while it runs: the models and data, the job runner, the terminal's
/// colours, the status line, and the folder the user's files go to.
public final class ViewContext {
    public let workspace: Workspace
    public let jobs: JobRunner
    public internal(set) var colors: ColorMode
    /// Where `e` exports and where a view writes files the user asks for (`--export-dir`).
    public let exportDirectory: URL
    private let report: (String, Style) -> Void
    private let list: (String) -> Void
    private let show: (String) -> Void

    init(
        workspace: Workspace, jobs: JobRunner, colors: ColorMode, exportDirectory: URL,
        report: @escaping (String, Style) -> Void, list: @escaping (String) -> Void, show: @escaping (String) -> Void
    ) {
        self.workspace = workspace
        self.jobs = jobs
        self.colors = colors
        self.exportDirectory = exportDirectory
        self.report = report
        self.list = list
        self.show = show
    }

    /// Switches to the view of kind `name` (opening it if no tab has it).
    public func open(_ name: String) { show(name) }

    /// Shows a message in the status line.
    public func notify(_ message: String, style: Style = .plain) { report(message, style) }

    /// Lists a file the view wrote among the sidebar's saved results.
    public func wrote(_ file: URL) { list(file.lastPathComponent) }
}
