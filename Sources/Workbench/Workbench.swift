/// Workbench: sessions, probes (batch recipes), reports and background jobs, shared by the
/// command line and the terminal UI.
public enum Workbench {
    public static let version = "0.1.0"
}
