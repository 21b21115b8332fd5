import FlotillaAPI

/// A site's volume provisioner and binder in one: every PersistentVolumeClaim is bound at once to a volume of the
/// size it requests, as a cluster with a dynamic provisioner and `Immediate` binding does. The claim gets
/// `spec.volumeName` (`pvc-<uid>`, a provisioner's naming) and status `Bound` with its access modes and capacity. A
/// claim already bound is left alone. Pure: snapshot in, actions out.
struct VolumeBinder: Sendable {
    func reconcile(_ snapshot: SiteSnapshot) -> [SiteAction] {
        snapshot.claims.compactMap { claim in
            guard claim.status?.phase != "Bound", claim.metadata.deletionTimestamp == nil else { return nil }
            var bound = claim
            if bound.spec.volumeName == nil { bound.spec.volumeName = "pvc-\(claim.metadata.uid ?? claim.metadata.name ?? "")" }
            bound.status = PersistentVolumeClaimStatus(phase: "Bound", accessModes: claim.spec.accessModes,
                                                       capacity: claim.spec.resources?.requests?["storage"].map { ["storage": $0] })
            return .update(PersistentVolumeClaim.descriptor.groupResource, bound.json())
        }
    }
}
