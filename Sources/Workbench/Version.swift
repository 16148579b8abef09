/// The Loupe release, written into reports and sessions and printed by `loupe --version`.
public enum Workbench {
    public static let version = "0.1.0"
}
