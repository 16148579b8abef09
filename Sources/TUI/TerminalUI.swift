/// The terminal UI: a cell-grid canvas, widgets, views, the key-binding table, the app loop
/// and the ncurses backend.
public enum TerminalUI {}
