import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// The heartbeat of a Pull cluster's agent: the Lease `karmada-cluster/<cluster>` (holder: the cluster), renewed
/// every `interval`. The control plane cannot reach the member, so this Lease is all it has to tell a live agent from
/// a silent one (`AgentLeaseWatch`). A renewal that fails is tried again at the next interval; the grace period on
/// the control plane (40 s by default, four intervals) absorbs a few.
struct AgentLease: Sendable {
    let cluster: String
    let controlPlane: any ObjectClient
    let interval: Duration
    let clock: any TimeSource
    let logger: Logger

    /// The Lease as it should read after a renewal at `now`.
    static func renewed(_ current: LeaseSpec?, cluster: String, interval: Duration, now: Date) -> LeaseSpec {
        let stamp = Lease.microTime(now)
        var spec = current ?? LeaseSpec(acquireTime: stamp, leaseTransitions: 0)
        if spec.holderIdentity != cluster {
            spec.acquireTime = stamp
            spec.leaseTransitions = current == nil ? 0 : (spec.leaseTransitions ?? 0) + 1
        }
        spec.holderIdentity = cluster
        // Karmada's agent: a lease of 40 s renewed every quarter of it.
        spec.leaseDurationSeconds = Int32(max(1, (interval.inSeconds * 4).rounded()))
        spec.renewTime = stamp
        return spec
    }

    func run() async {
        let ticks = runtimeClock(clock)
        while !Task.isCancelled {
            do {
                try await renew()
            } catch {
                logger.warning("cannot renew the cluster's lease", metadata: ["cluster": "\(cluster)", "error": "\(error.message)"])
            }
            try? await ticks.sleep(for: interval)
        }
    }

    func renew() async throws(APIError) {
        var current: Lease?
        do throws(APIError) {
            let stored = try await controlPlane.get(Lease.descriptor, namespace: AgentLeaseWatch.namespace, name: cluster)
            guard let lease = try? Lease(json: stored) else {
                throw APIError(.internalError, "the lease \(AgentLeaseWatch.namespace)/\(cluster) cannot be read as a Lease")
            }
            current = lease
        } catch {
            guard error.reason == .notFound else { throw error }
        }
        let spec = Self.renewed(current?.spec, cluster: cluster, interval: interval, now: clock.now())
        if var lease = current {
            lease.spec = spec
            _ = try await controlPlane.update(Lease.descriptor, lease.json())
            return
        }
        do {
            _ = try await controlPlane.create(Namespace.descriptor, Namespace(name: AgentLeaseWatch.namespace).json())
        } catch {
            if error.reason != .alreadyExists { throw error }
        }
        let lease = Lease(metadata: ObjectMeta(name: cluster, namespace: AgentLeaseWatch.namespace,
                                               labels: ["cluster.karmada.io/name": cluster]), spec: spec)
        _ = try await controlPlane.create(Lease.descriptor, lease.json())
    }
}
