import FlotillaAPI

/// Keeps one pod of each DaemonSet on every node that should run it, as the daemonset controller does: Ready nodes
/// whose labels match the template's node selector and whose NoSchedule/NoExecute taints it tolerates (cordoned
/// nodes included, as DaemonSet pods tolerate `unschedulable`). Pods are bound to their node at creation; a pod on
/// a node that should not run it goes, and a template change replaces one pod at a time while the rest are Ready.
/// Pure: snapshot in, actions out.
struct DaemonSetController: Sendable {
    let events = EventRecorder(component: "daemonset-controller")

    func reconcile(_ snapshot: SiteSnapshot, now: Timestamp) -> [SiteAction] {
        let pods = snapshot.owned(snapshot.pods)
        return snapshot.daemonSets.filter { $0.metadata.deletionTimestamp == nil }.flatMap { set in
            reconcile(set, owned: (pods[set.metadata.uid ?? ""] ?? []).filter { !$0.isTerminal }, nodes: snapshot.nodes, now: now)
        }
    }

    static func shouldRun(_ template: PodTemplateSpec, on node: Node) -> Bool {
        guard node.isReady else { return false }
        let labels = node.metadata.labels ?? [:]
        for (key, value) in template.spec.nodeSelector ?? [:] where labels[key] != value { return false }
        let tolerations = template.spec.tolerations ?? []
        return (node.spec?.taints ?? []).allSatisfy { taint in
            (taint.effect != "NoSchedule" && taint.effect != "NoExecute") || tolerations.contains { $0.tolerates(taint) }
        }
    }

    func reconcile(_ set: DaemonSet, owned: [Pod], nodes: [Node], now: Timestamp) -> [SiteAction] {
        guard set.metadata.uid != nil, let name = set.metadata.name else { return [] }
        let hash = DeploymentController.templateHash(set.spec.template)
        let eligible = Set(nodes.filter { Self.shouldRun(set.spec.template, on: $0) }.compactMap(\.metadata.name))
        let byNode = Dictionary(grouping: owned) { $0.spec.nodeName ?? "" }
        var actions: [SiteAction] = []
        var created: [String] = [], deleted: [Pod] = []
        for node in eligible.sorted() where byNode[node] == nil {
            let pod = WorkloadPods.pod(from: set.spec.template, owner: set.controllerReference, namespace: set.metadata.namespace,
                generateName: "\(name)-", labels: ["controller-revision-hash": hash, "pod-template-generation": String(set.metadata.generation ?? 1)],
                nodeName: node)
            actions.append(.create(Pod.descriptor.groupResource, pod.json()))
            created.append(node)
        }
        for (node, pods) in byNode {
            if !eligible.contains(node) { deleted += pods } else { deleted += pods.dropFirst() }
        }
        let current = owned.filter { eligible.contains($0.spec.nodeName ?? "") }
        if created.isEmpty, deleted.isEmpty, current.allSatisfy(\.isReady),
           let outdated = current.filter({ $0.metadata.labels?["controller-revision-hash"] != hash })
               .min(by: { ($0.spec.nodeName ?? "") < ($1.spec.nodeName ?? "") }) {
            deleted.append(outdated)
        }
        actions += deleted.map(WorkloadPods.delete)
        if !created.isEmpty {
            actions.append(events.event(about: set.reference, reason: "SuccessfulCreate",
                message: "Created pod on node\(created.count == 1 ? "" : "s") \(created.joined(separator: ", "))", at: now))
        }
        if !deleted.isEmpty {
            actions.append(events.event(about: set.reference, reason: "SuccessfulDelete",
                message: "Deleted pod\(deleted.count == 1 ? "" : "s"): " + deleted.compactMap(\.metadata.name).joined(separator: ", "), at: now))
        }
        let scheduled = owned.filter { eligible.contains($0.spec.nodeName ?? "") }
        let ready = scheduled.filter(\.isReady).count
        var status = DaemonSetStatus(currentNumberScheduled: Int32(Set(scheduled.compactMap(\.spec.nodeName)).count),
            numberMisscheduled: Int32(Set(owned.compactMap(\.spec.nodeName)).subtracting(eligible).count),
            desiredNumberScheduled: Int32(eligible.count), numberReady: Int32(ready))
        status.observedGeneration = set.metadata.generation
        status.updatedNumberScheduled = Int32(scheduled.filter { $0.metadata.labels?["controller-revision-hash"] == hash }.count)
        status.numberAvailable = ready == 0 ? nil : Int32(ready)
        status.numberUnavailable = eligible.count - ready > 0 ? Int32(eligible.count - ready) : nil
        if status != set.status {
            var changed = set
            changed.status = status
            actions.append(.update(DaemonSet.descriptor.groupResource, changed.json()))
        }
        return actions
    }
}
