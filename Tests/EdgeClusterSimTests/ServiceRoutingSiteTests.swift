@testable import EdgeClusterSim
import FlotillaAPI
import Foundation
import Testing

/// The site's side of service routing: its own EndpointSlices and where its Service proxy sends a call. Both pure.
@Suite struct ServiceRoutingSiteTests {
    static func service(annotations: [String: String]? = nil) -> Service {
        var service = Service(metadata: ObjectMeta(name: "web", namespace: "default", annotations: annotations),
            spec: ServiceSpec(selector: ["app": "web"], ports: [ServicePort(name: "http", port: 80, targetPort: .string("http"))]))
        service.setDefaults()
        return service
    }

    static func pod(_ name: String, node: String, ready: Bool, ip: String, listen: Int? = nil, terminating: Bool = false) -> Pod {
        var pod = ControllerTests.pod(name, node: node, ready: ready, labels: ["app": "web"])
        pod.spec.containers[0].ports = [ContainerPort(name: "http", containerPort: 8080)]
        pod.status?.podIP = ip
        if let listen { pod.metadata.annotations = [EndpointsController.listenPortAnnotation: String(listen)] }
        if terminating { pod.metadata.deletionTimestamp = ControllerTests.now }
        return pod
    }

    static func snapshot(pods: [Pod], slices: [EndpointSlice] = []) -> SiteSnapshot {
        var snapshot = SiteSnapshot()
        snapshot.nodes = [ControllerTests.node("n1", labels: ["topology.kubernetes.io/zone": "eu-a"]), ControllerTests.node("n2")]
        snapshot.services = [service()]
        snapshot.pods = pods
        snapshot.endpointSlices = slices
        return snapshot
    }

    @Test func slicesCarryConditionsZonesAndTheRealListeningPort() throws {
        let pods = [Self.pod("a", node: "n1", ready: true, ip: "127.0.0.1", listen: 40001),
                    Self.pod("b", node: "n2", ready: false, ip: "10.0.0.2"),
                    Self.pod("c", node: "n2", ready: true, ip: "10.0.0.3", terminating: true)]
        let created = ControllerTests.creates(EndpointSliceController().reconcile(Self.snapshot(pods: pods)), EndpointSlice.descriptor.groupResource)
            .compactMap { try? EndpointSlice(json: $0) }
        // Two port lists: the runnable pod's own listener, and the named container port of the simulated ones.
        #expect(created.count == 2)
        let runnable = try #require(created.first { $0.ports?.first?.port == 40001 })
        #expect(runnable.serviceName == "web")
        #expect(runnable.metadata.labels?[EndpointSlice.managedByLabel] == EndpointSlice.siteController)
        #expect(runnable.endpoints?.first?.zone == "eu-a")
        #expect(runnable.endpoints?.first?.hints?.forZones == [ForZone(name: "eu-a")])
        let simulated = try #require(created.first { $0.ports?.first?.port == 8080 })
        #expect(simulated.endpoints?.map { $0.addresses[0] } == ["10.0.0.2", "10.0.0.3"])
        #expect(simulated.endpoints?[0].conditions == SliceConditions(ready: false, serving: false, terminating: false))
        #expect(simulated.endpoints?[1].conditions == SliceConditions(ready: false, serving: true, terminating: true))
        #expect(simulated.endpoints?[0].zone == nil)
    }

    @Test func staleOwnSlicesGoAndImportedOnesAreLeftAlone() throws {
        let own = EndpointSlice(metadata: ObjectMeta(name: "web-old", namespace: "default",
            labels: [EndpointSlice.serviceNameLabel: "web", EndpointSlice.managedByLabel: EndpointSlice.siteController]), endpoints: [], ports: [])
        let imported = EndpointSlice(metadata: ObjectMeta(name: "imported-edge-1-web-x", namespace: "default",
            labels: [EndpointSlice.serviceNameLabel: "web", EndpointSlice.managedByLabel: ServiceRoutingLabels.dispatchController,
                     ServiceRoutingLabels.provisionCluster: "edge-1"]), endpoints: [], ports: [])
        let actions = EndpointSliceController().reconcile(Self.snapshot(pods: [], slices: [own, imported]))
        let deleted = actions.compactMap { if case .delete(_, _, let name, _) = $0 { return name } else { return nil } }
        #expect(deleted == ["web-old"])
        #expect(actions.count == 1)
    }

    @Test func anUnchangedSliceIsNotWrittenAgain() throws {
        let pods = [Self.pod("a", node: "n1", ready: true, ip: "127.0.0.1", listen: 40001)]
        let first = ControllerTests.creates(EndpointSliceController().reconcile(Self.snapshot(pods: pods)), EndpointSlice.descriptor.groupResource)
        let slices = try first.map { try EndpointSlice(json: $0) }
        #expect(EndpointSliceController().reconcile(Self.snapshot(pods: pods, slices: slices)).isEmpty)
    }

    // MARK: Where the proxy sends a call

