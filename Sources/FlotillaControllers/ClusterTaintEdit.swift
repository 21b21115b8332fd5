import FlotillaAPI
import KubeClient

/// `flotilla taint`, `cordon` and `uncordon`, as karmadactl's (and kubectl's) taint syntax has them:
/// `key[=value]:Effect` adds, `key[:Effect]-` removes (every effect when none is named). A taint whose key and
/// effect are already there with another value is an error unless `overwrite`. Cordon is the NoSchedule taint
/// `cluster.karmada.io/unschedulable`: new workloads go elsewhere, running ones stay.
public struct ClusterTaintEdit: Sendable, Equatable {
    public static let unschedulableTaint = "cluster.karmada.io/unschedulable"

    public enum Change: Sendable, Equatable {
        case add(Taint)
        case remove(key: String, effect: String?)
    }

    public var changes: [Change]
    public var overwrite: Bool

    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(changes: [Change], overwrite: Bool = false) {
        self.changes = changes
        self.overwrite = overwrite
    }

    /// Parses `key[=value]:Effect[-]` and `key-` arguments.
    public init(parsing specs: [String], overwrite: Bool = false) throws(Invalid) {
        var changes: [Change] = []
        for spec in specs {
            let removing = spec.hasSuffix("-")
            let body = removing ? String(spec.dropLast()) : spec
            let parts = body.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let keyValue = parts[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = keyValue[0]
            let effect = parts.count == 2 ? parts[1] : nil
            guard !key.isEmpty, NameValidation.qualifiedName(key).isEmpty else {
                throw Invalid(description: "invalid taint \"\(spec)\": the key must be a qualified name")
            }
            if let effect, !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(effect) {
                throw Invalid(description: "invalid taint \"\(spec)\": the effect must be NoSchedule, PreferNoSchedule or NoExecute")
            }
            if removing {
                changes.append(.remove(key: key, effect: effect))
            } else {
                guard let effect else { throw Invalid(description: "invalid taint \"\(spec)\": want key[=value]:Effect, or key[:Effect]- to remove") }
                changes.append(.add(Taint(key: key, value: keyValue.count == 2 ? keyValue[1] : nil, effect: effect)))
            }
        }
        guard !changes.isEmpty else { throw Invalid(description: "name at least one taint") }
        self.init(changes: changes, overwrite: overwrite)
    }

    public static let cordon = ClusterTaintEdit(changes: [.add(Taint(key: unschedulableTaint, effect: "NoSchedule"))], overwrite: true)
    public static let uncordon = ClusterTaintEdit(changes: [.remove(key: unschedulableTaint, effect: "NoSchedule")])

    /// The taints after the edit (added ones stamped `now`); an error names what cannot be done.
    public func apply(to taints: [Taint], now: Timestamp) throws(Invalid) -> [Taint] {
        var result = taints
        for change in changes {
            switch change {
            case .add(let taint):
                if let index = result.firstIndex(where: { $0.key == taint.key && $0.effect == taint.effect }) {
                    if (result[index].value ?? "") == (taint.value ?? "") { continue }
                    guard overwrite else {
                        throw Invalid(description: "taint \(taint.key):\(taint.effect) already has value \(result[index].value ?? "\"\"") (use --overwrite)")
                    }
                    result[index] = Taint(key: taint.key, value: taint.value, effect: taint.effect, timeAdded: now)
                } else {
                    result.append(Taint(key: taint.key, value: taint.value, effect: taint.effect, timeAdded: now))
                }
            case .remove(let key, let effect):
                let before = result.count
                result.removeAll { $0.key == key && (effect == nil || $0.effect == effect) }
                if result.count == before, self != Self.uncordon {
                    throw Invalid(description: "taint \(key)\(effect.map { ":\($0)" } ?? "") not found")
                }
            }
        }
        return result
    }

    /// Applies the edit to cluster `name` through `client`, re-reading on a lost compare-and-swap. Returns whether
    /// the taints changed.
    public func apply(toCluster name: String, client: any ObjectClient, now: Timestamp) async throws -> Bool {
        for attempt in 0..<5 {
            var cluster = try Cluster(json: try await client.get(Cluster.descriptor, namespace: nil, name: name))
            let taints = try apply(to: cluster.spec.taints ?? [], now: now)
            guard taints != (cluster.spec.taints ?? []) else { return false }
            cluster.spec.taints = taints.isEmpty ? nil : taints
            do throws(APIError) {
                _ = try await client.update(Cluster.descriptor, cluster.json())
                return true
            } catch {
                if error.reason != .conflict || attempt == 4 { throw error }
            }
        }
        return false
    }
}
