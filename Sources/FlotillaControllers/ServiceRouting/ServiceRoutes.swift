import FlotillaAPI

/// One routed service: whose endpoints go where. Made from a MultiClusterService, or from a ServiceExport when no
/// MultiClusterService of the same name exists.
struct ServiceRoute: Sendable, Hashable {
    var namespace: String
    var name: String
    var providers: [String]
    var consumers: [String]
    /// The Service's port names to carry (all of them when nil).
    var portNames: Set<String>?
}

/// What the service-routing controller should make true, from the control plane's objects and the members' own
/// EndpointSlices. Pure: the controller diffs it against what exists and writes the difference.
///
/// - A MultiClusterService with `CrossCluster` routes its Service from `providerClusters` (every cluster when empty)
///   to `consumerClusters` (every cluster when empty), restricted to `ports`. Unknown clusters and ports are named
///   in `ServiceApplied=False` (reasons `UnknownClusters`, `UnknownPorts`); a missing Service is `ServiceNotFound`.
///   The known part still routes.
/// - A ServiceExport without a MultiClusterService routes its Service from the clusters the ServiceExport is
///   propagated to into the clusters the Service is propagated to. Its `Valid` condition is False with `NoService`
///   when the Service does not exist, `InvalidServiceType` for an ExternalName Service.
/// - Each consumer gets, per provider other than itself that is Ready, one Work (`karmada-es-<consumer>`) holding the
///   provider's slices as `imported-<provider>-<slice>`, with Karmada's labels and the round trip between the two.
///   A provider that is not Ready or left contributes nothing, so its slices are withdrawn. A Ready provider whose
///   slices are not known yet (its watch has not listed) keeps its Works as they are (`held`).
struct ServiceRoutes: Sendable {
    struct Inputs: Sendable {
        var services: [String: Service]
        var multiClusterServices: [MultiClusterService]
        var exports: [ServiceExport]
        /// Clusters by name.
        var clusters: [String: Cluster]
        /// The target clusters of each ResourceBinding, by `namespace/name`.
        var bindingClusters: [String: [String]]
        /// The members' own slices (written by their endpoint controllers), by cluster; a cluster missing here is not
        /// known yet (its watch has not listed), which is not the same as having none.
        var memberSlices: [String: [EndpointSlice]]
        var latency = InterSiteLatency()
    }

    struct WorkKey: Hashable, Sendable, Comparable {
        var consumer: String
        var name: String
        static func < (a: WorkKey, b: WorkKey) -> Bool { (a.consumer, a.name) < (b.consumer, b.name) }
    }

    /// The imported slices each consumer's Work should hold.
    var works: [WorkKey: [EndpointSlice]] = [:]
    /// Works to leave as they are: their provider is Ready but its slices are not known yet (the controller just
    /// started), so they are neither rewritten nor withdrawn.
    var held: Set<WorkKey> = []
    /// Status of each MultiClusterService, by `namespace/name`: conditions (without times) and per-cluster counts.
    var serviceStatus: [String: (conditions: [Condition], clusters: [RoutedCluster])] = [:]
    /// The `Valid` condition of each ServiceExport, by `namespace/name`.
    var exportValid: [String: Condition] = [:]
    /// The ServiceImport of each routed service, by `namespace/name`.
    var imports: [String: ServiceImport] = [:]

    static let routeLabel = "networking.flotilla.io/service-route"

