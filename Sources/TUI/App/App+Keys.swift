import Foundation
import TensorIO
import Workbench

extension App {
    /// What the workbench's own keys do.
    public enum Action: Sendable, Equatable {
        case help, quit, tabNext, tabPrevious, tabNumber, palette, filter, export, exportFigures, save, sidebar, tabClose, redraw, escape,
            follow, back
    }

    /// The workbench's own keys. The `?` help is generated from this table and the current view's.
    public static let bindings: [KeyBinding<Action>] = [
        KeyBinding([.char("?"), .function(1)], .help, "show or hide the help"),
        KeyBinding([.char("q"), .control("c")], .quit, "quit (the terminal is restored)"),
        KeyBinding([.tab, .char("]")], .tabNext, "next tab"),
        KeyBinding([.backTab, .char("[")], .tabPrevious, "previous tab"),
        KeyBinding((1...9).map { .char(Unicode.Scalar(UInt8(ascii: "0") + $0)) }, .tabNumber, "the tab of that number"),
        KeyBinding([.char(":")], .palette, "command palette: open VIEW, close, save NAME, export, sidebar, help, quit"),
        KeyBinding([.char("/")], .filter, "filter the current view (empty: show all)"),
        KeyBinding([.char("e")], .export, "export the current view's numbers as CSV"),
        KeyBinding(
            [.char("E")], .exportFigures,
            "export the current result's figures and caveats as CSV (as the command line and reports give them)"),
        KeyBinding([.char("s")], .save, "save the session"),
        KeyBinding([.char("b")], .sidebar, "show or hide the sidebar"),
        KeyBinding([.control("w")], .tabClose, "close the current tab"),
        KeyBinding([.control("l")], .redraw, "redraw the screen"),
        KeyBinding([.escape], .escape, "cancel the running job, or close what is open"),
        KeyBinding(
            [.char("@")], .follow,
            "follow the unit or latent under the cursor: then l its LRP map, a its partner in B, r its Re-Basin unit, b its bilinear eigenvector"
        ),
        KeyBinding([.backspace], .back, "walk the trail of @ back one step")
    ]

    /// Answers one key.
    public func handle(_ key: Key) {
        if key == .resize { wantsFullRepaint = true; return }
        if messageIsTransient { message = nil }
        switch overlay {
        case .prompt(var prompt):
            handlePrompt(&prompt, key)
            return
        case .help(let scroll):
            switch key {
            case .down, .char("j"): overlay = .help(scroll: scroll + 1)
            case .up, .char("k"): overlay = .help(scroll: max(scroll - 1, 0))
            case .control("c"): quit()
            default: overlay = .none
            }
            return
        case .none: break
        }
        if let followed = followPending {
            followPending = nil
            finishFollowing(followed, key)
            return
        }
        // A text field being edited takes every key but Ctrl-C.
        if let view = currentView, view.capturesTyping, key != .control("c"), let context {
            _ = view.handle(key, context)
            return
        }
        if let action = App.bindings.action(for: key) {
            if action == .tabNumber, case .character(let c) = key {
                let n = Int(c.value) - Int(UInt8(ascii: "1"))
                if n < tabs.count { show(tab: n) } else { message = ("there are \(tabs.count) tabs", Theme.dim) }
                return
            }
            perform(action)
            return
        }
        guard let view = currentView, let context else { return }
        if !view.handle(key, context) {
            message = ("\(key.label) does nothing here; ? lists the keys", Theme.dim)
            messageIsTransient = true
        }
    }

    /// Goes to a tab the user asked for. A message belongs to the tab it was said on.
    private func show(tab: Int) {
        message = nil
        activeTab = tab
    }

