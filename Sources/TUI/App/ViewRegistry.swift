import Workbench

/// A kind of view the workbench can open: by name from the command palette, or from a session.
public struct ViewKind {
    public let name: String
    public let summary: String
    let make: (Workspace, JSONValue?) throws -> any WorkbenchView
}

/// Every kind of view, in the order new workbenches open them.
public struct ViewRegistry {
    public private(set) var kinds: [ViewKind] = []

    public init() {}

    public mutating func register<V: WorkbenchView>(_ type: V.Type) {
        kinds.append(
            ViewKind(name: V.kind, summary: V.summary) { workspace, settings in
                V(workspace: workspace, settings: try settings.map { try $0.decode(V.Settings.self) })
            })
    }

    /// The views of the first release; later analyses add themselves here.
    public static var standard: ViewRegistry {
        var r = ViewRegistry()
        r.register(OverviewView.self)
        r.register(ActivationsView.self)
        r.register(LRPView.self)
        r.register(InterpView.self)
        r.register(BilinearView.self)
        r.register(SAEView.self)
        r.register(CKAView.self)
        r.register(AlignView.self)
        r.register(RebasinView.self)
        return r
    }

    /// The kind named `name`, or the only kind whose name starts with it.
    public func kind(named name: String) -> ViewKind? {
        let n = name.lowercased()
        if let exact = kinds.first(where: { $0.name == n }) { return exact }
        let matches = kinds.filter { $0.name.hasPrefix(n) }
        return matches.count == 1 ? matches[0] : nil
    }

    /// A new view of kind `name` with saved settings (nil: defaults).
    public func make(_ name: String, workspace: Workspace, settings: JSONValue? = nil) throws -> any WorkbenchView {
        guard let kind = kind(named: name) else {
            throw WorkbenchError("unknown view '\(name)'; views: \(kinds.map(\.name).joined(separator: ", "))")
        }
        do {
            return try kind.make(workspace, settings)
        } catch let error as WorkbenchError {
            throw error
        } catch {
            throw WorkbenchError("view '\(kind.name)': saved settings do not fit this version (\(error))")
        }
    }
}
