import Interpret
import LinAlg
import Networks

/// A unit or SAE latent of a layer of model A that a view has under its cursor, and that `@`
/// follows into another view (docs/workbench.md, "Following a latent").
public struct Followable {
    public let object: TrailObject
    public let layer: String
    /// The SAE the latent belongs to (nil for a unit).
    public let sae: SparseAutoencoder<Float>?

    /// "latent 17 of relu1", "unit 4 of relu2": how the trail names it.
    public var title: String { "\(object) of \(layer)" }
}

/// A view with something to follow under its cursor.
protocol FollowSource: AnyObject {
    var followable: Followable? { get }
}

/// Where `@` goes: the key after it, the view it opens, and what the prompt calls it.
enum FollowTarget: CaseIterable {
    case lrp, align, rebasin, bilinear

    var key: Key {
        switch self {
        case .lrp: return .char("l")
        case .align: return .char("a")
        case .rebasin: return .char("r")
        case .bilinear: return .char("b")
        }
    }

    var kind: String {
        switch self {
        case .lrp: return LRPView.kind
        case .align: return AlignView.kind
        case .rebasin: return RebasinView.kind
        case .bilinear: return BilinearView.kind
        }
    }

    var label: String {
        switch self {
        case .lrp: return "LRP map"
        case .align: return "partner in B"
        case .rebasin: return "Re-Basin unit"
        case .bilinear: return "bilinear eigenvector"
        }
    }

    /// Whether the jump needs model B.
    var needsModelB: Bool { self == .align || self == .rebasin }
}

/// A view that can show a followed unit or latent. It returns how the trail names what it now
/// shows, or throws why it cannot (no bilinear layer after the unit's, say).
protocol FollowTargetView: AnyObject {
    func show(_ trail: LatentTrail, of followed: Followable, _ context: ViewContext) throws -> String
}

/// One jump: the view it left (Backspace goes back there) and how the trail names both ends.
struct TrailStep {
    let from: ObjectIdentifier
    let fromLabel: String
    let toLabel: String
}

extension App {
    /// `@` then a target key: follows the unit or latent under the current view's cursor.
    func startFollowing() {
        guard let source = currentView as? FollowSource else {
            message = ("\(currentView?.title ?? "this view") has no unit or latent to follow (@ works in SAE, Align and Match)", Theme.dim)
            messageIsTransient = true
            return
        }
        guard let followed = source.followable else {
            message = ("nothing under the cursor to follow yet", Theme.dim)
            messageIsTransient = true
            return
        }
        followPending = followed
        let choices = FollowTarget.allCases.map { "\($0.key.label) \($0.label)" }.joined(separator: " · ")
        message = ("follow \(followed.title) to: \(choices) · Esc: stay", Theme.accent)
    }

    /// The key after `@`.
    func finishFollowing(_ followed: Followable, _ key: Key) {
        guard let target = FollowTarget.allCases.first(where: { $0.key == key }) else {
            message = (trail.isEmpty ? nil : (trailText, Theme.accent))
            return
        }
        follow(followed, to: target)
    }

    /// Computes the trail of `followed` and shows it in the target's view.
    func follow(_ followed: Followable, to target: FollowTarget) {
        guard let context, let from = currentView, let a = context.workspace.models.first else { return }
        let workspace = context.workspace
        let b = workspace.models[safe: 1]?.network
        if target.needsModelB, b == nil {
            message = ("the \(target.label) needs model B: open the workbench on two models", Theme.dim)
            return
        }
        do {
            let rebasin = target == .rebasin ? try GitRebasin.run(a.network, b!).result.groups : nil
            let found = try LatentTrail.follow(
                followed.object, layer: followed.layer, of: a.network, sae: followed.sae, data: workspace.data,
                b: target == .align ? b : nil, rebasin: rebasin)
            if target == .bilinear, found.eigenfeature == nil {
                message = (
                    "no bilinear layer of \(a.title) reads \(followed.layer): \(followed.title) has no eigenvector to follow", Theme.dim
                )
                return
            }
            let back = activeTab
            try open(target.kind)
            guard let view = currentView as? FollowTargetView else { return }
            do {
                let label = try view.show(found, of: followed, context)
                trail.append(TrailStep(from: ObjectIdentifier(from), fromLabel: "\(from.title): \(followed.title)", toLabel: label))
                message = (trailText, Theme.accent)
            } catch {
                activeTab = back
                throw error
            }
        } catch {
            message = ("cannot follow \(followed.title) to the \(target.label): \(error)", Theme.error)
        }
    }

    /// Backspace: back to the view the last jump left.
    func walkBack() {
        guard let step = trail.popLast() else {
            message = ("no trail to walk back (@ follows a unit or latent)", Theme.dim)
            messageIsTransient = true
            return
        }
        guard let i = tabs.firstIndex(where: { ObjectIdentifier($0) == step.from }) else {
            trail.removeAll()
            message = ("the view the trail came from is closed", Theme.dim)
            return
        }
        activeTab = i
        message = trail.isEmpty ? ("back at \(step.fromLabel)", Theme.dim) : (trailText, Theme.accent)
    }

    /// "trail: SAE: latent 17 of relu1 → LRP: sample 203 … · Bksp: back".
    var trailText: String {
        guard let first = trail.first else { return "" }
        return "trail: " + ([first.fromLabel] + trail.map(\.toLabel)).joined(separator: " → ") + " · Bksp: back"
    }
}
