import FlotillaAPI

/// Flotilla's built-in interpreters for the Kubernetes kinds, following Karmada's native interpreter. Pure: an object
/// (and cluster statuses) in, a result out. A ResourceInterpreterCustomization's script replaces one of them for
/// its kind; a kind with no built-in for an operation gets the default the table in docs/karmada-compatibility.md
/// gives.
///
/// | operation | kinds |
/// |---|---|
/// | replicas and per-replica requirements | Deployment, StatefulSet (`spec.replicas`, default 1), Job (`spec.parallelism`, default 1), Pod (1) |
/// | revise replicas | Deployment, StatefulSet (`spec.replicas`), Job (`spec.parallelism`) |
/// | retain the member's own fields | Service (`clusterIP(s)`, `nodePort`s, `healthCheckNodePort`), Pod (`nodeName`), PersistentVolumeClaim (`volumeName`), Job (the selector and template labels the member's Job controller set) |
/// | status reflection | Deployment, StatefulSet, DaemonSet, Job, Service, PodDisruptionBudget, HorizontalPodAutoscaler (the fields `StatusReflection` lists); other kinds report their whole status |
/// | status aggregation | Deployment, StatefulSet, DaemonSet, Job, CronJob, Pod, Service and Ingress (load-balancer ingress), PersistentVolumeClaim |
/// | health | Deployment, StatefulSet, DaemonSet, Job, Pod, Service, Ingress, PersistentVolumeClaim; other kinds are healthy once applied |
/// | dependencies | Deployment, StatefulSet, DaemonSet, Job, Pod (the pod template's); CronJob (its job template's) |
public enum BuiltinInterpreters {
    /// Kinds by the group they are built in for (`apps`, `batch`, core `""`, `networking.k8s.io`).
    static let groups: [String: String] = [
        "Deployment": "apps", "StatefulSet": "apps", "DaemonSet": "apps", "Job": "batch", "CronJob": "batch",
        "Pod": "", "Service": "", "PersistentVolumeClaim": "", "ConfigMap": "", "Secret": "", "Ingress": "networking.k8s.io",
    ]

    /// The built-in kind an object is, when it is one (matched by group and kind, any version).
    static func builtinKind(_ object: JSONValue) -> String? {
        guard let kind = object.kind, let group = groups[kind] else { return nil }
        return GroupVersion(apiVersion: object.apiVersion ?? "")?.group == group ? kind : nil
    }

    // MARK: replicas

    public static func replicas(_ object: JSONValue) -> ReplicaInterpretation? {
        switch builtinKind(object) {
        case "Deployment", "StatefulSet":
            return ReplicaInterpretation(replicas: int32(object["spec"]?["replicas"]) ?? 1,
                                         requirements: PodTemplates.replicaRequirements(object["spec"]?["template"]))
        case "Job":
            return ReplicaInterpretation(replicas: int32(object["spec"]?["parallelism"]) ?? 1,
                                         requirements: PodTemplates.replicaRequirements(object["spec"]?["template"]))
        case "Pod":
            return ReplicaInterpretation(replicas: 1, requirements: PodTemplates.replicaRequirements(object))
        default:
            return nil
        }
    }

    public static func revise(_ object: JSONValue, replicas: Int64) -> JSONValue? {
        var revised = object
        switch builtinKind(object) {
        case "Deployment", "StatefulSet": revised.setValue(.integer(replicas), at: ["spec", "replicas"])
        case "Job": revised.setValue(.integer(replicas), at: ["spec", "parallelism"])
        default: return nil
        }
        return revised
    }

    // MARK: retain

    /// The desired object with the fields the member owns kept from what it observed.
    public static func retain(desired: JSONValue, observed: JSONValue) -> JSONValue {
        var retained = desired
        switch builtinKind(desired) {
        case "Service":
            for field in ["clusterIP", "clusterIPs", "healthCheckNodePort"] where observed["spec"]?[field] != nil {
                retained.setValue(observed["spec"]?[field] ?? .null, at: ["spec", field])
            }
            if var ports = retained["spec"]?["ports"]?.arrayValue {
                let observedPorts = observed["spec"]?["ports"]?.arrayValue ?? []
                for index in ports.indices where ports[index]["nodePort"] == nil {
                    let match = observedPorts.first { $0["port"] == ports[index]["port"] && ($0["protocol"] ?? "TCP") == (ports[index]["protocol"] ?? "TCP") }
                    if let nodePort = match?["nodePort"] { ports[index]["nodePort"] = nodePort }
                }
                retained.setValue(.array(ports), at: ["spec", "ports"])
            }
        case "Pod":
            if let node = observed["spec"]?["nodeName"], desired["spec"]?["nodeName"] == nil { retained.setValue(node, at: ["spec", "nodeName"]) }
        case "PersistentVolumeClaim":
            if let volume = observed["spec"]?["volumeName"], desired["spec"]?["volumeName"] == nil { retained.setValue(volume, at: ["spec", "volumeName"]) }
        case "Job":
            if let selector = observed["spec"]?["selector"], desired["spec"]?["selector"] == nil { retained.setValue(selector, at: ["spec", "selector"]) }
            var labels = desired["spec"]?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
            for (key, value) in observed["spec"]?["template"]?["metadata"]?["labels"]?.objectValue ?? [:]
            where (key == "controller-uid" || key.hasSuffix("/controller-uid") || key == "job-name" || key.hasSuffix("/job-name")) && labels[key] == nil {
                labels[key] = value
            }
            if !labels.isEmpty { retained.setValue(.object(labels), at: ["spec", "template", "metadata", "labels"]) }
        default:
            break
        }
        return retained
    }

