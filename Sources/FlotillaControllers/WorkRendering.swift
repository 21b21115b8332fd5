import FlotillaAPI
import FlotillaInterpreter

/// How a resource template becomes the manifest a member receives. Pure.
public enum WorkRendering {
    public static let bindingNameLabel = "resourcebinding.karmada.io/name"
    public static let bindingNamespaceLabel = "resourcebinding.karmada.io/namespace"
    /// A cluster-scoped template's Works name their ClusterResourceBinding instead.
    public static let clusterBindingNameLabel = "clusterresourcebinding.karmada.io/name"

    /// The labels tying a Work to its binding.
    public static func bindingLabels(_ binding: ResourceBinding) -> [String: String] {
        binding.isClusterScoped ? [clusterBindingNameLabel: binding.metadata.name ?? ""]
            : [bindingNameLabel: binding.metadata.name ?? "", bindingNamespaceLabel: binding.metadata.namespace ?? ""]
    }
    /// The template generation a Work was rendered from (status aggregation compares it).
    public static let templateGenerationAnnotation = "work.flotilla.io/template-generation"
    public static let appliedOverridesAnnotation = "policy.karmada.io/applied-overrides"
    public static let conflictResolutionAnnotation = "work.karmada.io/conflict-resolution"

    /// `karmada-es-<cluster>`: where a cluster's Works live.
    public static func executionNamespace(_ cluster: String) -> String { "karmada-es-\(cluster)" }

    /// `<name>-<hash of kind/namespace/name>`, stable per template.
    public static func workName(for template: JSONValue) -> String {
        let hash = FNV1a.hash32("\(template.kind ?? "")/\(template.namespace ?? "")/\(template.name ?? "")")
        // A `:` (RBAC names such as `system:aggregate-to-view`) is not allowed in a Work's name: it becomes `.`.
        return "\((template.name ?? "work").replacingOccurrences(of: ":", with: "."))-\(FNV1a.safeEncoded(hash))"
    }

    /// The template as a member should see it: identity, labels and annotations, and its content, without the
    /// control plane's bookkeeping (uid, resourceVersion, generation, timestamps, owners, finalizers, status);
    /// a kind with replicas gets this cluster's count through the interpreter's ReviseReplica.
    public static func manifest(from template: JSONValue, replicas: Int32?,
                                interpreter: ResourceInterpreter = ResourceInterpreter()) throws(ScriptError) -> JSONValue {
        var manifest = template
        manifest["status"] = nil
        var metadata: JSONObject = [:]
        for key in ["name", "namespace", "labels", "annotations"] { metadata[key] = template["metadata"]?[key] }
        if var annotations = metadata["annotations"]?.objectValue {
            annotations["kubectl.kubernetes.io/last-applied-configuration"] = nil
            metadata["annotations"] = annotations.isEmpty ? nil : .object(annotations)
        }
        manifest["metadata"] = .object(metadata)
        guard let replicas else { return manifest }
        return try interpreter.revise(manifest, replicas: Int64(replicas))
    }

    /// The manifest with the state a failover preserved (`gracefulEvictionTasks[].preservedLabelState`) as labels,
    /// on the clusters that were not serving before that failover (`clustersBeforeFailover`): Karmada's
    /// StatefulFailoverInjection, so the new copy starts from where the old one was.
    public static func preservingState(_ manifest: JSONValue, for cluster: String, tasks: [GracefulEvictionTask]) -> JSONValue {
        var labels: JSONObject = [:]
        for task in tasks where !(task.clustersBeforeFailover ?? []).contains(cluster) && task.fromCluster != cluster {
            for (key, value) in task.preservedLabelState ?? [:] { labels[key] = .string(value) }
        }
        guard !labels.isEmpty else { return manifest }
        var manifest = manifest
        var existing = manifest["metadata"]?["labels"]?.objectValue ?? [:]
        existing.merge(labels) { _, preserved in preserved }
        manifest.setValue(.object(existing), at: ["metadata", "labels"])
        return manifest
    }
}