    func perform(_ action: Action) {
        switch action {
        case .help: overlay = .help(scroll: 0)
        case .quit: quit()
        case .tabNext: if !tabs.isEmpty { show(tab: (activeTab + 1) % tabs.count) }
        case .tabPrevious: if !tabs.isEmpty { show(tab: (activeTab + tabs.count - 1) % tabs.count) }
        case .tabNumber: break  // handled with its key, which says which tab
        case .palette: overlay = .prompt(Prompt(purpose: .palette, editor: LineEditor()))
        case .filter: overlay = .prompt(Prompt(purpose: .filter, editor: LineEditor()))
        case .export: export(to: nil)
        case .exportFigures: exportFigures()
        case .save: overlay = .prompt(Prompt(purpose: .saveName, editor: LineEditor(options.sessionName ?? defaultSessionName)))
        case .sidebar: options.showSidebar.toggle()
        case .tabClose: closeTab()
        case .redraw: wantsFullRepaint = true
        case .follow: startFollowing()
        case .back: walkBack()
        case .escape:
            if let job = jobs.runningJob {
                job.cancel()
                message = ("cancelling \(job.title)…", Theme.warning)
                cancelling = job
            } else if let view = currentView, let context {
                _ = view.handle(.escape, context)
            }
        }
    }

    private func handlePrompt(_ prompt: inout Prompt, _ key: Key) {
        switch key {
        case .escape:
            overlay = .none
            return
        case .control("c"):
            quit()
            return
        case .enter:
            overlay = .none
            submit(prompt)
            return
        case .up:
            prompt.selected = max(prompt.selected - 1, 0)
        case .down:
            prompt.selected = min(prompt.selected + 1, max(suggestions(for: prompt).count - 1, 0))
        case .tab:
            if let s = suggestions(for: prompt)[safe: prompt.selected] { prompt.editor = LineEditor(s.name) }
        default:
            if prompt.editor.handle(key) { prompt.selected = 0 }
        }
        overlay = .prompt(prompt)
    }

    private func submit(_ prompt: Prompt) {
        let text = prompt.editor.text.trimmingCharacters(in: .whitespaces)
        switch prompt.purpose {
        case .filter:
            guard let view = currentView else { return }
            if view.applyFilter(text) {
                message = (text.isEmpty ? "filter cleared" : "filter: \(text)", .plain)
            } else {
                message = ("\(view.title) has no filter", Theme.dim)
            }
        case .saveName:
            if !text.isEmpty { save(as: text) }
        case .palette:
            // A partly typed command runs the suggestion it selects; a full line runs as typed.
            let matches = suggestions(for: prompt)
            if let pick = matches[safe: prompt.selected], text.split(separator: " ").count <= 1 || text.isEmpty {
                run(command: pick.name)
            } else {
                run(command: text)
            }
        }
    }

    /// Commands of the palette: `open KIND` for every registered view, and the workbench's own.
    var paletteCommands: [(name: String, help: String)] {
        options.registry.kinds.map { ("open \($0.name)", $0.summary) } + [
            ("close", "close the current tab"),
            ("save", "save the session (save NAME: under that name)"),
            ("export", "export the current view as CSV (export FILE: to that file)"),
            ("sidebar", "show or hide the sidebar"),
            ("help", "list every key"),
            ("quit", "leave the workbench")
        ]
    }

    func suggestions(for prompt: Prompt) -> [(name: String, help: String)] {
        guard prompt.purpose == .palette else { return [] }
        let typed = prompt.editor.text.lowercased().trimmingCharacters(in: .whitespaces)
        if typed.isEmpty { return paletteCommands }
        return paletteCommands.filter { $0.name.hasPrefix(typed) || $0.name.contains(typed) }
    }