    // MARK: status

    /// The template with the status the clusters report, folded as Karmada folds it; nil when the kind has no
    /// built-in aggregation.
    public static func aggregateStatus(_ object: JSONValue, items: [AggregatedStatusItem]) -> JSONValue? {
        let statuses = items.compactMap { $0.status }
        var status: JSONObject
        switch builtinKind(object) {
        case "Deployment":
            status = sums(statuses, ["replicas", "readyReplicas", "updatedReplicas", "availableReplicas", "unavailableReplicas"])
        case "StatefulSet":
            status = sums(statuses, ["replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"])
        case "DaemonSet":
            status = sums(statuses, ["currentNumberScheduled", "desiredNumberScheduled", "numberAvailable", "numberMisscheduled",
                                     "numberReady", "updatedNumberScheduled", "numberUnavailable"],
                          required: ["currentNumberScheduled", "desiredNumberScheduled", "numberMisscheduled", "numberReady"])
        case "Job":
            status = jobStatus(statuses, clusters: items.count)
        case "CronJob":
            status = [:]
            let active = statuses.flatMap { $0["active"]?.arrayValue ?? [] }
            if !active.isEmpty { status["active"] = .array(active) }
            for field in ["lastScheduleTime", "lastSuccessfulTime"] {
                if let latest = statuses.compactMap({ $0[field]?.stringValue }).max() { status[field] = .string(latest) }
            }
        case "Pod":
            status = podStatus(statuses, clusters: items.count)
        case "Service", "Ingress":
            let ingress = items.flatMap { item in
                (item.status?["loadBalancer"]?["ingress"]?.arrayValue ?? []).map { entry -> JSONValue in
                    var entry = entry
                    // Karmada names the cluster an address came from in the hostname-free form.
                    if entry["hostname"] == nil, entry["ip"] == nil { entry["hostname"] = .string(item.clusterName) }
                    return entry
                }
            }
            status = ["loadBalancer": ingress.isEmpty ? .object([:]) : .object(["ingress": .array(ingress)])]
        case "PersistentVolumeClaim":
            let phases = statuses.compactMap { $0["phase"]?.stringValue }
            let phase = phases.contains("Lost") ? "Lost" : (!phases.isEmpty && phases.count == items.count && phases.allSatisfy { $0 == "Bound" }) ? "Bound" : "Pending"
            status = ["phase": .string(phase)]
        default:
            return nil
        }
        // observedGeneration: the template's generation once every cluster has observed its copy's.
        if ["Deployment", "StatefulSet", "DaemonSet"].contains(builtinKind(object) ?? ""), let generation = object.generation,
           !items.isEmpty, statuses.count == items.count, statuses.allSatisfy({ $0["observedGeneration"] != nil }) {
            status["observedGeneration"] = .integer(generation)
        } else if let previous = object["status"]?["observedGeneration"] {
            status["observedGeneration"] = previous
        }
        var aggregated = object
        aggregated["status"] = .object(status)
        return aggregated
    }

    /// Field-wise sums; zero totals are left out except for `required` fields (the kind's non-optional ones).
    private static func sums(_ statuses: [JSONValue], _ fields: [String], required: Set<String> = ["replicas"]) -> JSONObject {
        var result: JSONObject = [:]
        for field in fields {
            let total = statuses.reduce(Int64(0)) { $0 + ($1[field]?.int64Value ?? 0) }
            if total != 0 || required.contains(field) { result[field] = .integer(total) }
        }
        return result
    }

