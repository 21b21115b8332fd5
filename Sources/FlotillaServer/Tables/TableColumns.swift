import FlotillaAPI

/// The `kubectl get` columns of each kind; kinds not listed get NAME and AGE.
enum TableColumns {
    /// A custom kind's columns: NAME, then its CRD's `additionalPrinterColumns` (a `date` cell shows the age, as
    /// kube-apiserver renders it); without any, NAME and AGE.
    static func printerColumns(_ columns: [PrinterColumn]) -> [TableColumn] {
        guard !columns.isEmpty else { return [.name, .age] }
        return [.name] + columns.map { column in
            let path = StatusPath(column.jsonPath)
            let isDate = column.type == "date"
            return TableColumn(name: column.name, type: column.type, format: column.format ?? "", description: column.description ?? "",
                               priority: Int(column.priority ?? 0)) { object, now in
                guard let value = path?.value(in: object) else { return .null }
                if isDate, let text = value.stringValue, let time = Timestamp(rfc3339: text) {
                    return .string(HumanDuration.format(seconds: now.seconds - time.seconds))
                }
                switch value {
                case .object, .array: return .string(value.serializedString())
                default: return value
                }
            }
        }
    }

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
        case ("", "serviceaccounts"):
            return [.name, TableColumn(name: "Secrets", type: "integer", description: "Number of secrets.") { object, _ in
                        .integer(Int64(object["secrets"]?.arrayValue?.count ?? 0))
                    }, .age]
        case ("", "persistentvolumeclaims"):
            return [.name, .path("Status", ["status", "phase"], description: "The claim's phase.", fallback: "Pending"),
                    .path("Volume", ["spec", "volumeName"], description: "The volume bound to the claim.", fallback: ""),
                    .path("Capacity", ["status", "capacity", "storage"], description: "The bound volume's size.", fallback: ""),
                    TableColumn(name: "Access Modes", description: "How the volume may be mounted.") { object, _ in
                        let short = ["ReadWriteOnce": "RWO", "ReadOnlyMany": "ROX", "ReadWriteMany": "RWX", "ReadWriteOncePod": "RWOP"]
                        return .string((object["status"]?["accessModes"]?.arrayValue ?? []).compactMap { $0.stringValue.map { short[$0] ?? $0 } }
                            .joined(separator: ","))
                    },
                    .path("StorageClass", ["spec", "storageClassName"], description: "The storage class.", fallback: "<unset>"),
                    .age,
                    .path("VolumeMode", ["spec", "volumeMode"], description: "Filesystem or Block.", priority: 1)]
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
        case ("networking.karmada.io", "multiclusterservices"):
            return [.name,
                    TableColumn(name: "Types", description: "How the service is exposed.") { object, _ in
                        .string((object["spec"]?["types"]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ","))
                    },
                    TableColumn(name: "Applied", description: "Whether the Service, clusters and ports resolved (ServiceApplied).") { object, _ in
                        condition(object, "ServiceApplied")
                    },
                    TableColumn(name: "Providers", description: "Ready endpoints each provider cluster offers.") { object, _ in
                        clusterCounts(object, "providedEndpoints")
                    },
                    TableColumn(name: "Consumers", description: "Ready endpoints imported into each consumer cluster.") { object, _ in
                        clusterCounts(object, "importedEndpoints")
                    }, .age]
        case ("catalog.flotilla.io", "serviceofferings"):
            return [.name, TableColumn(name: "Plans", description: "The offering's plans.") { object, _ in
                        .string((object["spec"]?["plans"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.joined(separator: ","))
                    },
                    .path("Bindable", ["spec", "bindable"], description: "Whether bindings may be made."),
                    .path("Description", ["spec", "description"], description: "What it is.", priority: 1), .age]
        case ("catalog.flotilla.io", "serviceinstances"):
            return [.name, .path("Offering", ["spec", "offeringName"], description: "The offering."),
                    .path("Plan", ["spec", "planName"], description: "The plan."),
                    TableColumn(name: "Ready", description: "Whether every Deployment is Ready.") { object, _ in condition(object, "Ready") },
                    TableColumn(name: "Reason", description: "Why (the Ready condition's reason).") { object, _ in
                        (object["status"]?["conditions"]?.arrayValue ?? []).first { $0["type"]?.stringValue == "Ready" }?["reason"] ?? "<none>"
                    }, .age]
        case ("catalog.flotilla.io", "servicebindings"):
            return [.name, .path("Instance", ["spec", "instanceRef", "name"], description: "The instance."),
                    .path("Secret", ["status", "secretName"], description: "The Secret with the credentials.", fallback: "<none>"),
                    TableColumn(name: "Ready", description: "Whether the credentials are written.") { object, _ in condition(object, "Ready") }, .age]
        case ("multicluster.x-k8s.io", "serviceexports"):
            return [.name, TableColumn(name: "Valid", description: "Whether the export is valid.") { object, _ in condition(object, "Valid") }, .age]
        case ("multicluster.x-k8s.io", "serviceimports"):
            return [.name, .path("Type", ["spec", "type"], description: "ClusterSetIP or Headless."),
                    TableColumn(name: "Clusters", description: "Clusters that provide endpoints.") { object, _ in
                        let clusters = (object["status"]?["clusters"]?.arrayValue ?? []).compactMap { $0["cluster"]?.stringValue }
                        return .string(clusters.isEmpty ? "<none>" : clusters.joined(separator: ","))
                    }, .age]
        case ("discovery.k8s.io", "endpointslices"):
            return [.name, .path("AddressType", ["addressType"], description: "The type of address."),
                    TableColumn(name: "Ports", description: "Ports of the slice.") { object, _ in
                        let ports = (object["ports"]?.arrayValue ?? []).compactMap { $0["port"]?.int64Value }.map(String.init)
                        return .string(ports.isEmpty ? "<unset>" : ports.joined(separator: ","))
                    },
                    TableColumn(name: "Endpoints", description: "Addresses of the endpoints.") { object, _ in
                        let addresses = (object["endpoints"]?.arrayValue ?? []).compactMap { $0["addresses"]?.arrayValue?.first?.stringValue }
                        return .string(addresses.isEmpty ? "<unset>" : addresses.joined(separator: ","))
                    }, .age]
        case ("scheduling.k8s.io", "priorityclasses"):
            return [.name, .path("Value", ["value"], description: "The priority value."),
                    .path("Global-Default", ["globalDefault"], description: "Whether it is the default.", fallback: "false"), .age]
        case ("coordination.k8s.io", "leases"):
            return [.name, .path("Holder", ["spec", "holderIdentity"], description: "The holder of the lease.", fallback: "<none>"), .age]
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
        case ("", "nodes"):
            return [.name,
                    TableColumn(name: "Status", description: "Ready or NotReady, and whether scheduling is disabled.") { object, _ in
                        let conditions = object["status"]?["conditions"]?.arrayValue ?? []
                        let ready = conditions.first { $0["type"]?.stringValue == "Ready" }?["status"]?.stringValue == "True"
                        let cordoned = object["spec"]?["unschedulable"]?.boolValue ?? false
                        return .string((ready ? "Ready" : "NotReady") + (cordoned ? ",SchedulingDisabled" : ""))
                    },
                    TableColumn(name: "Roles", description: "Roles from node-role.kubernetes.io labels.") { object, _ in
                        let prefix = "node-role.kubernetes.io/"
                        let roles = object.labels.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
                        return .string(roles.isEmpty ? "<none>" : roles.joined(separator: ","))
                    }, .age,
                    .path("Version", ["status", "nodeInfo", "kubeletVersion"], description: "Kubelet version."),
                    TableColumn(name: "Internal-IP", description: "Internal address.", priority: 1) { object, _ in
                        let addresses = object["status"]?["addresses"]?.arrayValue ?? []
                        return addresses.first { $0["type"]?.stringValue == "InternalIP" }?["address"] ?? "<none>"
                    },
                    .path("OS-Image", ["status", "nodeInfo", "osImage"], description: "Operating system image.", priority: 1),
                    .path("Container-Runtime", ["status", "nodeInfo", "containerRuntimeVersion"], description: "Container runtime.", priority: 1)]
        case ("", "pods"):
            return [.name,
                    TableColumn(name: "Ready", description: "Ready containers out of all.") { object, _ in
                        let statuses = object["status"]?["containerStatuses"]?.arrayValue ?? []
                        let total = object["spec"]?["containers"]?.arrayValue?.count ?? 0
                        return .string("\(statuses.filter { $0["ready"]?.boolValue == true }.count)/\(total)")
                    },
                    TableColumn(name: "Status", description: "Phase, or why the pod is not running.") { object, _ in
                        .string(podStatusText(object))
                    },
                    TableColumn(name: "Restarts", type: "integer", description: "Container restarts.") { object, _ in
                        .integer((object["status"]?["containerStatuses"]?.arrayValue ?? []).reduce(0) { $0 + ($1["restartCount"]?.int64Value ?? 0) })
                    }, .age,
                    .path("IP", ["status", "podIP"], description: "Pod IP.", priority: 1, fallback: "<none>"),
                    .path("Node", ["spec", "nodeName"], description: "Node the pod is bound to.", priority: 1, fallback: "<none>")]
        case ("", "endpoints"):
            return [.name,
                    TableColumn(name: "Endpoints", description: "Ready addresses and ports.") { object, _ in
                        var items: [String] = []
                        for subset in object["subsets"]?.arrayValue ?? [] {
                            for address in subset["addresses"]?.arrayValue ?? [] {
                                for port in subset["ports"]?.arrayValue ?? [] {
                                    items.append("\(address["ip"]?.stringValue ?? ""):\(port["port"]?.int64Value ?? 0)")
                                }
                            }
                        }
                        let shown = items.prefix(3).joined(separator: ",")
                        return .string(items.isEmpty ? "<none>" : shown + (items.count > 3 ? " + \(items.count - 3) more..." : ""))
                    }, .age]
        case ("apps", "statefulsets"):
            return [.name,
                    TableColumn(name: "Ready", description: "Ready replicas out of desired.") { object, _ in
                        .string("\(object["status"]?["readyReplicas"]?.int64Value ?? 0)/\(object["spec"]?["replicas"]?.int64Value ?? 0)")
                    }, .age]
        case ("apps", "daemonsets"):
            return [.name,
                    .path("Desired", ["status", "desiredNumberScheduled"], description: "Nodes that should run the pod.", type: "integer", fallback: 0),
                    .path("Current", ["status", "currentNumberScheduled"], description: "Nodes running the pod.", type: "integer", fallback: 0),
                    .path("Ready", ["status", "numberReady"], description: "Nodes with the pod Ready.", type: "integer", fallback: 0),
                    .path("Up-to-date", ["status", "updatedNumberScheduled"], description: "Nodes with the current template.", type: "integer", fallback: 0),
                    .path("Available", ["status", "numberAvailable"], description: "Nodes with the pod available.", type: "integer", fallback: 0),
                    .age]
        case ("batch", "jobs"):
            return [.name,
                    TableColumn(name: "Status", description: "Complete, Failed, Suspended or Running.") { object, _ in
                        let conditions = (object["status"]?["conditions"]?.arrayValue ?? []).filter { $0["status"] == "True" }
                        for type in ["Complete", "Failed", "Suspended"] where conditions.contains(where: { $0["type"]?.stringValue == type }) {
                            return .string(type)
                        }
                        return "Running"
                    },
                    TableColumn(name: "Completions", description: "Succeeded pods out of completions.") { object, _ in
                        let completions = object["spec"]?["completions"]?.int64Value
                        return .string("\(object["status"]?["succeeded"]?.int64Value ?? 0)/\(completions.map(String.init) ?? "1")")
                    },
                    TableColumn(name: "Duration", description: "From start to completion (or now).") { object, now in
                        guard let start = object["status"]?["startTime"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { return "" }
                        let end = object["status"]?["completionTime"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) ?? now
                        return .string(HumanDuration.format(seconds: end.seconds - start.seconds))
                    }, .age]
        case ("batch", "cronjobs"):
            return [.name, .path("Schedule", ["spec", "schedule"], description: "The cron schedule."),
                    .path("Timezone", ["spec", "timeZone"], description: "The schedule's time zone.", fallback: "<none>"),
                    .path("Suspend", ["spec", "suspend"], description: "Whether new Jobs are held.", type: "boolean", fallback: false),
                    TableColumn(name: "Active", type: "integer", description: "Jobs running.") { object, _ in
                        .integer(Int64(object["status"]?["active"]?.arrayValue?.count ?? 0))
                    },
                    TableColumn(name: "Last Schedule", description: "Since the last scheduled time.") { object, now in
                        guard let last = object["status"]?["lastScheduleTime"]?.stringValue.flatMap(Timestamp.init(rfc3339:)) else { return "<none>" }
                        return .string(HumanDuration.format(seconds: now.seconds - last.seconds))
                    }, .age]
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
        case ("mec.flotilla.io", "appsessions"):
            return [.name, .path("UE", ["spec", "ue"], description: "The UE's address."),
                    .path("App", ["spec", "app"], description: "The AppProfile."),
                    .path("Site", ["status", "site"], description: "The cluster serving the session.", fallback: "<none>"),
                    .path("Endpoint", ["status", "endpoint"], description: "The instance serving the session.", fallback: "<none>"),
                    .path("Phase", ["status", "phase"], description: "Active or Migrating."),
                    .path("Migrations", ["status", "migrations"], description: "Completed moves.", type: "integer", fallback: 0),
                    .age]
        case ("mec.flotilla.io", "sessionmigrations"):
            return [.name, .path("Session", ["spec", "session"], description: "The AppSession moved."),
                    .path("From", ["spec", "sourceSite"], description: "Source cluster."),
                    .path("To", ["spec", "targetSite"], description: "Target cluster."),
                    .path("Reason", ["spec", "reason"], description: "Why it moved."),
                    .path("Phase", ["status", "phase"], description: "Triggered, Transferring, Completed, Failed or RolledBack."),
                    .path("Downtime-ms", ["status", "downtimeMs"], description: "Freeze to resume, measured.", type: "number"),
                    .path("State-bytes", ["status", "stateBytes"], description: "Size of the transferred state.", priority: 1, type: "integer"),
                    .path("Message", ["status", "message"], description: "What happened.", priority: 1),
                    .age]
        default:
            return [.name, .age]
        }
    }

    /// kubectl's STATUS for a pod: a waiting or terminated container's reason wins over the phase.
    static func podStatusText(_ pod: JSONValue) -> String {
        if pod["metadata"]?["deletionTimestamp"] != nil { return "Terminating" }
        for status in pod["status"]?["containerStatuses"]?.arrayValue ?? [] {
            if let reason = status["state"]?["waiting"]?["reason"]?.stringValue { return reason }
            if let reason = status["state"]?["terminated"]?["reason"]?.stringValue { return reason }
        }
        return pod["status"]?["reason"]?.stringValue ?? pod["status"]?["phase"]?.stringValue ?? "Pending"
    }

    static func containers(_ object: JSONValue) -> [JSONValue] {
        object.value(at: ["spec", "template", "spec", "containers"])?.arrayValue ?? []
    }

    /// A condition's status, `Unknown` when absent.
    static func condition(_ object: JSONValue, _ type: String) -> JSONValue {
        let conditions = object["status"]?["conditions"]?.arrayValue ?? []
        return conditions.first { $0["type"]?.stringValue == type }?["status"] ?? "Unknown"
    }

    /// `cluster=N,…` from a MultiClusterService's `status.clusters` member `field`.
    static func clusterCounts(_ object: JSONValue, _ field: String) -> JSONValue {
        let entries = (object["status"]?["clusters"]?.arrayValue ?? []).compactMap { entry -> String? in
            entry[field]?.int64Value.map { "\(entry["name"]?.stringValue ?? "")=\($0)" }
        }
        return .string(entries.isEmpty ? "<none>" : entries.joined(separator: ","))
    }
}
