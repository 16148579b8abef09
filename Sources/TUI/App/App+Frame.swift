import Foundation
import Networks
import Workbench

extension App {
    /// Below this the workbench says so instead of drawing a cramped frame.
    public static let minimumSize = (width: 30, height: 8)

    /// Draws the whole frame into `grid` (cleared first).
    public func render(into grid: Grid) {
        grid.clear()
        let canvas = Canvas(grid: grid, colors: colors)
        guard canvas.width >= App.minimumSize.width, canvas.height >= App.minimumSize.height else {
            let text =
                "Loupe needs at least \(App.minimumSize.width)×\(App.minimumSize.height); this terminal is \(canvas.width)×\(canvas.height). Enlarge it, or q to quit."
            TextBlock.render(text, Theme.warning, canvas: canvas)
            return
        }
        let (top, rest) = canvas.bounds.splitTop(1)
        let (body, bottom) = rest.splitTop(rest.height - statusLayout(width: canvas.width).rows)
        renderTabBar(canvas.sub(top))
        renderStatus(canvas.sub(bottom))
        var main = body
        if options.showSidebar, canvas.width >= 60 {
            let (side, right) = body.splitLeft(min(max(canvas.width / 5, 18), 30))
            renderSidebar(canvas.sub(Rect(x: side.x, y: side.y, width: side.width - 1, height: side.height)))
            canvas.sub(Rect(x: side.x + side.width - 1, y: side.y, width: 1, height: side.height)).verticalLine(0)
            main = Rect(x: right.x + 1, y: right.y, width: right.width - 1, height: right.height)
        }
        let mainCanvas = canvas.sub(main)
        switch phase {
        case .loading(let plan, let failure): renderLoading(mainCanvas, plan, failure)
        case .ready(let context):
            if let view = currentView {
                view.render(mainCanvas, context)
            } else {
                TextBlock.render(
                    "No view is open. Press : and choose one (open overview, open activations, …).", Theme.dim, canvas: mainCanvas)
            }
        }
        switch overlay {
        case .none: break
        case .help(let scroll): renderHelp(canvas.sub(body), scroll: scroll)
        case .prompt(let prompt): renderPrompt(canvas.sub(main), prompt)
        }
    }

    private func renderTabBar(_ canvas: Canvas) {
        canvas.fill(Style(attributes: .reverse))
        var x = canvas.text(0, 0, " Loupe ", Style(attributes: [.reverse, .bold]))
        let tag = options.sessionName.map { "[\($0)]" } ?? ""
        let labels = tabTitles.enumerated().map { " \($0 + 1) \($1) " }
        // When the titles do not all fit beside the session's name, the tabs not shown give
        // their number only, as the F-keys of btop do; the session's name is never cut. Labels
        // carry their own padding, so they sit side by side without a gap.
        let fits = x + labels.reduce(0) { $0 + $1.unicodeScalars.count } + tag.unicodeScalars.count + 2 <= canvas.width
        for (i, label) in labels.enumerated() {
            let style = i == activeTab ? Style(attributes: .bold) : Style(attributes: .reverse)
            x += canvas.text(x, 0, fits || i == activeTab ? label : " \(i + 1)", style)
        }
        var right = tag
        if let workspace {
            right += (tag.isEmpty ? "" : " ") + workspace.shortNames.joined(separator: " vs ") + " · " + workspace.data.name
        }
        let room = canvas.width - x - 2
        guard room > 0, room >= tag.unicodeScalars.count else { return }
        // Cut the end (the data's name), never the session's name.
        let shown =
            right.unicodeScalars.count <= room
            ? right
            : room > tag.unicodeScalars.count + 1 ? String(String.UnicodeScalarView(right.unicodeScalars.prefix(room - 1))) + "…" : tag
        canvas.textRight(canvas.width - 1, 0, shown, Style(attributes: .reverse))
    }

