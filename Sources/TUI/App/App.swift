import Foundation
import Workbench

/// Where the workbench saves and exports, and what it starts with beyond the models.
public struct AppOptions {
    public var sessions: SessionStore
    public var exportDirectory: URL
    /// The session this workbench was restored from (the default name for `s`).
    public var sessionName: String?
    /// Shown at start: inputs that changed since the session was saved.
    public var warnings: [String]
    public var showSidebar: Bool
    public var registry: ViewRegistry

    public init(
        sessions: SessionStore, exportDirectory: URL, sessionName: String? = nil, warnings: [String] = [],
        showSidebar: Bool = true, registry: ViewRegistry = .standard
    ) {
        self.sessions = sessions
        self.exportDirectory = exportDirectory
        self.sessionName = sessionName
        self.warnings = warnings
        self.showSidebar = showSidebar
        self.registry = registry
    }
}

/// The workbench: tabs of views over one workspace, the sidebar, the status line, overlays
/// (help, command palette, prompts), and the key handling that ties them together. It knows
/// nothing of terminals: it draws into a `Grid` and is given `Key`s, so tests drive it
/// exactly as the terminal loop does.
public final class App {
    enum Phase {
        case loading(WorkspacePlan, failure: String?)
        case ready(ViewContext)
    }

    enum Overlay {
        case none
        case help(scroll: Int)
        case prompt(Prompt)
    }

    enum PromptPurpose { case palette, filter, saveName }

    struct Prompt {
        var purpose: PromptPurpose
        var editor: LineEditor
        var selected = 0
    }

    public let jobs = JobRunner()
    public private(set) var colors: ColorMode
    public private(set) var shouldQuit = false
    /// Set by Ctrl-L and resizes: the terminal loop repaints every cell, then clears it.
    public var wantsFullRepaint = false
    var options: AppOptions
    var phase: Phase
    var tabs: [any WorkbenchView] = []
    /// The tab on screen. A view starts its work (`opened`) when it is first shown, not when the
    /// workbench starts, so a tab nobody looks at costs nothing.
    var activeTab = 0 { didSet { startCurrentView() } }
    private var startedViews = Set<ObjectIdentifier>()
    var overlay = Overlay.none
    var message: (text: String, style: Style)? {
        didSet {
            cancelling = nil
            messageIsTransient = false
        }
    }
    /// Whether the message is a passing remark (a job was cancelled, a key does nothing) that
    /// the next key clears, so it does not stand beside what happens next.
    var messageIsTransient = false
    /// The job whose "cancelling …" message is on the status line: when it ends, the message
    /// says so, rather than outliving what it describes.
    var cancelling: JobControl?
    var pendingTabs: [Session.Tab]
    /// Files exported and sessions saved during this run, for the sidebar.
    var savedThisRun: [String] = []
    /// What `@` is following, until the next key picks where to.
    var followPending: Followable?
    /// The jumps made with `@`, first to last: the status line names them, Backspace undoes one.
    var trail: [TrailStep] = []

    /// A workbench on a loaded workspace, opening `tabs` (default: every registered view).
    public convenience init(
        workspace: Workspace, tabs: [Session.Tab]? = nil, activeTab: Int = 0, options: AppOptions,
        colors: ColorMode = .truecolor
    ) {
        self.init(phase: nil, tabs: tabs, activeTab: activeTab, options: options, colors: colors)
        becomeReady(workspace)
    }

    /// A workbench that first loads `plan` (training demo models) with a progress screen.
    public convenience init(
        loading plan: WorkspacePlan, tabs: [Session.Tab]? = nil, activeTab: Int = 0, options: AppOptions,
        colors: ColorMode = .truecolor
    ) {
        self.init(phase: .loading(plan, failure: nil), tabs: tabs, activeTab: activeTab, options: options, colors: colors)
        jobs.submit(
            "loading models",
            work: { [weak self] control in
                let workspace = try plan.load(control)
                control.deliver { self?.becomeReady(workspace) }
            },
            completion: { [weak self] outcome in
                guard let self, case .loading = self.phase else { return }
                switch outcome {
                case .finished: break
                case .cancelled: self.phase = .loading(plan, failure: "loading was cancelled")
                case .failed(let m): self.phase = .loading(plan, failure: m)
                }
            })
    }

