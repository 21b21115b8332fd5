import FlotillaAPI

/// What the control plane collects from a member's object (Karmada's `InterpretStatus`, its default interpreter's
/// `reflectStatus`): for the kinds below, the fields the built-in aggregation and the users of the binding's
/// `aggregatedStatus` read; for any other kind, the whole status. Keeping only these makes a Work's
/// `manifestStatuses` and a binding's `aggregatedStatus` the size Karmada's are: a Deployment's status with its
/// conditions was ~560 bytes per cluster, ~150 without (a binding on 100 clusters carried 56 KB of it).
///
/// | kind | fields kept |
/// |---|---|
/// | Deployment | `replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`, `unavailableReplicas`, `observedGeneration`; `generation`, `resourceTemplateGeneration` |
/// | StatefulSet | `replicas`, `readyReplicas`, `currentReplicas`, `updatedReplicas`, `availableReplicas`, `observedGeneration`; `generation`, `resourceTemplateGeneration` |
/// | DaemonSet | `currentNumberScheduled`, `desiredNumberScheduled`, `numberAvailable`, `numberMisscheduled`, `numberReady`, `updatedNumberScheduled`, `numberUnavailable`, `observedGeneration`; `generation`, `resourceTemplateGeneration` |
/// | Job | `active`, `succeeded`, `failed`, `conditions`, `startTime`, `completionTime` |
/// | Service | `loadBalancer`, for type LoadBalancer only (other Services report none) |
/// | PodDisruptionBudget | `disruptionsAllowed`, `expectedPods`, `desiredHealthy`, `currentHealthy`, `disruptedPods` |
/// | HorizontalPodAutoscaler | `currentReplicas`, `desiredReplicas` |
///
/// `generation` is the member object's `metadata.generation` and `resourceTemplateGeneration` its
/// `resourcetemplate.karmada.io/generation` annotation, as Karmada's `FederatedGeneration`; both are left out when
/// zero or absent. One difference from Karmada: a StatefulSet keeps `observedGeneration`, which Flotilla's
/// aggregation reads to tell when every cluster has observed the template's generation.
public enum StatusReflection {
    static let resourceTemplateGenerationAnnotation = "resourcetemplate.karmada.io/generation"

    /// Kinds with a projection, by kind, with their group.
    static let projections: [String: (group: String, fields: [String], generations: Bool)] = [
        "Deployment": ("apps", ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas",
                                "observedGeneration"], true),
        "StatefulSet": ("apps", ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas",
                                 "observedGeneration"], true),
        "DaemonSet": ("apps", ["currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
                               "numberReady", "updatedNumberScheduled", "numberUnavailable", "observedGeneration"], true),
        "Job": ("batch", ["active", "succeeded", "failed", "conditions", "startTime", "completionTime"], false),
        "Service": ("", ["loadBalancer"], false),
        "PodDisruptionBudget": ("policy", ["disruptionsAllowed", "expectedPods", "desiredHealthy", "currentHealthy", "disruptedPods"], false),
        "HorizontalPodAutoscaler": ("autoscaling", ["currentReplicas", "desiredReplicas"], false),
    ]

    /// The status to report for a member's object; nil when it has none (or, for a Service, is not a LoadBalancer).
    public static func reflect(_ observed: JSONValue) -> JSONValue? {
        guard let status = observed["status"], status.objectValue != nil else { return observed["status"] }
        guard let kind = observed.kind, let projection = projections[kind],
              GroupVersion(apiVersion: observed.apiVersion ?? "")?.group == projection.group else { return status }
        if kind == "Service", observed["spec"]?["type"]?.stringValue != "LoadBalancer" { return nil }
        var kept: [JSONObject.Member] = []
        for field in projection.fields {
            if let value = status[field] { kept.append(JSONObject.Member(field, value)) }
        }
        if projection.generations {
            if let generation = observed.generation, generation != 0 { kept.append(JSONObject.Member("generation", .integer(generation))) }
            if let text = observed["metadata"]?["annotations"]?[resourceTemplateGenerationAnnotation]?.stringValue,
               let generation = Int64(text), generation != 0 {
                kept.append(JSONObject.Member("resourceTemplateGeneration", .integer(generation)))
            }
        }
        return .object(JSONObject(unsortedMembers: kept))
    }
}