    init(_ inputs: Inputs) {
        let allClusters = inputs.clusters.keys.sorted()
        var routes: [ServiceRoute] = []
        var routed = Set<String>()
        for mcs in inputs.multiClusterServices where mcs.metadata.deletionTimestamp == nil {
            let namespace = mcs.metadata.namespace ?? "", name = mcs.metadata.name ?? ""
            let key = "\(namespace)/\(name)"
            routed.insert(key)
            var problems: [(reason: String, message: String)] = []
            let unknown = Set(mcs.providers + mcs.consumers).filter { inputs.clusters[$0] == nil }.sorted()
            if !unknown.isEmpty { problems.append(("UnknownClusters", "no such clusters: \(unknown.joined(separator: ", "))")) }
            let service = inputs.services[key]
            var portNames: Set<String>?
            if let service {
                if let wanted = mcs.spec.ports, !wanted.isEmpty {
                    let ports = service.spec?.ports ?? []
                    var names = Set<String>()
                    var missing: [String] = []
                    for port in wanted {
                        if let match = ports.first(where: { $0.port == port.port && (port.name == nil || port.name == $0.name) }) {
                            names.insert(match.name ?? "")
                        } else {
                            missing.append(port.name.map { "\($0)/\(port.port)" } ?? "\(port.port)")
                        }
                    }
                    if !missing.isEmpty { problems.append(("UnknownPorts", "service \(name) has no port \(missing.joined(separator: ", "))")) }
                    portNames = names
                }
            } else {
                problems.insert(("ServiceNotFound", "service \(namespace)/\(name) does not exist on the control plane"), at: 0)
            }
            let providers = mcs.providers.isEmpty ? allClusters : Array(Set(mcs.providers).filter { inputs.clusters[$0] != nil }).sorted()
            let consumers = mcs.consumers.isEmpty ? allClusters : Array(Set(mcs.consumers).filter { inputs.clusters[$0] != nil }).sorted()
            let applied = problems.first.map { Condition(type: MultiClusterService.appliedCondition, status: .false, reason: $0.reason,
                    message: problems.map(\.message).joined(separator: "; "), observedGeneration: mcs.metadata.generation) }
                ?? Condition(type: MultiClusterService.appliedCondition, status: .true, reason: "ServiceApplied",
                    message: "routing \(name) from \(providers.count) provider(s) to \(consumers.count) consumer(s)",
                    observedGeneration: mcs.metadata.generation)
            serviceStatus[key] = ([applied], [])
            if service != nil {
                routes.append(ServiceRoute(namespace: namespace, name: name, providers: providers, consumers: consumers, portNames: portNames))
            }
        }
        for export in inputs.exports where export.metadata.deletionTimestamp == nil {
            let namespace = export.metadata.namespace ?? "", name = export.metadata.name ?? ""
            let key = "\(namespace)/\(name)"
            guard let service = inputs.services[key] else {
                exportValid[key] = Condition(type: ServiceExport.validCondition, status: .false, reason: "NoService",
                    message: "service \(namespace)/\(name) does not exist", observedGeneration: export.metadata.generation)
                continue
            }
            if service.spec?.type == "ExternalName" {
                exportValid[key] = Condition(type: ServiceExport.validCondition, status: .false, reason: "InvalidServiceType",
                    message: "an ExternalName service cannot be exported", observedGeneration: export.metadata.generation)
                continue
            }
            exportValid[key] = Condition(type: ServiceExport.validCondition, status: .true, reason: routed.contains(key) ? "RoutedByMultiClusterService" : "Exported",
                message: routed.contains(key) ? "multiclusterservice \(name) decides the providers and consumers" : "service is exported",
                observedGeneration: export.metadata.generation)
            guard !routed.contains(key) else { continue }
            routes.append(ServiceRoute(namespace: namespace, name: name,
                providers: inputs.bindingClusters["\(namespace)/\(name)-serviceexport"] ?? [],
                consumers: inputs.bindingClusters["\(namespace)/\(name)-service"] ?? [], portNames: nil))
        }
        for route in routes { add(route, inputs) }
    }