    static func slice(_ name: String, cluster: String?, roundTrip: Double? = nil, endpoints: [(String, Bool, String?)], port: Int64 = 9000) -> EndpointSlice {
        var labels = [EndpointSlice.serviceNameLabel: "web"]
        labels[EndpointSlice.managedByLabel] = cluster == nil ? EndpointSlice.siteController : ServiceRoutingLabels.dispatchController
        if let cluster { labels[ServiceRoutingLabels.provisionCluster] = cluster }
        let annotations = roundTrip.map { [ServiceRoutingLabels.roundTripAnnotation: String($0)] }
        return EndpointSlice(metadata: ObjectMeta(name: name, namespace: "default", labels: labels, annotations: annotations),
            endpoints: endpoints.map { SliceEndpoint(addresses: [$0.0], conditions: SliceConditions(ready: $0.1, serving: $0.1, terminating: false), zone: $0.2) },
            ports: [SlicePort(name: "http", port: port)])
    }

    static let slices = [
        slice("web-1", cluster: nil, endpoints: [("10.0.0.1", true, "eu-a"), ("10.0.0.2", false, "eu-a")]),
        slice("imported-far-web", cluster: "far", roundTrip: 50, endpoints: [("10.2.0.1", true, "us-a")]),
        slice("imported-near-web", cluster: "near", roundTrip: 15, endpoints: [("10.1.0.1", true, "eu-b"), ("10.1.0.2", true, "eu-b")]),
        slice("imported-zone-web", cluster: "zone", roundTrip: 5, endpoints: [("10.3.0.1", true, "eu-a")]),
    ]

    /// Tiers by affinity; inside a tier, endpoints in slice then address order.
    @Test(arguments: [
        (nil as String?, [["10.0.0.1"], ["10.3.0.1"], ["10.1.0.1", "10.1.0.2"], ["10.2.0.1"]]),
        ("local", [["10.0.0.1"], ["10.3.0.1"], ["10.1.0.1", "10.1.0.2"], ["10.2.0.1"]]),
        ("remote", [["10.3.0.1"], ["10.1.0.1", "10.1.0.2"], ["10.2.0.1"], ["10.0.0.1"]]),
        ("none", [["10.0.0.1", "10.3.0.1", "10.1.0.1", "10.1.0.2", "10.2.0.1"]]),
    ])
    func tiersFollowLocalityAndAffinity(affinity: String?, expected: [[String]]) throws {
        let service = Self.service(annotations: affinity.map { [ServiceRoutingLabels.affinityAnnotation: $0] })
        let targets = ProxyTargets(service: service, port: service.spec!.ports![0], slices: Self.slices, zone: "eu-a")
        #expect(targets.tiers.map { $0.map(\.address) } == expected)
    }

    @Test func withoutReadyLocalEndpointsTheNearestImportedOnesServeAndTurnsRotateInsideATier() throws {
        let service = Self.service()
        let slices = [Self.slice("web-1", cluster: nil, endpoints: [("10.0.0.1", false, "eu-a")]),
                      Self.slice("imported-near-web", cluster: "near", roundTrip: 15, endpoints: [("10.1.0.1", true, nil), ("10.1.0.2", true, nil)])]
        let targets = ProxyTargets(service: service, port: service.spec!.ports![0], slices: slices, zone: "eu-a")
        #expect(targets.ordered(turn: 0).map(\.address) == ["10.1.0.1", "10.1.0.2"])
        #expect(targets.ordered(turn: 1).map(\.address) == ["10.1.0.2", "10.1.0.1"])
        #expect(targets.ordered(turn: 0).first?.roundTripMs == 15)
        #expect(targets.ordered(turn: 0).first?.cluster == "near")
    }

    @Test func thePortIsNamedByNameOrNumberOrLeftOutWhenThereIsOne() throws {
        let service = Self.service()
        #expect(try ProxyTargets.servicePort(of: service, named: "http").port == 80)
        #expect(try ProxyTargets.servicePort(of: service, named: "80").name == "http")
        #expect(try ProxyTargets.servicePort(of: service, named: nil).name == "http")
        #expect(throws: APIError.self) { try ProxyTargets.servicePort(of: service, named: "grpc") }
        // A slice without the port contributes nothing.
        let other = ServicePort(name: "metrics", port: 9100)
        #expect(ProxyTargets(service: service, port: other, slices: Self.slices, zone: nil).tiers.isEmpty)
    }
}

/// A site's ServiceExports report whether their Service is here.
@Suite struct SiteServiceExportTests {
    @Test func anExportIsValidOnlyWithItsServiceAndIsWrittenOnlyOnChange() throws {
        var snapshot = ServiceRoutingSiteTests.snapshot(pods: [])
        snapshot.serviceExports = [ServiceExport(metadata: ObjectMeta(name: "web", namespace: "default")),
                                   ServiceExport(metadata: ObjectMeta(name: "ghost", namespace: "default"))]
        let updates = ControllerTests.updates(ServiceExportController().reconcile(snapshot, now: ControllerTests.now),
            ServiceExport.descriptor.groupResource).compactMap { try? ServiceExport(json: $0) }
        #expect(updates.map { $0.status?.conditions?.first?.reason } == ["Exported", "NoService"])
        snapshot.serviceExports = updates
        #expect(ServiceExportController().reconcile(snapshot, now: ControllerTests.now).isEmpty)
    }
}