    private init(phase: Phase?, tabs: [Session.Tab]?, activeTab: Int, options: AppOptions, colors: ColorMode) {
        self.options = options
        self.colors = colors
        self.phase = phase ?? .loading(WorkspacePlan(models: [], data: ""), failure: nil)
        pendingTabs = tabs ?? options.registry.kinds.map { Session.Tab(kind: $0.name, settings: .null) }
        self.activeTab = activeTab
        if !options.warnings.isEmpty {
            message = (options.warnings.joined(separator: "; ") + " — figures are recomputed from the files as they are now", Theme.warning)
        }
    }

    private func becomeReady(_ workspace: Workspace) {
        let context = ViewContext(
            workspace: workspace, jobs: jobs, colors: colors, exportDirectory: options.exportDirectory,
            report: { [weak self] text, style in self?.message = (text, style) },
            list: { [weak self] name in self?.savedThisRun.append(name) },
            show: { [weak self] name in
                do { try self?.open(name) } catch { self?.message = ("\(error)", Theme.error) }
            })
        phase = .ready(context)
        for tab in pendingTabs {
            do {
                let view = try options.registry.make(tab.kind, workspace: workspace, settings: tab.settings == .null ? nil : tab.settings)
                tabs.append(view)
            } catch {
                message = ("\(error)", Theme.error)
            }
        }
        pendingTabs = []
        activeTab = min(max(activeTab, 0), max(tabs.count - 1, 0))
    }

    var context: ViewContext? {
        if case .ready(let c) = phase { return c }
        return nil
    }

    public var workspace: Workspace? { context?.workspace }
    public var currentView: (any WorkbenchView)? { tabs.indices.contains(activeTab) ? tabs[activeTab] : nil }
    public var tabTitles: [String] { tabs.map(\.title) }
    public var activeTabIndex: Int { activeTab }
    public var statusMessage: String? { message?.text }
    public var isBusy: Bool { jobs.isBusy }
    /// Why the workspace could not be opened, when it could not.
    public var loadingFailure: String? {
        if case .loading(_, let failure) = phase { return failure }
        return nil
    }

    public func setColors(_ mode: ColorMode) {
        colors = mode
        context?.colors = mode
    }

    /// Runs what background jobs delivered; returns whether the screen should be redrawn.
    @discardableResult
    public func update() -> Bool {
        let changed = jobs.drain()
        if let job = cancelling, job.hasEnded {
            message = ("\(job.title): cancelled", Theme.dim)
            messageIsTransient = true
            return true
        }
        return changed
    }

    /// Waits for every job and applies its results (tests).
    public func finishJobs() {
        jobs.waitUntilIdle()
        update()
    }

    /// Opens a view of kind `name`, or switches to the open one of that kind.
    public func open(_ name: String) throws {
        guard let context else { throw WorkbenchError("the models are still loading") }
        if let kind = options.registry.kind(named: name), let i = tabs.firstIndex(where: { $0.kind == kind.name }) {
            activeTab = i
            return
        }
        let view = try options.registry.make(name, workspace: context.workspace)
        tabs.append(view)
        activeTab = tabs.count - 1
    }

    /// A closed view's identity may be reused by a new one, which must start again.
    func forgetStarted(_ view: any WorkbenchView) { startedViews.remove(ObjectIdentifier(view)) }

    private func startCurrentView() {
        guard let context, let view = currentView, startedViews.insert(ObjectIdentifier(view)).inserted else { return }
        view.opened(context)
    }

    func quit() {
        shouldQuit = true
        jobs.cancelRunning()
    }
}