    /// The status line's job part takes the start of its first row; a message that does not fit
    /// after it wraps onto up to two more rows (the main area gives them up), so that no message
    /// is cut.
    func statusLayout(width: Int) -> (rows: Int, jobWidth: Int, lines: [String]) {
        var jobWidth = 0
        if let status = jobs.status {
            jobWidth = min(jobLabel(status).unicodeScalars.count + 1, width / 3) + min(24, max(width / 5, 8)) + 1 + "Esc cancels ".count + 2
        }
        guard let message else { return (1, jobWidth, []) }
        if jobWidth + message.text.unicodeScalars.count <= width { return (1, jobWidth, [message.text]) }
        let lines = TextBlock.wrap(message.text, width: width)
        return (jobWidth == 0 ? min(lines.count, 3) : min(lines.count + 1, 3), jobWidth, lines)
    }

    /// "SAE training (+1) (1 paused)": the running job, those waiting and those it paused.
    private func jobLabel(_ status: JobRunner.Status) -> String {
        status.title + (status.queued > 0 ? " (+\(status.queued))" : "") + (status.paused > 0 ? " (\(status.paused) paused)" : "")
    }

    private func renderStatus(_ canvas: Canvas) {
        let layout = statusLayout(width: canvas.width)
        if layout.rows > 1, let message {
            // The job (if any) on the first row, the message wrapped below it or from the top.
            let first = jobs.status == nil ? 0 : 1
            if first == 1 { renderJobStatus(canvas) }
            for (i, line) in layout.lines.prefix(layout.rows - first).enumerated() { canvas.text(0, first + i, line, message.style) }
            return
        }
        let x = renderJobStatus(canvas)
        if let message {
            canvas.text(x > 0 ? x + canvas.text(x, 0, "│ ", Theme.dim) : 0, 0, message.text, message.style)
        } else if x == 0 {
            let hints = ["? help", "Tab next", ": command", "e export", "s save", "q quit"]
            canvas.text(0, 0, hints.joined(separator: "  "), Theme.dim)
        }
    }

    /// The running job on the first row: its title, a progress bar and the Esc hint; returns the
    /// width used.
    @discardableResult
    private func renderJobStatus(_ canvas: Canvas) -> Int {
        var x = 0
        if let status = jobs.status {
            x = canvas.text(0, 0, jobLabel(status) + " ", Theme.accent, maxWidth: canvas.width / 3)
            let barWidth = min(24, max(canvas.width / 5, 8))
            ProgressBarWidget.render(status.fraction, canvas: canvas.sub(Rect(x: x, y: 0, width: barWidth, height: 1)))
            x += barWidth + 1
            x += canvas.text(x, 0, "Esc cancels ", Theme.dim)
        }
        return x
    }

    private func renderSidebar(_ canvas: Canvas) {
        var items: [ListItem] = []
        items.append(ListItem("Models", style: Theme.heading))
        if let workspace, workspace.isText {
            items += textSidebarItems(workspace)
        } else if let workspace {
            for model in workspace.models {
                items.append(ListItem(model.title, depth: 0, style: Theme.title, elision: .middle))
                if model.shortName != model.reference {
                    items.append(ListItem(model.reference, depth: 1, style: Theme.dim, elision: .middle))
                }
                // A graph's side branches (a shortcut's layers, a gate) are indented under the
                // main path; a layer that joins branches is marked, with what else it reads on
                // the line below.
                let network = model.network
                let mainPath = network.mainPath
                for (i, layer) in network.layers.enumerated() {
                    let depth = mainPath.contains(i) ? 1 : 2
                    let joins = network.inputIndices(of: i).count > 1
                    items.append(
                        ListItem(
                            (depth == 1 ? "" : "┆ ") + (joins ? "⊕ " : "") + layer.name, depth: depth, detail: shapeText(layer.outputShape))
                    )
                    let others = network.inputIndices(of: i).filter { $0 != i }.map(network.activationName(at:))
                    if !others.isEmpty { items.append(ListItem("← " + others.joined(separator: ", "), depth: depth + 1, style: Theme.dim)) }
                }
            }
            items.append(ListItem("Data", style: Theme.heading))
            items.append(ListItem(workspace.data.name, depth: 1, elision: .middle))
            let labels = workspace.data.labels.map { "\(Set($0).count) classes" } ?? "no labels"
            items.append(ListItem("\(workspace.data.count) samples, \(labels)", depth: 1, style: Theme.dim))
        } else if case .loading(let plan, _) = phase {
            for reference in plan.models { items.append(ListItem(reference, depth: 1, detail: "loading")) }
        }
        for warning in options.warnings { items.append(ListItem("! " + warning, style: Theme.warning)) }
        items.append(ListItem("Saved results", style: Theme.heading))
        let saved = options.sessions.names().map { "session \($0)" }
        let all = saved + savedThisRun.filter { !saved.contains($0) }
        if all.isEmpty { items.append(ListItem("(none yet: s saves, e exports)", depth: 1, style: Theme.dim)) }
        for s in all { items.append(ListItem(s, depth: 1, elision: .middle)) }
        ListWidget.render(items, canvas: canvas)
    }

