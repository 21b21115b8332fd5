import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaControllers

/// The service-routing plan, a pure function of the control plane's objects and the members' own slices.
@Suite struct ServiceRoutesTests {
    static func cluster(_ name: String, ready: Bool = true, zone: String? = nil, region: String? = nil, provider: String? = nil) -> Cluster {
        var status = ClusterStatus()
        status.conditions = [Condition(type: "Ready", status: ready ? .true : .false)]
        var spec = ClusterSpec()
        spec.zone = zone
        spec.region = region
        spec.provider = provider
        return Cluster(metadata: ObjectMeta(name: name), spec: spec, status: status)
    }

    static func service(type: String? = nil, ports: [ServicePort] = [ServicePort(name: "http", port: 80), ServicePort(name: "admin", port: 9000)]) -> Service {
        Service(metadata: ObjectMeta(name: "web", namespace: "default"), spec: ServiceSpec(type: type, selector: ["app": "web"], ports: ports))
    }

    static func memberSlice(ready: Bool = true, address: String = "127.0.0.1") -> EndpointSlice {
        EndpointSlice(metadata: ObjectMeta(name: "web-abcde", namespace: "default",
            labels: [EndpointSlice.serviceNameLabel: "web", EndpointSlice.managedByLabel: EndpointSlice.siteController, "app": "web"]),
            endpoints: [SliceEndpoint(addresses: [address], conditions: SliceConditions(ready: ready, serving: ready, terminating: false),
                nodeName: "n1", zone: "eu-a")],
            ports: [SlicePort(name: "http", port: 40001), SlicePort(name: "admin", port: 40002)])
    }

    static func mcs(providers: [String]? = nil, consumers: [String]? = nil, ports: [ExposurePort]? = nil) -> MultiClusterService {
        MultiClusterService(metadata: ObjectMeta(name: "web", namespace: "default"),
            spec: MultiClusterServiceSpec(ports: ports, providerClusters: providers?.map(ClusterSelector.init),
                consumerClusters: consumers?.map(ClusterSelector.init)))
    }

    static func inputs(mcs: [MultiClusterService] = [], exports: [ServiceExport] = [], service: Service? = service(),
                       clusters: [Cluster] = [cluster("edge-1", region: "eu"), cluster("edge-2", region: "eu"), cluster("cloud", region: "us")],
                       slices: [String: [EndpointSlice]] = ["edge-1": [memberSlice()]],
                       bindings: [String: [String]] = [:]) -> ServiceRoutes.Inputs {
        ServiceRoutes.Inputs(services: service.map { ["default/web": $0] } ?? [:], multiClusterServices: mcs, exports: exports,
            clusters: Dictionary(uniqueKeysWithValues: clusters.map { ($0.metadata.name!, $0) }), bindingClusters: bindings, memberSlices: slices)
    }

