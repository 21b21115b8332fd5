import FlotillaAPI

/// Kubernetes' garbage collector for what the site's controllers make: a pod whose controlling Deployment,
/// StatefulSet, DaemonSet or Job is gone, and a Job whose CronJob is gone, go with it (background propagation).
/// Objects with other owners, or none, are left alone. Pure: snapshot in, actions out.
struct OwnerCollector: Sendable {
    static let podOwners: Set<String> = ["Deployment", "StatefulSet", "DaemonSet", "Job"]

    func reconcile(_ snapshot: SiteSnapshot) -> [SiteAction] {
        let live = Set(snapshot.deployments.compactMap(\.metadata.uid) + snapshot.statefulSets.compactMap(\.metadata.uid)
            + snapshot.daemonSets.compactMap(\.metadata.uid) + snapshot.jobs.compactMap(\.metadata.uid)
            + snapshot.cronJobs.compactMap(\.metadata.uid))
        var actions: [SiteAction] = []
        for pod in snapshot.pods {
            guard let owner = pod.metadata.ownerReferences?.first(where: { $0.controller == true && Self.podOwners.contains($0.kind) }),
                  !live.contains(owner.uid), let name = pod.metadata.name else { continue }
            actions.append(.delete(Pod.descriptor.groupResource, namespace: pod.metadata.namespace, name: name, uid: pod.metadata.uid))
        }
        for job in snapshot.jobs {
            guard let owner = job.metadata.ownerReferences?.first(where: { $0.controller == true && $0.kind == "CronJob" }),
                  !live.contains(owner.uid), let name = job.metadata.name else { continue }
            actions.append(.delete(Job.descriptor.groupResource, namespace: job.metadata.namespace, name: name, uid: job.metadata.uid))
        }
        return actions
    }
}
