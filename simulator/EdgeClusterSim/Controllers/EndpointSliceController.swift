import FlotillaAPI

/// Writes the site's own EndpointSlices (discovery.k8s.io/v1) beside the Endpoints, as kube-controller-manager's
/// endpointslice controller does: per Service with a selector, one slice per distinct port list (a runnable pod
/// serves on its own loopback port), named `<service>-<hash of the ports>`. Each endpoint carries the pod's address,
/// `ready` / `serving` / `terminating`, its node, the node's zone and a hint for that zone. Slices other writers
/// made (the control plane's imported slices) are never touched. Pure: snapshot in, actions out.
struct EndpointSliceController: Sendable {
    static let zoneLabel = "topology.kubernetes.io/zone"

    func reconcile(_ snapshot: SiteSnapshot) -> [SiteAction] {
        var actions: [SiteAction] = []
        let zones = Dictionary(snapshot.nodes.map { ($0.metadata.name ?? "", $0.metadata.labels?[Self.zoneLabel]) },
            uniquingKeysWith: { first, _ in first })
        let own = snapshot.endpointSlices.filter { $0.metadata.labels?[EndpointSlice.managedByLabel] == EndpointSlice.siteController }
        var existing = Dictionary(own.map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0) }, uniquingKeysWith: { a, _ in a })
        for service in snapshot.services {
            guard let name = service.metadata.name, let namespace = service.metadata.namespace,
                service.spec?.selector?.isEmpty == false else { continue }
            for wanted in Self.slices(for: service, pods: EndpointsController.backends(of: service, in: snapshot), zones: zones) {
                let key = "\(namespace)/\(wanted.metadata.name ?? "")"
                if var current = existing.removeValue(forKey: key) {
                    guard current.endpoints != wanted.endpoints || current.ports != wanted.ports
                        || current.metadata.labels?[EndpointSlice.serviceNameLabel] != name else { continue }
                    current.endpoints = wanted.endpoints
                    current.ports = wanted.ports
                    current.metadata.labels = (current.metadata.labels ?? [:]).merging(wanted.metadata.labels ?? [:]) { _, new in new }
                    actions.append(.update(EndpointSlice.descriptor.groupResource, current.json()))
                } else {
                    actions.append(.create(EndpointSlice.descriptor.groupResource, wanted.json()))
                }
            }
        }
        for stale in existing.values.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            actions.append(.delete(EndpointSlice.descriptor.groupResource, namespace: stale.metadata.namespace,
                name: stale.metadata.name ?? "", uid: stale.metadata.uid))
        }
        return actions
    }

    /// The slices a Service should have: one per distinct port list, endpoints sorted by address then pod name.
    static func slices(for service: Service, pods: [Pod], zones: [String: String?]) -> [EndpointSlice] {
        let name = service.metadata.name ?? ""
        var groups: [[SlicePort]: [SliceEndpoint]] = [:]
        for pod in pods {
            let ports = EndpointsController.ports(of: service, on: pod).map { SlicePort(name: $0.name ?? "", port: $0.port, protocol: $0.protocol) }
            let zone = pod.spec.nodeName.flatMap { zones[$0] ?? nil }
            let terminating = pod.metadata.deletionTimestamp != nil
            let endpoint = SliceEndpoint(addresses: [pod.status?.podIP ?? ""],
                conditions: SliceConditions(ready: pod.isReady && !terminating, serving: pod.isReady, terminating: terminating),
                targetRef: ObjectReference(apiVersion: nil, kind: "Pod", namespace: pod.metadata.namespace, name: pod.metadata.name,
                    uid: pod.metadata.uid),
                nodeName: pod.spec.nodeName, zone: zone, hints: zone.map { SliceHints(forZones: [ForZone(name: $0)]) })
            groups[ports, default: []].append(endpoint)
        }
        return groups.map { ports, endpoints in
            let key = ports.map { "\($0.name ?? "")/\($0.port ?? 0)/\($0.protocol ?? "")" }.joined(separator: ",")
            let suffix = String(FNV1a.safeEncoded(FNV1a.hash32(key)).prefix(5))
            var labels = service.metadata.labels ?? [:]
            labels[EndpointSlice.serviceNameLabel] = name
            labels[EndpointSlice.managedByLabel] = EndpointSlice.siteController
            let metadata = ObjectMeta(name: "\(name)-\(suffix)", namespace: service.metadata.namespace, labels: labels)
            let sorted = endpoints.sorted { ($0.addresses.first ?? "", $0.targetRef?.name ?? "") < ($1.addresses.first ?? "", $1.targetRef?.name ?? "") }
            return EndpointSlice(metadata: metadata, endpoints: sorted, ports: ports)
        }.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }
}