    private func renderLoading(_ canvas: Canvas, _ plan: WorkspacePlan, _ failure: String?) {
        let inner = canvas.box(title: "Loading")
        if let failure {
            TextBlock.render("Could not open the workspace: \(failure)\n\nq quits.", Theme.error, canvas: inner)
            return
        }
        var y = 0
        y += TextBlock.render(
            "Opening \(plan.models.joined(separator: " and ")) on \(plan.data). Demo models are trained on first use (a few seconds each) and cached.",
            canvas: inner)
        y += 1
        guard let status = jobs.status else { return }
        inner.text(0, y, status.message, Theme.dim)
        ProgressBarWidget.render(status.fraction, canvas: inner.sub(Rect(x: 0, y: y + 1, width: inner.width, height: 1)))
        if !status.series.isEmpty {
            let plot = LinePlot(
                title: "training loss (mean of the epoch so far, by step)",
                series: status.series.map { LinePlot.Series($0.name, y: $0.values) })
            plot.render(inner.sub(Rect(x: 0, y: y + 3, width: inner.width, height: inner.height - y - 3)))
        }
    }

    private func renderHelp(_ canvas: Canvas, scroll: Int) {
        var lines: [(String, String, Bool)] = [("Workbench", "", true)]
        lines += App.bindings.map { ($0.keyLabel, $0.help, false) }
        if let view = currentView, !view.keyHelp.isEmpty {
            lines.append(("", "", false))
            lines.append((view.title, "", true))
            lines += view.keyHelp.map { ($0.keys, $0.help, false) }
        }
        let width = min(canvas.width - 2, 84)
        let height = min(canvas.height, lines.count + 3)
        let box = canvas.sub(Rect(x: (canvas.width - width) / 2, y: 0, width: width, height: height))
        let inner = box.box(title: "Keys — any key closes, j/k scroll")
        let keyWidth = min(lines.map { $0.0.unicodeScalars.count }.max() ?? 0, inner.width / 3)
        let top = min(scroll, max(lines.count - inner.height, 0))
        for (row, line) in lines.dropFirst(top).prefix(inner.height).enumerated() {
            if line.2 { inner.text(0, row, line.0, Theme.heading); continue }
            inner.text(1, row, line.0, Theme.accent, maxWidth: keyWidth)
            inner.text(keyWidth + 3, row, line.1)
        }
    }

    private func renderPrompt(_ canvas: Canvas, _ prompt: Prompt) {
        let matches = suggestions(for: prompt)
        let title: String
        switch prompt.purpose {
        case .palette: title = "Command — Enter runs, Tab completes, Esc closes"
        case .filter: title = "Filter \(currentView?.title ?? "") — Enter applies, Esc cancels"
        case .saveName: title = "Save session as — Enter saves to \(options.sessions.directory.path)"
        }
        let height = min(canvas.height, 3 + (matches.isEmpty ? 0 : min(matches.count, 10) + 1))
        let inner = canvas.sub(Rect(x: 0, y: 0, width: canvas.width, height: height)).box(title: title, style: Theme.accent)
        let lead = prompt.purpose == .palette ? ":" : "›"
        inner.text(0, 0, lead + " " + prompt.editor.text)
        inner.put(2 + prompt.editor.cursor, 0, "▏", Theme.accent)
        if !matches.isEmpty {
            let nameWidth = matches.map { $0.name.count }.max() ?? 0
            let items = matches.map { ListItem($0.name.padding(toLength: nameWidth + 2, withPad: " ", startingAt: 0) + $0.help) }
            ListWidget.render(
                items, selected: prompt.selected, canvas: inner.sub(Rect(x: 0, y: 2, width: inner.width, height: inner.height - 2)))
        }
    }
}
