import FlotillaAPI

/// Writes the Endpoints of every Service with a selector: Ready pods as addresses, the rest as notReadyAddresses.
/// A runnable pod listens on its own loopback port (annotation `sim.flotilla.io/listen-port`), so its subset
/// carries that port; simulated pods share subsets that carry the service's resolved target ports.
/// Endpoints it wrote for a Service that is gone are removed. Pure: snapshot in, actions out.
struct EndpointsController: Sendable {
    static let managedAnnotation = "sim.flotilla.io/managed-by"
    static let listenPortAnnotation = "sim.flotilla.io/listen-port"

    func reconcile(_ snapshot: SiteSnapshot) -> [SiteAction] {
        var actions: [SiteAction] = []
        var wanted = Set<String>()
        for service in snapshot.services {
            guard let selector = service.spec?.selector, !selector.isEmpty, let name = service.metadata.name,
                let namespace = service.metadata.namespace else { continue }
            wanted.insert("\(namespace)/\(name)")
            // Kubernetes' Endpoints leave terminating pods out; EndpointSlices keep them, marked terminating.
            let pods = Self.backends(of: service, in: snapshot).filter { $0.metadata.deletionTimestamp == nil }
            let subsets = Self.subsets(for: service, pods: pods)
            let existing = snapshot.endpoints.first { $0.metadata.namespace == namespace && $0.metadata.name == name }
            if var existing {
                guard (existing.subsets ?? []) != subsets else { continue }
                existing.subsets = subsets.isEmpty ? nil : subsets
                actions.append(.update(Endpoints.descriptor.groupResource, existing.json()))
            } else {
                let endpoints = Endpoints(metadata: ObjectMeta(name: name, namespace: namespace, labels: service.metadata.labels,
                    annotations: [Self.managedAnnotation: "endpoints-controller"]), subsets: subsets.isEmpty ? nil : subsets)
                actions.append(.create(Endpoints.descriptor.groupResource, endpoints.json()))
            }
        }
        for endpoints in snapshot.endpoints where endpoints.metadata.annotations?[Self.managedAnnotation] != nil {
            guard let name = endpoints.metadata.name, let namespace = endpoints.metadata.namespace,
                !wanted.contains("\(namespace)/\(name)") else { continue }
            actions.append(.delete(Endpoints.descriptor.groupResource, namespace: namespace, name: name, uid: endpoints.metadata.uid))
        }
        return actions
    }

    /// The pods behind a Service with a selector: in its namespace, bound, not finished, with an address.
    static func backends(of service: Service, in snapshot: SiteSnapshot) -> [Pod] {
        guard let selector = service.spec?.selector, !selector.isEmpty else { return [] }
        return snapshot.pods.filter { pod in
            pod.metadata.namespace == service.metadata.namespace && pod.spec.nodeName != nil && !pod.isTerminal
                && pod.status?.podIP != nil && selector.allSatisfy { pod.metadata.labels?[$0.key] == $0.value }
        }
    }

    /// One subset per distinct port list, addresses sorted by IP then pod name.
    static func subsets(for service: Service, pods: [Pod]) -> [EndpointSubset] {
        var groups: [[EndpointPort]: (ready: [EndpointAddress], notReady: [EndpointAddress])] = [:]
        for pod in pods {
            let ports = self.ports(of: service, on: pod)
            let address = EndpointAddress(ip: pod.status?.podIP ?? "", nodeName: pod.spec.nodeName,
                targetRef: ObjectReference(apiVersion: nil, kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name,
                    uid: pod.metadata.uid))
            if pod.isReady { groups[ports, default: ([], [])].ready.append(address) } else { groups[ports, default: ([], [])].notReady.append(address) }
        }
        func sorted(_ addresses: [EndpointAddress]) -> [EndpointAddress]? {
            addresses.isEmpty ? nil : addresses.sorted { ($0.ip, $0.targetRef?.name ?? "") < ($1.ip, $1.targetRef?.name ?? "") }
        }
        let subsets = groups.map { ports, addresses in
            EndpointSubset(addresses: sorted(addresses.ready), notReadyAddresses: sorted(addresses.notReady), ports: ports)
        }
        return subsets.sorted { sortKey($0) < sortKey($1) }
    }

    static func sortKey(_ subset: EndpointSubset) -> String {
        let first = subset.addresses?.first ?? subset.notReadyAddresses?.first
        return "\(first?.ip ?? "")/\(subset.ports?.first?.port ?? 0)/\(first?.targetRef?.name ?? "")"
    }

    /// The service's ports as this pod serves them: its real listener for a runnable pod, else the target port
    /// (a number, or a container port looked up by name).
    static func ports(of service: Service, on pod: Pod) -> [EndpointPort] {
        let listen = pod.metadata.annotations?[listenPortAnnotation].flatMap { Int64($0) }
        return (service.spec?.ports ?? []).compactMap { port in
            let number: Int64?
            if let listen {
                number = listen
            } else {
                switch port.targetPort ?? .int(port.port) {
                case .int(let value): number = value
                case .string(let name):
                    number = pod.spec.containers.lazy.compactMap { $0.ports?.first { $0.name == name }?.containerPort }.first
                }
            }
            return number.map { EndpointPort(name: port.name, port: $0, protocol: port.protocol ?? "TCP") }
        }
    }
}
