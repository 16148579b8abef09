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

    public mutating func register<V: RegisteredView>(_ type: V.Type) {
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
        r.register(LatentMatchView.self)
        return r
    }

    /// Registers `type`'s kind as a view that says, in one line, why it does not apply to the
    /// workspace's models.
    public mutating func registerUnavailable<V: RegisteredView>(_ type: V.Type, title: String, because reason: String) {
        kinds.append(
            ViewKind(name: V.kind, summary: V.summary) { _, _ in
                UnavailableView(kind: V.kind, title: title, reason: reason)
            })
    }

    /// The views of a text workspace (transformer checkpoints on text): those that read tokens,
    /// an SAE trained from the text, and the network methods saying why they do not apply yet.
    public static var text: ViewRegistry {
        var r = ViewRegistry()
        r.register(TextOverviewView.self)
        r.register(TokenActivationsView.self)
        r.register(LogitLensView.self)
        r.register(AttentionView.self)
        r.register(PromptView.self)
        r.register(LatentsView.self)
        r.register(TextSAEView.self)
        r.registerUnavailable(
            CKAView.self, title: "CKA",
            because:
                "The CKA view compares a network's layers; between a transformer's hook points, run loupe cka CHECKPOINT [CHECKPOINT_B] --text FILE."
        )
        r.registerUnavailable(
            AlignView.self, title: "Align",
            because:
                "The Align view matches a network's units; for two transformers, run loupe align A B --text FILE --layer-a HOOK --layer-b HOOK."
        )
        r.registerUnavailable(
            LRPView.self, title: "LRP",
            because:
                "LRP does not apply to transformers yet: Loupe's relevance rules cover linear, convolution and pooling layers, not attention, layer norm or the token embedding."
        )
        r.registerUnavailable(
            InterpView.self, title: "Interp",
            because:
                "The linear interpreter does not apply to transformers yet: it needs a network that is piecewise linear in its input, and attention and layer norm are not."
        )
        r.registerUnavailable(
            BilinearView.self, title: "Bilinear",
            because: "The bilinear view needs a bilinear layer; GPT-2, BERT and Llama MLPs are GELU or SwiGLU, not bilinear.")
        r.registerUnavailable(
            RebasinView.self, title: "Re-Basin",
            because:
                "Re-Basin does not apply to transformers yet: it permutes the units of dense and convolution networks; attention heads and residual streams need their own permutation rules."
        )
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
