import FlotillaAPI

/// The one way the site's workload controllers make a pod from a template: the template's metadata and spec, the
/// controller's owner reference and labels, and the pod defaults. Pure.
enum WorkloadPods {
    static func pod(from template: PodTemplateSpec, owner: OwnerReference, namespace: String?, name: String? = nil,
                    generateName: String? = nil, labels: [String: String] = [:], nodeName: String? = nil) -> Pod {
        var metadata = template.metadata ?? ObjectMeta()
        metadata.name = name
        metadata.generateName = name == nil ? generateName : nil
        metadata.namespace = namespace
        metadata.labels = (metadata.labels ?? [:]).merging(labels) { _, new in new }
        metadata.ownerReferences = [owner]
        var pod = Pod(metadata: metadata, spec: template.spec)
        if let nodeName { pod.spec.nodeName = nodeName }
        pod.setDefaults()
        pod.status?.qosClass = pod.spec.requests.isEmpty ? "BestEffort" : "Burstable"
        return pod
    }

    /// Deletes a pod, guarded by its uid.
    static func delete(_ pod: Pod) -> SiteAction {
        .delete(Pod.descriptor.groupResource, namespace: pod.metadata.namespace, name: pod.metadata.name ?? "", uid: pod.metadata.uid)
    }
}