    /// Runs one command-palette line.
    public func run(command line: String) {
        let words = line.split(separator: " ").map(String.init)
        guard let verb = words.first?.lowercased() else { return }
        let argument = words.dropFirst().joined(separator: " ")
        switch verb {
        case "open":
            do { try open(argument) } catch { message = ("\(error)", Theme.error) }
        case "close": closeTab()
        case "save":
            if argument.isEmpty {
                overlay = .prompt(Prompt(purpose: .saveName, editor: LineEditor(options.sessionName ?? defaultSessionName)))
            } else {
                save(as: argument)
            }
        case "export": export(to: argument.isEmpty ? nil : argument)
        case "sidebar": options.showSidebar.toggle()
        case "help": overlay = .help(scroll: 0)
        case "quit", "q": quit()
        default:
            message = ("unknown command '\(verb)'; commands: open VIEW, close, save NAME, export, sidebar, help, quit", Theme.error)
        }
    }

    private func closeTab() {
        guard !tabs.isEmpty else { return }
        jobs.cancelRunning()
        forgetStarted(tabs.remove(at: activeTab))
        activeTab = min(activeTab, max(tabs.count - 1, 0))
    }

    var defaultSessionName: String {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        return "session-" + f.string(from: Date())
    }

    // MARK: Saving and exporting

    /// The session as it stands: inputs with their digests, open tabs and their settings.
    public func session(named name: String) throws -> Session {
        guard let workspace else { throw WorkbenchError("nothing to save while the models are loading") }
        let (models, data) = try workspace.inputs()
        return Session(
            name: name, models: models, data: data,
            tabs: tabs.map { Session.Tab(kind: $0.kind, settings: $0.settingsJSON) },
            activeTab: activeTab, settings: ["sidebar": .bool(options.showSidebar)])
    }

    /// Saves under `name` (`s`, `:save NAME`).
    public func save(as name: String) {
        do {
            let url = try options.sessions.save(try session(named: name))
            options.sessionName = name
            savedThisRun.append("session \(name)")
            message = ("saved session '\(name)' to \(url.path)", Theme.accent)
        } catch {
            message = ("\(error)", Theme.error)
        }
    }

    /// Writes the current result's figures and caveats as CSV (`E`) and says where.
    public func exportFigures() {
        guard let view = currentView else { message = ("no view to export", Theme.dim); return }
        guard let figures = view.figures else {
            message = ("\(view.title) has no figures to export now (e exports what it shows)", Theme.dim); return
        }
        do {
            let url = try ExportFiles.write(in: options.exportDirectory, kinds: ["\(view.kind)-figures"], ext: "csv") {
                try figures.exactTable.writeCSV(to: $0[0])
            }[0]
            savedThisRun.append(url.lastPathComponent)
            message = ("exported \(figures.figures.count) figures and \(figures.caveats.count) caveats to \(url.path)", Theme.accent)
        } catch {
            message = ("cannot export: \(errorText(error))", Theme.error)
        }
    }

    /// Writes the current view's numbers as CSV (`e`, `:export FILE`) and says where.
    public func export(to path: String?) {
        guard let view = currentView else { message = ("no view to export", Theme.dim); return }
        guard let table = view.exportTable() else { message = ("\(view.title) has nothing to export yet", Theme.dim); return }
        do {
            let url: URL
            if let path {
                // A name the user typed: never over an existing file, never into a folder that is not there.
                url = path.hasPrefix("/") ? URL(fileURLWithPath: path) : options.exportDirectory.appendingPathComponent(path)
                guard PathKind(url.deletingLastPathComponent().path) == .directory else {
                    throw WorkbenchError("\(url.deletingLastPathComponent().path) does not exist; export into an existing folder")
                }
                do { try table.writeCSV(to: url) } catch is AtomicFile.Exists {
                    throw WorkbenchError("\(url.path) already exists; give another name (:export NAME)")
                }
            } else {
                url = try ExportFiles.write(in: options.exportDirectory, kinds: [view.kind], ext: "csv") { try table.writeCSV(to: $0[0]) }[
                    0]
            }
            savedThisRun.append(url.lastPathComponent)
            message = ("exported \(table.rows.count) rows × \(table.columns.count) columns to \(url.path)", Theme.accent)
        } catch {
            message = ("cannot export: \(errorText(error))", Theme.error)
        }
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}
