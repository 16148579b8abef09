import ArgumentParser
import Foundation
import TUI
import TensorIO
import Transformers
import Workbench

struct TUICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tui",
        abstract: "Open the workbench: the terminal UI over one model, or two side by side.",
        discussion: reflow(
            """
            With no model the workbench opens the demo workspace: demo:mlp-1 compared with
            demo:mlp-2 on builtin:digits:test (demo models are trained on first use, with a progress
            bar, and cached). Bare `loupe` does the same. Press ? inside for every key.

            Sessions are saved with `s` to Sessions/NAME/session.json (or --sessions-dir) and
            reopened with --session NAME. `e` exports the current view's numbers as CSV into
            --export-dir (default: the current directory).

            Examples:
              loupe                                         the demo workspace
              loupe tui demo:cnn --data builtin:digits:test
              loupe tui model.safetensors --compare other.safetensors --data test.npz
              loupe tui --session mine                      reopen a saved session
              loupe tui gpt2/ --text corpus.txt             a transformer checkpoint on text
              loupe tui demo:gpt2-tiny                      the text demo on its held-out text
              loupe tui demo:gpt2-tiny --sae sae-dir        with an SAE's latents and a prompt view

            A transformer checkpoint (a Hugging Face folder: config.json, model.safetensors,
            tokenizer.json) opens on the first \(TextSample.maxContexts) contexts of --text, with views of
            its own: Overview (next-token loss, the residual stream by block), Activations (each
            token coloured by a unit of any hook point), Logit lens and Attention. The views of
            network methods say why they do not apply.
            """)
    )

    @Argument(help: "A .safetensors model, demo:NAME or a transformer checkpoint folder (default: the demo workspace).") var model: String?
    @Option(help: ArgumentHelp("A second model to compare with the first.", valueName: "MODEL_B")) var compare: String?
    @Option(
        help: ArgumentHelp(
            "Data: builtin:digits[:train|:test], or a .safetensors/.npz (x, y), .npy or .csv file (default builtin:digits:test).",
            valueName: "DATA"))
    var data: String?
    @Option(
        name: .customLong("arch"), help: ArgumentHelp("Architecture JSON for safetensors files without an embedded one.", valueName: "FILE")
    )
    var architecture: String?
    @Option(help: ArgumentHelp("Reopen the saved session NAME.", valueName: "NAME")) var session: String?
    @Option(help: ArgumentHelp("Where sessions are saved (default: ./Sessions, or $LOUPE_SESSIONS_DIR).", valueName: "DIR"))
    var sessionsDir: String?
    @Option(help: ArgumentHelp("Where `e` writes CSV files (default: the current directory).", valueName: "DIR"))
    var exportDir: String?
    @OptionGroup var text: TextOptions
    @Option(
        help: ArgumentHelp(
            "An SAE on the checkpoint's hook point (a directory with cfg.json naming its hook_name): the Latents and Prompt views read it.",
            valueName: "DIR"))
    var sae: String?
    @OptionGroup var memory: MemoryOption

    func validate() throws {
        if session != nil, model != nil || compare != nil || data != nil {
            throw ValidationError("--session restores its own models and data; give either --session or models and --data")
        }
        let models = [model, compare].compactMap { $0 }
        if models.contains(where: TextModels.isTextModel), data != nil {
            throw ValidationError("a transformer checkpoint reads text: give --text FILE instead of --data")
        }
        if let first = models.first(where: { !TextModels.isTextModel($0) }) ?? (models.isEmpty ? "demo:mlp-1" : nil), text.text != nil {
            throw ValidationError(
                "--text is read by transformer checkpoints (a folder with config.json); \(first) is a network: give --data")
        }
    }

    func run() throws {
        guard TerminalLoop.isInteractive else {
            throw ValidationError(
                "the workbench needs a terminal (stdin and stdout must be a terminal); for scripts use loupe inspect, forward or report")
        }
        let environment = ProcessInfo.processInfo.environment
        let sessionsPath = sessionsDir ?? environment["LOUPE_SESSIONS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "Sessions"
        let store = SessionStore(directory: URL(fileURLWithPath: sessionsPath))
        let exportDirectory = URL(fileURLWithPath: exportDir ?? FileManager.default.currentDirectoryPath)
        guard PathKind(exportDirectory.path) == .directory else {
            throw ValidationError("--export-dir \(exportDirectory.path): no such directory; create it first")
        }
        var options = AppOptions(sessions: store, exportDirectory: exportDirectory)
        var plan: WorkspacePlan
        var tabs: [Session.Tab]?
        var activeTab = 0
        if let session {
            let saved = try store.load(session)
            plan = WorkspacePlan(models: saved.models.map(\.reference), data: saved.data.reference)
            tabs = saved.tabs
            activeTab = saved.activeTab
            options.sessionName = saved.name
            options.warnings = saved.changedInputs()
            if case .bool(let shown)? = saved.settings["sidebar"] { options.showSidebar = shown }
        } else {
            let models = model.map { [$0] + (compare.map { [$0] } ?? []) } ?? ["demo:mlp-1", compare ?? "demo:mlp-2"]
            // The text demo alone opens on the lines of its corpus it was not trained on.
            let onlyTheTextDemo = models.allSatisfy { $0 == TextModels.demo }
            plan = WorkspacePlan(
                models: models, data: text.text ?? data ?? (onlyTheTextDemo ? TextDemo.corpus.path : "builtin:digits:test"))
            if onlyTheTextDemo, text.text == nil { plan.textReading.everyKthLine = TextDemo.holdOutEvery }
        }
        plan.textReading.wholeFile = text.wholeFile
        plan.textReading.field = text.textField
        plan.textReading.length = text.ctx
        plan.textReading.specials = text.specials
        plan.textReading.sae = sae
        if sae != nil, !plan.isText { throw ValidationError("--sae reads a transformer checkpoint's hook point; the models are networks") }
        options.registry = plan.isText ? .text : .standard
        plan.architecture = architecture.map { URL(fileURLWithPath: $0) }
        // The user's own files are read here, so a wrong path or bad file is one line on stderr;
        // demo models (trained on first use) and built-in data load inside the workbench, whose
        // first frame is then on screen at once.
        try plan.preload()
        let app = try TerminalLoop.run { colors in
            App(loading: plan, tabs: tabs, activeTab: activeTab, options: options, colors: colors)
        }
        // Quitting after a failed load is still a failure, for scripts and shells.
        if let failure = app.loadingFailure { throw ValidationError("could not open the workspace: \(failure)") }
    }
}
