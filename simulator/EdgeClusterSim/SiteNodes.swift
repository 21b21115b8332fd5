import FlotillaAPI
import FlotillaServer

/// The Node objects of a site, built from its spec: capacity equals allocatable, every node Ready.
enum SiteNodes {
    static let kubeletVersion = "v1.\(VersionInfo(flotillaVersion: FlotillaVersion.current).minor).0-flotilla-sim"

    static func nodes(for site: SiteSpec, now: Timestamp) -> [Node] {
        let count = site.nodes ?? 1
        return (1...max(count, 1)).map { index in
            let name = "\(site.name)-node-\(index)"
            var labels = site.labels ?? [:]
            labels["kubernetes.io/hostname"] = name
            labels["kubernetes.io/os"] = "linux"
            labels["kubernetes.io/arch"] = "amd64"
            labels["node.kubernetes.io/instance-type"] = "flotilla-sim"
            labels["edge.flotilla.io/site"] = site.name
            if let region = site.region { labels["topology.kubernetes.io/region"] = region }
            if let zone = site.zone { labels["topology.kubernetes.io/zone"] = zone }
            if let provider = site.provider { labels["edge.flotilla.io/provider"] = provider }
            var annotations: [String: String] = ["node.alpha.kubernetes.io/ttl": "0"]
            if let latitude = site.latitude { annotations["edge.flotilla.io/latitude"] = String(latitude) }
            if let longitude = site.longitude { annotations["edge.flotilla.io/longitude"] = String(longitude) }
            var resources: [String: Quantity] = [
                "pods": Quantity(Int64(site.pods ?? 110)),
                "ephemeral-storage": try! Quantity(parsing: "100Gi"),
            ]
            resources["cpu"] = site.cpu
            resources["memory"] = site.memory
            let conditions = [
                NodeCondition(type: "MemoryPressure", status: .false, reason: "KubeletHasSufficientMemory",
                    message: "kubelet has sufficient memory available"),
                NodeCondition(type: "DiskPressure", status: .false, reason: "KubeletHasNoDiskPressure", message: "kubelet has no disk pressure"),
                NodeCondition(type: "PIDPressure", status: .false, reason: "KubeletHasSufficientPID", message: "kubelet has sufficient PID available"),
                NodeCondition(type: "Ready", status: .true, reason: "KubeletReady", message: "kubelet is posting ready status"),
            ].map { condition in
                var condition = condition
                condition.lastHeartbeatTime = now
                condition.lastTransitionTime = now
                return condition
            }
            let nodeInfo: JSONValue = [
                "kubeletVersion": .string(kubeletVersion), "kubeProxyVersion": .string(kubeletVersion),
                "containerRuntimeVersion": .string("flotilla-sim://\(FlotillaVersion.current)"),
                "osImage": "Flotilla simulated edge node", "operatingSystem": "linux", "architecture": "amd64",
                "kernelVersion": "simulated", "machineID": .string(name), "systemUUID": .string(name), "bootID": .string(name),
            ]
            return Node(metadata: ObjectMeta(name: name, labels: labels, annotations: annotations),
                spec: NodeSpec(providerID: "flotilla-sim://\(site.name)/\(name)"),
                status: NodeStatus(capacity: resources, allocatable: resources, conditions: conditions,
                    addresses: [NodeAddress(type: "InternalIP", address: "127.0.0.1"), NodeAddress(type: "Hostname", address: name)],
                    nodeInfo: nodeInfo))
        }
    }
}
