import FlotillaAPI

/// Keeps each StatefulSet's pods `<name>-0 … <name>-(n-1)`, as the statefulset controller does: with
/// `OrderedReady` one pod is created at a time, each once every lower ordinal is Ready, and one is removed at a
/// time from the highest ordinal down; with `Parallel` all at once. A template change rolls from the highest
/// ordinal down, one pod at a time while the others are Ready. Each `volumeClaimTemplates` entry gives every pod
/// its own claim `<claim>-<name>-<ordinal>` (kept when the pod goes, as the default retention policy says).
/// Pure: snapshot in, actions out.
struct StatefulSetController: Sendable {
    let events = EventRecorder(component: "statefulset-controller")

    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp) -> [SiteAction] {
        let pods = snapshot.owned(snapshot.pods)
        let claims = Set(snapshot.claims.map { "\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")" })
        return snapshot.statefulSets.filter { $0.metadata.deletionTimestamp == nil }.flatMap { set in
            reconcile(set, owned: pods[set.metadata.uid ?? ""] ?? [], claims: claims, now: now)
        }
    }

    static func ordinal(of pod: Pod, in set: StatefulSet) -> Int? {
        guard let name = pod.metadata.name, let setName = set.metadata.name, name.hasPrefix(setName + "-") else { return nil }
        return Int(name.dropFirst(setName.count + 1))
    }

    func reconcile(_ set: StatefulSet, owned: [Pod], claims: Set<String>, now: Timestamp) -> [SiteAction] {
        guard set.metadata.uid != nil, let name = set.metadata.name else { return [] }
        let revision = "\(name)-\(DeploymentController.templateHash(set.spec.template))"
        let desired = Int(max(set.spec.replicas ?? 1, 0))
        let parallel = set.spec.podManagementPolicy == "Parallel"
        var byOrdinal: [Int: Pod] = [:]
        for pod in owned { if let ordinal = Self.ordinal(of: pod, in: set) { byOrdinal[ordinal] = pod } }
        var actions: [SiteAction] = []
        var created: [String] = [], deleted: [String] = []

        // Scale up: missing ordinals below `desired`, in order.
        for ordinal in 0..<desired where byOrdinal[ordinal] == nil {
            if !parallel, (0..<ordinal).contains(where: { byOrdinal[$0]?.isReady != true }) { break }
            let podName = "\(name)-\(ordinal)"
            for claim in claimsFor(set, ordinal: ordinal) where !claims.contains("\(claim.metadata.namespace ?? "")/\(claim.metadata.name ?? "")") {
                actions.append(.create(PersistentVolumeClaim.descriptor.groupResource, claim.json()))
            }
            var pod = WorkloadPods.pod(from: set.spec.template, owner: set.controllerReference, namespace: set.metadata.namespace, name: podName,
                labels: ["controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": podName,
                         "apps.kubernetes.io/pod-index": String(ordinal)])
            pod.spec.unknownFields["hostname"] = .string(podName)
            if let service = set.spec.serviceName { pod.spec.unknownFields["subdomain"] = .string(service) }
            for template in set.volumeClaimTemplates {
                pod.spec.mountClaim(named: template.name, claim: "\(template.name)-\(name)-\(ordinal)")
            }
            actions.append(.create(Pod.descriptor.groupResource, pod.json()))
            created.append(podName)
            if !parallel { break }
        }
        // Scale down: the highest ordinals first.
        let extra = byOrdinal.keys.filter { $0 >= desired }.sorted(by: >)
        for ordinal in parallel ? extra : Array(extra.prefix(1)) {
            actions.append(WorkloadPods.delete(byOrdinal[ordinal]!))
            deleted.append(byOrdinal[ordinal]!.metadata.name ?? "")
        }
        // Rolling update: one outdated pod at a time, highest first, while every other pod is Ready.
        let kept = byOrdinal.filter { $0.key < desired }
        if extra.isEmpty, created.isEmpty, kept.count == desired, kept.values.allSatisfy(\.isReady),
           let outdated = kept.filter({ $0.value.metadata.labels?["controller-revision-hash"] != revision }).keys.max() {
            actions.append(WorkloadPods.delete(kept[outdated]!))
            deleted.append(kept[outdated]!.metadata.name ?? "")
        }
        for podName in created {
            actions.append(events.event(about: set.reference, reason: "SuccessfulCreate", message: "create Pod \(podName) in StatefulSet \(name) successful", at: now))
        }
        for podName in deleted {
            actions.append(events.event(about: set.reference, reason: "SuccessfulDelete", message: "delete Pod \(podName) in StatefulSet \(name) successful", at: now))
        }
        var status = StatefulSetStatus(replicas: Int32(owned.count))
        status.observedGeneration = set.metadata.generation
        let ready = owned.filter(\.isReady).count
        let updated = owned.filter { $0.metadata.labels?["controller-revision-hash"] == revision }.count
        status.readyReplicas = Int32(ready)
        status.availableReplicas = Int32(ready)
        status.currentReplicas = Int32(updated)
        status.updatedReplicas = Int32(updated)
        status.currentRevision = updated == owned.count ? revision : (set.status?.currentRevision ?? revision)
        status.updateRevision = revision
        if status != set.status {
            var changed = set
            changed.status = status
            actions.append(.update(StatefulSet.descriptor.groupResource, changed.json()))
        }
        return actions
    }

    /// Each pod's own claims, from the set's `volumeClaimTemplates`.
    func claimsFor(_ set: StatefulSet, ordinal: Int) -> [PersistentVolumeClaim] {
        set.volumeClaimTemplates.compactMap { template in
            var object = template.object
            object["apiVersion"] = "v1"
            object["kind"] = "PersistentVolumeClaim"
            object.setMetadata("name", .string("\(template.name)-\(set.metadata.name ?? "")-\(ordinal)"))
            object.setMetadata("namespace", set.metadata.namespace.map(JSONValue.string))
            var labels = object["metadata"]?["labels"]?.objectValue ?? [:]
            for (key, value) in set.spec.selector?.matchLabels ?? [:] { labels[key] = .string(value) }
            object.setMetadata("labels", .object(labels))
            guard case .success(let admitted) = PersistentVolumeClaim.descriptor.admit(object) else { return nil }
            return try? PersistentVolumeClaim(json: admitted)
        }
    }
}

extension StatefulSet {
    /// The `volumeClaimTemplates` the set carries (kept as given in the spec's unknown fields).
    var volumeClaimTemplates: [(name: String, object: JSONValue)] {
        (spec.unknownFields["volumeClaimTemplates"]?.arrayValue ?? []).compactMap { template in
            template["metadata"]?["name"]?.stringValue.map { ($0, template) }
        }
    }
}

extension PodSpec {
    /// Points the volume named `name` at `claim` (adding the volume when the template has none by that name).
    mutating func mountClaim(named name: String, claim: String) {
        var volumes = unknownFields["volumes"]?.arrayValue ?? []
        let volume: JSONValue = ["name": .string(name), "persistentVolumeClaim": ["claimName": .string(claim)]]
        if let index = volumes.firstIndex(where: { $0["name"]?.stringValue == name }) { volumes[index] = volume } else { volumes.append(volume) }
        unknownFields["volumes"] = .array(volumes)
    }
}
