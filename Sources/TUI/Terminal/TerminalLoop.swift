import CCurses
import Foundation

/// Runs an `App` on the terminal: draw a frame when something changed, wait for a key or a job
/// update, repeat until the app quits. Every key waiting is handled before the next frame, so
/// the screen is drawn once per batch of keys and never flickers.
public enum TerminalLoop {
    /// Whether stdin and stdout are both terminals (the workbench needs both).
    public static var isInteractive: Bool { isatty(STDIN_FILENO) != 0 && isatty(STDOUT_FILENO) != 0 }

    /// Runs `makeApp` (given the terminal's colour support) until it quits; the terminal is
    /// restored however the loop ends. Returns the app as it ended.
    @discardableResult
    public static func run(_ makeApp: (ColorMode) -> App) throws -> App {
        let screen = try CursesScreen()
        defer { screen.stop() }
        let app = makeApp(screen.colors)
        let grid = Grid(width: 0, height: 0)
        var dirty = true
        while !app.shouldQuit {
            if dirty {
                let (w, h) = screen.size
                if w != grid.width || h != grid.height {
                    grid.resize(width: w, height: h)
                    screen.invalidate()
                }
                if app.wantsFullRepaint {
                    screen.invalidate()
                    app.wantsFullRepaint = false
                }
                app.render(into: grid)
                screen.present(grid)
                dirty = false
            }
            // While a job runs, wake up often enough to animate its progress.
            if let key = screen.readKey(timeout: app.isBusy ? 50 : 500) {
                app.handle(key)
                while !app.shouldQuit, let more = screen.readKey(timeout: 0) { app.handle(more) }
                dirty = true
            }
            if app.update() { dirty = true }
        }
        app.jobs.cancelRunning()
        return app
    }
}
