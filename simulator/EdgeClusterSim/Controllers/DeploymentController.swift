import FlotillaAPI

/// Keeps each Deployment's pods at `spec.replicas` and its status current, as the deployment and replica-set
/// controllers do together. Pods are owned by the Deployment directly (no ReplicaSet objects) and carry the
/// template's `pod-template-hash`; a template change rolls out by creating the new pods at once and removing old
/// ones as new ones become Ready, so available replicas never drop below the desired count during a rollout.
/// Pure: snapshot in, actions out.
struct DeploymentController: Sendable {
    let events = EventRecorder(component: "deployment-controller")

    /// Every Deployment of the snapshot; `settled` remembers those that needed nothing and with what, so a pass that
    /// finds their Deployment and pods unwritten since leaves them alone.
    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp, settled: inout SettledInputs) -> [SiteAction] {
        var actions: [SiteAction] = []
        let podsByOwner = snapshot.owned(snapshot.pods)
        var live = Set<String>()
        for deployment in snapshot.deployments where deployment.metadata.deletionTimestamp == nil {
            let uid = deployment.metadata.uid ?? ""
            let owned = podsByOwner[uid] ?? []
            let hash = snapshot.templateHash(of: deployment)
            let inputs = SettledInputs.fingerprint(deployment, owned, extra: hash)
            live.insert(uid)
            guard !settled.isSettled(uid, inputs: inputs) else { continue }
            let decided = reconcile(deployment, owned: owned, hash: hash, now: now)
            settled.record(uid, inputs: inputs, actions: decided)
            actions += decided
        }
        settled.keep(only: live)
        return actions
    }

    /// One Deployment, given the pods it controls and its template's hash.
    func reconcile(_ deployment: Deployment, owned: [Pod], hash: String? = nil, now: Timestamp) -> [SiteAction] {
        guard deployment.metadata.uid != nil, let name = deployment.metadata.name else { return [] }
        let hash = hash ?? Self.templateHash(deployment.spec.template)
        // Terminating pods are on their way out (draining within their grace period): they count for nothing.
        let owned = owned.filter { $0.metadata.deletionTimestamp == nil }
        let current = owned.filter { $0.metadata.labels?["pod-template-hash"] == hash }
        let old = owned.filter { $0.metadata.labels?["pod-template-hash"] != hash }
        let desired = Int(max(deployment.spec.replicas ?? 1, 0))
        var actions: [SiteAction] = []
        var created = 0
        var deleted: [Pod] = []

        if current.count < desired, !(deployment.spec.paused ?? false) {
            created = desired - current.count
            for _ in 0..<created { actions.append(.create(Pod.descriptor.groupResource, Self.newPod(for: deployment, hash: hash).json())) }
        } else if current.count > desired {
            deleted += Self.deletionOrder(current).prefix(current.count - desired)
        }
        // Old pods stay only while the new ones are not Ready enough to replace them.
        let readyCurrent = current.filter(\.isReady).count
        let keepOld = max(0, desired - readyCurrent)
        if old.count > keepOld { deleted += Self.deletionOrder(old).prefix(old.count - keepOld) }
        for pod in deleted {
            actions.append(.delete(Pod.descriptor.groupResource, namespace: pod.metadata.namespace, name: pod.metadata.name ?? "",
                uid: pod.metadata.uid))
        }
        if created > 0 {
            actions.append(events.event(about: deployment.reference, reason: "SuccessfulCreate",
                message: "Created \(created) pod\(created == 1 ? "" : "s") for \(name) (template \(hash))", at: now))
        }
        if !deleted.isEmpty {
            actions.append(events.event(about: deployment.reference, reason: "SuccessfulDelete",
                message: "Deleted pod\(deleted.count == 1 ? "" : "s"): " + deleted.compactMap(\.metadata.name).joined(separator: ", "), at: now))
        }
        if let status = Self.status(of: deployment, hash: hash, current: current, owned: owned, desired: desired, now: now),
            status != deployment.status {
            var updated = deployment
            updated.status = status
            actions.append(.update(Deployment.descriptor.groupResource, updated.json()))
        }
        return actions
    }

    /// Replicas counted from the pods in this snapshot; nil when nothing would change.
    static func status(of deployment: Deployment, hash: String, current: [Pod], owned: [Pod], desired: Int, now: Timestamp) -> DeploymentStatus? {
        var status = deployment.status ?? DeploymentStatus()
        let ready = owned.filter(\.isReady).count
        let readyCurrent = current.filter(\.isReady).count
        status.observedGeneration = deployment.metadata.generation
        status.replicas = Int32(owned.count)
        status.updatedReplicas = Int32(current.count)
        status.readyReplicas = ready == 0 ? nil : Int32(ready)
        status.availableReplicas = ready == 0 ? nil : Int32(ready)
        status.unavailableReplicas = desired - ready > 0 ? Int32(desired - ready) : nil
        let available = ready >= desired
        let complete = current.count == desired && owned.count == desired && readyCurrent == desired
        var conditions = status.conditions ?? []
        conditions.setDeployment(DeploymentCondition(type: "Available", status: available ? .true : .false,
            reason: available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
            message: available ? "Deployment has minimum availability." : "Deployment does not have minimum availability."), now: now)
        conditions.setDeployment(DeploymentCondition(type: "Progressing", status: .true,
            reason: complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
            message: complete ? "Pods of template \(hash) have successfully progressed." : "Pods of template \(hash) are progressing."), now: now)
        status.conditions = conditions
        return status
    }

    /// Which pods go first when scaling down: unbound, then not running, then not ready, then the newest —
    /// the replica-set controller's order.
    static func deletionOrder(_ pods: [Pod]) -> [Pod] {
        func rank(_ pod: Pod) -> Int {
            if pod.spec.nodeName == nil { return 0 }
            if pod.phase != "Running" { return 1 }
            return pod.isReady ? 3 : 2
        }
        return pods.sorted { a, b in
            if rank(a) != rank(b) { return rank(a) < rank(b) }
            let ta = a.metadata.creationTimestamp?.seconds ?? 0, tb = b.metadata.creationTimestamp?.seconds ?? 0
            if ta != tb { return ta > tb }
            return (a.metadata.name ?? "") > (b.metadata.name ?? "")
        }
    }

    /// `pod-template-hash`: FNV-1a of the template's canonical JSON, encoded as Kubernetes does.
    static func templateHash(_ template: PodTemplateSpec) -> String {
        let json = (try? ObjectEncoder().encode(template)) ?? .null
        return FNV1a.safeEncoded(FNV1a.hash32(json.serialized()))
    }

    static func newPod(for deployment: Deployment, hash: String) -> Pod {
        WorkloadPods.pod(from: deployment.spec.template, owner: deployment.controllerReference, namespace: deployment.metadata.namespace,
                         generateName: "\(deployment.metadata.name ?? "pod")-\(hash)-", labels: ["pod-template-hash": hash])
    }
}

extension Array where Element == DeploymentCondition {
    /// Sets a condition; both times move only when the status changes, so an unchanged deployment is not rewritten.
    mutating func setDeployment(_ condition: DeploymentCondition, now: Timestamp) {
        var condition = condition
        if let index = firstIndex(where: { $0.type == condition.type }) {
            let existing = self[index]
            let same = existing.status == condition.status
            condition.lastTransitionTime = same ? (existing.lastTransitionTime ?? now) : now
            condition.lastUpdateTime = same && existing.reason == condition.reason && existing.message == condition.message
                ? (existing.lastUpdateTime ?? now) : now
            self[index] = condition
        } else {
            condition.lastTransitionTime = now
            condition.lastUpdateTime = now
            append(condition)
        }
    }
}
