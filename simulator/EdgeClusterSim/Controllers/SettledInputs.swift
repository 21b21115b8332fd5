import FlotillaAPI

/// Which objects a pure controller last found nothing to do for, with a fingerprint of the inputs it found that with.
/// The controllers are functions of their inputs (time moves a status only when something else changes it), so a
/// pass that sees the same inputs again would find nothing again: the object is left alone. An object that needed
/// actions is looked at again on every pass until one finds nothing to do (a write that lost a race is decided again).
///
/// At 100 Deployments on a site, deciding every Deployment on every pass (each pod landing brings a few) was a sixth
/// of a member process's CPU (`flotilla bench fleet`).
struct SettledInputs: Sendable {
    private var settled: [String: Int] = [:]

    /// Whether `key` was settled with these inputs.
    func isSettled(_ key: String, inputs: Int) -> Bool { settled[key] == inputs }

    /// What a decision on `key` with `inputs` came to: settled when it asked for nothing.
    mutating func record(_ key: String, inputs: Int, actions: [SiteAction]) {
        settled[key] = actions.isEmpty ? inputs : nil
    }

    /// Forgets the objects not in `keys` (gone from the site).
    mutating func keep(only keys: Set<String>) {
        if settled.count > keys.count || settled.keys.contains(where: { !keys.contains($0) }) {
            settled = settled.filter { keys.contains($0.key) }
        }
    }

    /// A fingerprint of objects by uid and resourceVersion: equal while none of them was written.
    static func fingerprint<T: APIObject>(_ object: T, _ others: [some APIObject], extra: String = "") -> Int {
        var hasher = Hasher()
        hasher.combine(object.metadata.uid)
        hasher.combine(object.metadata.resourceVersion)
        hasher.combine(extra)
        for other in others {
            hasher.combine(other.metadata.uid)
            hasher.combine(other.metadata.resourceVersion)
        }
        return hasher.finalize()
    }
}