    private static func jobStatus(_ statuses: [JSONValue], clusters: Int) -> JSONObject {
        var status = sums(statuses, ["active", "succeeded", "failed"])
        status["replicas"] = nil
        if let start = statuses.compactMap({ $0["startTime"]?.stringValue }).min() { status["startTime"] = .string(start) }
        func finished(_ type: String) -> [JSONValue] {
            statuses.filter { ($0["conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == type && $0["status"]?.stringValue == "True" } }
        }
        let complete = finished("Complete"), failed = finished("Failed")
        if clusters > 0, complete.count == clusters {
            if let end = complete.compactMap({ $0["completionTime"]?.stringValue }).max() { status["completionTime"] = .string(end) }
            status["conditions"] = .array([["type": "Complete", "status": "True", "reason": "Completed",
                                            "message": .string("Job completed in all \(clusters) clusters")]])
        } else if !failed.isEmpty {
            status["conditions"] = .array([["type": "Failed", "status": "True", "reason": "JobFailed",
                                            "message": .string("Job failed in \(failed.count) of \(clusters) clusters")]])
        }
        return status
    }

    private static func podStatus(_ statuses: [JSONValue], clusters: Int) -> JSONObject {
        let phases = statuses.compactMap { $0["phase"]?.stringValue }
        let phase: String
        if phases.contains("Failed") { phase = "Failed" }
        else if phases.count < clusters || phases.contains("Pending") || phases.isEmpty { phase = "Pending" }
        else if phases.allSatisfy({ $0 == "Succeeded" }) { phase = "Succeeded" }
        else { phase = "Running" }
        var status: JSONObject = ["phase": .string(phase)]
        let containers = statuses.flatMap { $0["containerStatuses"]?.arrayValue ?? [] }
        if !containers.isEmpty { status["containerStatuses"] = .array(containers) }
        return status
    }

    /// What the control plane collects from a member's object (`StatusReflection`).
    public static func reflectStatus(_ observed: JSONValue) -> JSONValue? { StatusReflection.reflect(observed) }

    /// Whether a member's object is healthy; nil when the kind has no built-in check (then it is healthy once applied).
    public static func health(_ observed: JSONValue) -> Bool? {
        let spec = observed["spec"], status = observed["status"]
        func int(_ value: JSONValue?) -> Int64 { value?.int64Value ?? 0 }
        let observedCurrent = int(status?["observedGeneration"]) >= (observed.generation ?? 0)
        switch builtinKind(observed) {
        case "Deployment", "StatefulSet":
            let desired = spec?["replicas"]?.int64Value ?? 1
            return observedCurrent && int(status?["updatedReplicas"]) >= desired && int(status?["availableReplicas"]) >= desired
        case "DaemonSet":
            let desired = int(status?["desiredNumberScheduled"])
            return observedCurrent && int(status?["updatedNumberScheduled"]) >= desired && int(status?["numberAvailable"]) >= desired
        case "Job":
            return !(status?["conditions"]?.arrayValue ?? []).contains { $0["type"]?.stringValue == "Failed" && $0["status"]?.stringValue == "True" }
        case "Pod":
            let phase = status?["phase"]?.stringValue
            return phase == "Succeeded" || (phase == "Running" && (status?["conditions"]?.arrayValue ?? []).contains {
                $0["type"]?.stringValue == "Ready" && $0["status"]?.stringValue == "True"
            })
        case "Service":
            guard spec?["type"]?.stringValue == "LoadBalancer" else { return true }
            return status?["loadBalancer"]?["ingress"]?.arrayValue?.isEmpty == false
        case "Ingress":
            return status?["loadBalancer"]?["ingress"]?.arrayValue?.isEmpty == false
        case "PersistentVolumeClaim":
            return status?["phase"]?.stringValue == "Bound"
        default:
            return nil
        }
    }

    /// The objects a workload needs on its clusters.
    public static func dependencies(_ object: JSONValue) -> [DependentReference] {
        let namespace = object.namespace ?? "default"
        switch builtinKind(object) {
        case "Deployment", "StatefulSet", "DaemonSet", "Job":
            return PodTemplates.dependencies(object["spec"]?["template"], namespace: namespace)
        case "CronJob":
            return PodTemplates.dependencies(object["spec"]?["jobTemplate"]?["spec"]?["template"], namespace: namespace)
        case "Pod":
            return PodTemplates.dependencies(object, namespace: namespace)
        default:
            return []
        }
    }

    private static func int32(_ value: JSONValue?) -> Int32? { value?.int64Value.map { Int32(clamping: $0) } }
}

/// A kind's replicas and what each replica asks for (Karmada's `ReplicaRequirements` as JSON).
public struct ReplicaInterpretation: Sendable, Hashable {
    public var replicas: Int32
    public var requirements: JSONValue?

    public init(replicas: Int32, requirements: JSONValue?) {
        self.replicas = replicas
        self.requirements = requirements
    }
}