    private mutating func add(_ route: ServiceRoute, _ inputs: Inputs) {
        let key = "\(route.namespace)/\(route.name)"
        var provided: [String: Int] = [:]
        var sourceSlices: [String: [EndpointSlice]] = [:]
        var unknown: [String] = []
        for provider in route.providers {
            guard let cluster = inputs.clusters[provider], Self.isReady(cluster) else { continue }
            guard let known = inputs.memberSlices[provider] else {
                unknown.append(provider)
                continue
            }
            let slices = known.filter {
                $0.metadata.namespace == route.namespace && $0.serviceName == route.name
                    && $0.metadata.labels?[ServiceRoutingLabels.provisionCluster] == nil
            }.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
            sourceSlices[provider] = slices
            provided[provider] = slices.reduce(0) { $0 + ($1.endpoints ?? []).filter(\.isReady).count }
        }
        var imported: [String: Int] = [:]
        for consumer in route.consumers {
            guard let target = inputs.clusters[consumer] else { continue }
            imported[consumer] = 0
            for provider in unknown where provider != consumer {
                held.insert(WorkKey(consumer: consumer, name: Self.workName(namespace: route.namespace, service: route.name, provider: provider)))
            }
            for provider in route.providers where provider != consumer {
                guard let slices = sourceSlices[provider], !slices.isEmpty, let source = inputs.clusters[provider] else { continue }
                let roundTrip = inputs.latency.roundTripMs(target, source)
                let copies = slices.map { Self.imported($0, from: provider, roundTripMs: roundTrip, portNames: route.portNames) }
                works[WorkKey(consumer: consumer, name: Self.workName(namespace: route.namespace, service: route.name, provider: provider))] = copies
                imported[consumer, default: 0] += copies.reduce(0) { $0 + ($1.endpoints ?? []).filter(\.isReady).count }
            }
        }
        let names = Set(route.providers).union(route.consumers).sorted()
        let clusters = names.map { RoutedCluster(name: $0, providedEndpoints: route.providers.contains($0) ? provided[$0] ?? 0 : nil,
                                                 importedEndpoints: route.consumers.contains($0) ? imported[$0] ?? 0 : nil) }
        let ready = provided.values.reduce(0, +)
        let notReady = route.providers.filter { name in inputs.clusters[name].map { !Self.isReady($0) } ?? false }
        let dispatched = ready > 0
            ? Condition(type: MultiClusterService.dispatchedCondition, status: .true, reason: "EndpointsDispatched",
                message: "\(ready) ready endpoint(s) from \(provided.filter { $0.value > 0 }.count) provider(s)"
                    + (notReady.isEmpty ? "" : "; withdrawn from not-ready \(notReady.joined(separator: ", "))"))
            : Condition(type: MultiClusterService.dispatchedCondition, status: .false,
                reason: notReady.isEmpty ? "NoReadyEndpoints" : "ProvidersNotReady",
                message: notReady.isEmpty ? "no provider has a ready endpoint of service \(route.name)"
                    : "providers not ready: \(notReady.joined(separator: ", "))")
        if serviceStatus[key] != nil {
            serviceStatus[key]!.conditions.append(dispatched)
            serviceStatus[key]!.clusters = clusters
        }
        if let service = inputs.services[key] {
            var serviceImport = ServiceImport(metadata: ObjectMeta(name: route.name, namespace: route.namespace,
                labels: [ServiceImport.managedLabel: "service-routing-controller"]),
                spec: ServiceImportSpec(type: service.spec?.clusterIP == "None" ? "Headless" : "ClusterSetIP",
                    ports: (service.spec?.ports ?? []).filter { route.portNames?.contains($0.name ?? "") ?? true }
                        .map { ServiceImportPort(name: $0.name, protocol: $0.protocol ?? "TCP", port: $0.port) }))
            serviceImport.status = ServiceImportStatus(clusters: provided.filter { $0.value > 0 }.keys.sorted().map(ClusterStatusEntry.init))
            imports[key] = serviceImport
        }
    }

    static func workName(namespace: String, service: String, provider: String) -> String {
        "endpointslices-\(namespace)-\(service)-from-\(provider)"
    }

    static func isReady(_ cluster: Cluster) -> Bool {
        cluster.metadata.deletionTimestamp == nil && cluster.status?.conditions?[type: "Ready"]?.status == .true
    }

    /// A provider's slice as a consumer receives it: Karmada's name and labels, the round trip, the chosen ports.
    static func imported(_ slice: EndpointSlice, from provider: String, roundTripMs: Double, portNames: Set<String>?) -> EndpointSlice {
        var labels = [
            EndpointSlice.serviceNameLabel: slice.serviceName ?? "",
            EndpointSlice.managedByLabel: ServiceRoutingLabels.dispatchController,
            ServiceRoutingLabels.provisionCluster: provider,
        ]
        if let app = slice.metadata.labels?["app"] { labels["app"] = app }
        let metadata = ObjectMeta(name: "imported-\(provider)-\(slice.metadata.name ?? "")", namespace: slice.metadata.namespace, labels: labels,
            annotations: [ServiceRoutingLabels.roundTripAnnotation: String(format: "%g", roundTripMs)])
        let ports = slice.ports?.filter { portNames?.contains($0.name ?? "") ?? true }
        let endpoints = slice.endpoints?.map { endpoint in
            var copy = endpoint
            copy.targetRef = nil
            copy.nodeName = nil
            return copy
        }
        return EndpointSlice(metadata: metadata, addressType: slice.addressType, endpoints: endpoints, ports: ports)
    }
}