    @Test func aProvidersSlicesGoToEveryOtherConsumerWithKarmadasLabelsAndTheRoundTrip() throws {
        let plan = ServiceRoutes(Self.inputs(mcs: [Self.mcs()]))
        #expect(plan.works.keys.sorted().map { "\($0.consumer)/\($0.name)" }
            == ["cloud/endpointslices-default-web-from-edge-1", "edge-2/endpointslices-default-web-from-edge-1"])
        let toEdge2 = try #require(plan.works[.init(consumer: "edge-2", name: "endpointslices-default-web-from-edge-1")]?.first)
        #expect(toEdge2.metadata.name == "imported-edge-1-web-abcde")
        #expect(toEdge2.metadata.labels?[ServiceRoutingLabels.provisionCluster] == "edge-1")
        #expect(toEdge2.metadata.labels?[EndpointSlice.managedByLabel] == ServiceRoutingLabels.dispatchController)
        #expect(toEdge2.metadata.labels?[EndpointSlice.serviceNameLabel] == "web")
        #expect(toEdge2.metadata.annotations?[ServiceRoutingLabels.roundTripAnnotation] == "15")
        #expect(toEdge2.endpoints?.first?.zone == "eu-a")
        #expect(toEdge2.endpoints?.first?.nodeName == nil)
        let toCloud = try #require(plan.works[.init(consumer: "cloud", name: "endpointslices-default-web-from-edge-1")]?.first)
        #expect(toCloud.metadata.annotations?[ServiceRoutingLabels.roundTripAnnotation] == "50")
        let status = try #require(plan.serviceStatus["default/web"])
        #expect(status.conditions.map(\.status) == [.true, .true])
        #expect(status.clusters == [RoutedCluster(name: "cloud", providedEndpoints: 0, importedEndpoints: 1),
                                    RoutedCluster(name: "edge-1", providedEndpoints: 1, importedEndpoints: 0),
                                    RoutedCluster(name: "edge-2", providedEndpoints: 0, importedEndpoints: 1)])
        #expect(plan.imports["default/web"]?.status?.clusters == [ClusterStatusEntry(cluster: "edge-1")])
        #expect(plan.imports["default/web"]?.spec.ports?.map(\.port) == [80, 9000])
    }

    @Test func aProviderThatIsNotReadyContributesNothingSoItsSlicesAreWithdrawn() throws {
        let plan = ServiceRoutes(Self.inputs(mcs: [Self.mcs()],
            clusters: [Self.cluster("edge-1", ready: false), Self.cluster("edge-2")]))
        #expect(plan.works.isEmpty)
        let dispatched = try #require(plan.serviceStatus["default/web"]?.conditions.last)
        #expect(dispatched.type == MultiClusterService.dispatchedCondition)
        #expect(dispatched.status == .false && dispatched.reason == "ProvidersNotReady")
    }

    /// Just after a (re)start the members' watches have not listed yet: their Works stay as they are, not withdrawn.
    @Test func aProviderWhoseSlicesAreNotKnownYetKeepsItsWorks() throws {
        let plan = ServiceRoutes(Self.inputs(mcs: [Self.mcs()], slices: [:]))
        #expect(plan.works.isEmpty)
        #expect(plan.held == [.init(consumer: "cloud", name: "endpointslices-default-web-from-edge-1"),
                              .init(consumer: "edge-2", name: "endpointslices-default-web-from-edge-1"),
                              .init(consumer: "cloud", name: "endpointslices-default-web-from-edge-2"),
                              .init(consumer: "edge-1", name: "endpointslices-default-web-from-edge-2"),
                              .init(consumer: "edge-1", name: "endpointslices-default-web-from-cloud"),
                              .init(consumer: "edge-2", name: "endpointslices-default-web-from-cloud")])
        // Known to have none is different: nothing to hold.
        let known = ServiceRoutes(Self.inputs(mcs: [Self.mcs()], slices: ["edge-1": [], "edge-2": [], "cloud": []]))
        #expect(known.held.isEmpty && known.works.isEmpty)
    }

    @Test func unknownClustersAndPortsAreNamedAndTheKnownPartStillRoutes() throws {
        let plan = ServiceRoutes(Self.inputs(mcs: [Self.mcs(providers: ["edge-1", "edge-9"], consumers: ["edge-2"],
            ports: [ExposurePort(name: "http", port: 80), ExposurePort(port: 81)])]))
        let applied = try #require(plan.serviceStatus["default/web"]?.conditions.first)
        #expect(applied.status == .false && applied.reason == "UnknownClusters")
        #expect(applied.message == "no such clusters: edge-9; service web has no port 81")
        let slice = try #require(plan.works[.init(consumer: "edge-2", name: "endpointslices-default-web-from-edge-1")]?.first)
        #expect(slice.ports?.map(\.name) == ["http"])
        #expect(plan.imports["default/web"]?.spec.ports?.map(\.name) == ["http"])
    }

    @Test func aMissingServiceIsReportedAndRoutesNothing() throws {
        let plan = ServiceRoutes(Self.inputs(mcs: [Self.mcs()], service: nil))
        #expect(plan.serviceStatus["default/web"]?.conditions.first?.reason == "ServiceNotFound")
        #expect(plan.works.isEmpty && plan.imports.isEmpty)
    }

    @Test func anExportAloneRoutesFromWhereItIsPropagatedToWhereTheServiceIs() throws {
        let export = ServiceExport(metadata: ObjectMeta(name: "web", namespace: "default"))
        let plan = ServiceRoutes(Self.inputs(exports: [export],
            bindings: ["default/web-serviceexport": ["edge-1"], "default/web-service": ["edge-1", "edge-2"]]))
        #expect(plan.exportValid["default/web"]?.reason == "Exported")
        #expect(plan.works.keys.map(\.consumer) == ["edge-2"])
        #expect(plan.serviceStatus.isEmpty)
        // With a MultiClusterService of the same name, that decides instead.
        let both = ServiceRoutes(Self.inputs(mcs: [Self.mcs(consumers: ["cloud"])], exports: [export],
            bindings: ["default/web-serviceexport": ["edge-1"], "default/web-service": ["edge-1", "edge-2"]]))
        #expect(both.exportValid["default/web"]?.reason == "RoutedByMultiClusterService")
        #expect(both.works.keys.map(\.consumer) == ["cloud"])
    }

    @Test(arguments: [(nil as String?, "NoService"), ("ExternalName", "InvalidServiceType")])
    func anInvalidExportSaysWhy(type: String?, reason: String) throws {
        let export = ServiceExport(metadata: ObjectMeta(name: "web", namespace: "default"))
        let plan = ServiceRoutes(Self.inputs(exports: [export], service: type.map { Self.service(type: $0) }))
        #expect(plan.exportValid["default/web"]?.status == .false)
        #expect(plan.exportValid["default/web"]?.reason == reason)
        #expect(plan.works.isEmpty)
    }

    /// Same cluster 0; a shared zone 5; a shared provider or region 15; otherwise 50.
    @Test(arguments: [
        (cluster("a", zone: "z1"), cluster("a", zone: "z1"), 0.0),
        (cluster("a", zone: "z1"), cluster("b", zone: "z1"), 5.0),
        (cluster("a", zone: "z1", provider: "acme"), cluster("b", zone: "z2", provider: "acme"), 15.0),
        (cluster("a", region: "eu"), cluster("b", region: "eu"), 15.0),
        (cluster("a", region: "eu", provider: "acme"), cluster("b", region: "us", provider: "zeta"), 50.0),
        (cluster("a"), cluster("b"), 50.0),
    ])
    func interSiteRoundTrips(a: Cluster, b: Cluster, ms: Double) {
        #expect(InterSiteLatency().roundTripMs(a, b) == ms)
        #expect(InterSiteLatency().roundTripMs(b, a) == ms)
    }
}
