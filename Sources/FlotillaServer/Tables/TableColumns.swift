import FlotillaAPI

/// The `kubectl get` columns of each kind; kinds not listed get NAME and AGE.
enum TableColumns {
    static func columns(for resource: GroupResource) -> [TableColumn] {
        switch (resource.group, resource.resource) {
        case ("", "namespaces"):
            return [.name, .path("Status", ["status", "phase"], description: "The phase of the namespace."), .age]
        case ("", "configmaps"):
            return [.name, TableColumn(name: "Data", type: "integer", description: "Number of data entries.") { object, _ in
                .integer(Int64((object["data"]?.objectValue?.count ?? 0) + (object["binaryData"]?.objectValue?.count ?? 0)))
            }, .age]
        case ("", "secrets"):
            return [.name, .path("Type", ["type"], description: "The type of the secret."),
                    TableColumn(name: "Data", type: "integer", description: "Number of data entries.") { object, _ in
                        .integer(Int64(object["data"]?.objectValue?.count ?? 0))
                    }, .age]
        case ("", "services"):
            return [.name, .path("Type", ["spec", "type"], description: "The type of the service."),
                    .path("Cluster-IP", ["spec", "clusterIP"], description: "The cluster IP.", fallback: "<none>"),
                    TableColumn(name: "External-IP", description: "External addresses.") { _, _ in "<none>" },
                    TableColumn(name: "Port(s)", description: "Service ports.") { object, _ in
                        let ports = object["spec"]?["ports"]?.arrayValue ?? []
                        let text = ports.map { "\($0["port"]?.int64Value ?? 0)/\($0["protocol"]?.stringValue ?? "TCP")" }
                        return .string(text.isEmpty ? "<none>" : text.joined(separator: ","))
                    }, .age,
                    TableColumn(name: "Selector", description: "Pod selector.", priority: 1) { object, _ in
                        let selector = object["spec"]?["selector"]?.objectValue ?? [:]
                        return .string(selector.isEmpty ? "<none>" : selector.sorted { $0.key < $1.key }
                            .map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ","))
                    }]
        case ("", "events"):
            return [
                TableColumn(name: "Last Seen", description: "Time since last seen.") { object, now in
                    guard let text = (object["lastTimestamp"] ?? object["eventTime"])?.stringValue,
                        let seen = Timestamp(rfc3339: text) else { return "<unknown>" }
                    return .string(HumanDuration.format(seconds: now.seconds - seen.seconds))
                },
                .path("Type", ["type"], description: "Normal or Warning."),
                .path("Reason", ["reason"], description: "Why the event happened."),
                TableColumn(name: "Object", description: "The object the event is about.") { object, _ in
                    let involved = object["involvedObject"]
                    return .string("\((involved?["kind"]?.stringValue ?? "").lowercased())/\(involved?["name"]?.stringValue ?? "")")
                },
                .path("Message", ["message"], description: "What happened."),
            ]
        case ("apps", "deployments"):
            return [.name,
                    TableColumn(name: "Ready", description: "Ready replicas out of desired.") { object, _ in
                        .string("\(object["status"]?["readyReplicas"]?.int64Value ?? 0)/\(object["spec"]?["replicas"]?.int64Value ?? 0)")
                    },
                    .path("Up-to-date", ["status", "updatedReplicas"], description: "Replicas at the desired template.", type: "integer", fallback: 0),
                    .path("Available", ["status", "availableReplicas"], description: "Available replicas.", type: "integer", fallback: 0),
                    .age,
                    TableColumn(name: "Containers", description: "Container names.", priority: 1) { object, _ in
                        .string(containers(object).compactMap { $0["name"]?.stringValue }.joined(separator: ","))
                    },
                    TableColumn(name: "Images", description: "Container images.", priority: 1) { object, _ in
                        .string(containers(object).compactMap { $0["image"]?.stringValue }.joined(separator: ","))
                    },
                    TableColumn(name: "Selector", description: "Label selector.", priority: 1) { object, _ in
                        let labels = object["spec"]?["selector"]?["matchLabels"]?.objectValue ?? [:]
                        return .string(labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: ","))
                    }]
        case ("cluster.karmada.io", "clusters"):
            return [.name, .path("Version", ["status", "kubernetesVersion"], description: "Kubernetes version of the member."),
                    .path("Mode", ["spec", "syncMode"], description: "Push or Pull."),
                    .condition("Ready", type: "Ready", description: "Whether the cluster is ready."), .age,
                    .path("APIEndpoint", ["spec", "apiEndpoint"], description: "The member's API server.", priority: 1),
                    .path("Region", ["spec", "region"], description: "Region of the cluster.", priority: 1),
                    .path("Provider", ["spec", "provider"], description: "Provider of the cluster.", priority: 1)]
        case ("policy.karmada.io", "propagationpolicies"), ("policy.karmada.io", "clusterpropagationpolicies"):
            return [.name, .path("Conflict-Resolution", ["spec", "conflictResolution"], description: "Abort or Overwrite."),
                    .path("Priority", ["spec", "priority"], description: "Higher wins when policies overlap.", type: "integer", fallback: 0),
                    .age]
        case ("work.karmada.io", "resourcebindings"), ("work.karmada.io", "clusterresourcebindings"):
            return [.name, .condition("Scheduled", type: "Scheduled", description: "Whether the binding is scheduled."),
                    .condition("FullyApplied", type: "FullyApplied", description: "Whether every Work was applied."), .age]
        case ("work.karmada.io", "works"):
            return [.name,
                    TableColumn(name: "Workload-Kind", description: "Kind of the first manifest.") { object, _ in
                        object["spec"]?["workload"]?["manifests"]?.arrayValue?.first?["kind"] ?? ""
                    },
                    .condition("Applied", type: "Applied", description: "Whether the manifests were applied."), .age]
        default:
            return [.name, .age]
        }
    }

    static func containers(_ object: JSONValue) -> [JSONValue] {
        object.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []
    }
}
