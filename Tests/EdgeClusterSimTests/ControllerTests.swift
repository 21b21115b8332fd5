@testable import EdgeClusterSim
import FlotillaAPI
import Foundation
import Testing

/// The site's controllers are pure (snapshot in, actions out); these tables pin their decisions.
@Suite struct ControllerTests {
    static let now = Timestamp(seconds: 1_800_000_000)

    static func node(_ name: String, cpu: String = "2", memory: String = "4Gi", pods: Int64 = 110, ready: Bool = true,
                     unschedulable: Bool = false, labels: [String: String] = [:], taints: [Taint]? = nil) -> Node {
        let resources: [String: Quantity] = ["cpu": try! Quantity(parsing: cpu), "memory": try! Quantity(parsing: memory), "pods": Quantity(pods)]
        return Node(metadata: ObjectMeta(name: name, labels: labels),
            spec: NodeSpec(unschedulable: unschedulable ? true : nil, taints: taints),
            status: NodeStatus(capacity: resources, allocatable: resources,
                conditions: [NodeCondition(type: "Ready", status: ready ? .true : .false)]))
    }

    static func pod(_ name: String, cpu: String? = nil, node: String? = nil, ready: Bool = false, owner: String? = nil,
                    hash: String? = nil, created: Int64 = 0, labels: [String: String] = [:]) -> Pod {
        var container = Container(name: "main", image: "nginx:1")
        if let cpu { container.resources = ResourceRequirements(requests: ["cpu": try! Quantity(parsing: cpu)]) }
        var metadata = ObjectMeta(name: name, namespace: "default", labels: labels)
        metadata.uid = "uid-\(name)"
        metadata.creationTimestamp = Timestamp(seconds: created)
        if let hash { metadata.labels?["pod-template-hash"] = hash }
        if let owner { metadata.ownerReferences = [OwnerReference(apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: owner, controller: true)] }
        var spec = PodSpec(containers: [container])
        spec.nodeName = node
        var status = PodStatus(phase: node != nil && ready ? "Running" : "Pending")
        if ready { status.conditions = [PodCondition(type: "Ready", status: .true)] }
        return Pod(metadata: metadata, spec: spec, status: status)
    }

    static func deployment(replicas: Int32, image: String = "nginx:1") -> Deployment {
        var template = PodTemplateSpec(metadata: ObjectMeta(labels: ["app": "web"]), spec: PodSpec(containers: [Container(name: "main", image: image)]))
        template.spec.setDefaults()
        var deployment = Deployment(metadata: ObjectMeta(name: "web", namespace: "default"),
            spec: DeploymentSpec(replicas: replicas, selector: LabelSelector(matchLabels: ["app": "web"]), template: template))
        deployment.metadata.uid = "dep-1"
        deployment.metadata.generation = 2
        return deployment
    }

    static func creates(_ actions: [SiteAction], _ resource: GroupResource = Pod.descriptor.groupResource) -> [JSONValue] {
        actions.compactMap { if case .create(let r, let o) = $0, r == resource { return o } else { return nil } }
    }

    static func deletes(_ actions: [SiteAction]) -> [String] {
        actions.compactMap { if case .delete(let r, _, let name, _) = $0, r == Pod.descriptor.groupResource { return name } else { return nil } }
    }

    static func updates(_ actions: [SiteAction], _ resource: GroupResource) -> [JSONValue] {
        actions.compactMap { if case .update(let r, let o) = $0, r == resource { return o } else { return nil } }
    }

    // MARK: Deployment controller

    @Test func scaleUpCreatesMissingPodsOwnedAndHashed() throws {
        let deployment = Self.deployment(replicas: 3)
        let hash = DeploymentController.templateHash(deployment.spec.template)
        let existing = Self.pod("web-a", node: "n1", ready: true, owner: "dep-1", hash: hash)
        let actions = DeploymentController().reconcile(deployment, owned: [existing], now: Self.now)
        let created = Self.creates(actions)
        #expect(created.count == 2)
        for object in created {
            let pod = try Pod(json: object)
            #expect(pod.metadata.generateName == "web-\(hash)-")
            #expect(pod.metadata.labels == ["app": "web", "pod-template-hash": hash])
            #expect(pod.metadata.ownerReferences?.first?.uid == "dep-1")
            #expect(pod.metadata.ownerReferences?.first?.controller == true)
            #expect(pod.status?.phase == "Pending")
        }
    }

    @Test func scaleDownRemovesUnboundThenNotReadyThenNewest() {
        let deployment = Self.deployment(replicas: 2)
        let hash = DeploymentController.templateHash(deployment.spec.template)
        let pods = [
            Self.pod("ready-old", node: "n1", ready: true, owner: "dep-1", hash: hash, created: 1),
            Self.pod("ready-new", node: "n1", ready: true, owner: "dep-1", hash: hash, created: 5),
            Self.pod("not-ready", node: "n1", ready: false, owner: "dep-1", hash: hash, created: 2),
            Self.pod("unbound", owner: "dep-1", hash: hash, created: 3),
        ]
        #expect(Self.deletes(DeploymentController().reconcile(deployment, owned: pods, now: Self.now)) == ["unbound", "not-ready"])
        let three = Self.deployment(replicas: 1)
        let ready = [pods[0], pods[1]]
        #expect(Self.deletes(DeploymentController().reconcile(three, owned: ready, now: Self.now)) == ["ready-new"])
    }

    @Test func rolloutKeepsOldPodsUntilNewOnesAreReady() {
        let deployment = Self.deployment(replicas: 2, image: "nginx:2")
        let hash = DeploymentController.templateHash(deployment.spec.template)
        let old = [Self.pod("old-1", node: "n1", ready: true, owner: "dep-1", hash: "oldhash", created: 1),
                   Self.pod("old-2", node: "n1", ready: true, owner: "dep-1", hash: "oldhash", created: 2)]
        // No new pods yet: create two, delete nothing.
        var actions = DeploymentController().reconcile(deployment, owned: old, now: Self.now)
        #expect(Self.creates(actions).count == 2)
        #expect(Self.deletes(actions).isEmpty)
        // One new pod Ready: one old pod may go.
        let new = [Self.pod("new-1", node: "n1", ready: true, owner: "dep-1", hash: hash, created: 3),
                   Self.pod("new-2", node: "n1", ready: false, owner: "dep-1", hash: hash, created: 3)]
        actions = DeploymentController().reconcile(deployment, owned: old + new, now: Self.now)
        #expect(Self.deletes(actions) == ["old-2"])
        let status = Self.updates(actions, Deployment.descriptor.groupResource).first?["status"]
        #expect(status?["updatedReplicas"]?.int64Value == 2)
        #expect(status?["replicas"]?.int64Value == 4)
        #expect(status?["readyReplicas"]?.int64Value == 3)
    }

    @Test func statusReportsRolledOutAndIsNotRewrittenWhenUnchanged() throws {
        var deployment = Self.deployment(replicas: 2)
        let hash = DeploymentController.templateHash(deployment.spec.template)
        let pods = [Self.pod("a", node: "n1", ready: true, owner: "dep-1", hash: hash), Self.pod("b", node: "n1", ready: true, owner: "dep-1", hash: hash)]
        let actions = DeploymentController().reconcile(deployment, owned: pods, now: Self.now)
        let updated = try Deployment(json: try #require(Self.updates(actions, Deployment.descriptor.groupResource).first))
        let status = try #require(updated.status)
        #expect(status.observedGeneration == 2)
        #expect(status.replicas == 2 && status.updatedReplicas == 2 && status.readyReplicas == 2 && status.availableReplicas == 2)
        #expect(status.unavailableReplicas == nil)
        #expect(status.conditions?.first { $0.type == "Available" }?.status == .true)
        #expect(status.conditions?.first { $0.type == "Progressing" }?.reason == "NewReplicaSetAvailable")
        deployment.status = status
        let again = DeploymentController().reconcile(deployment, owned: pods, now: Timestamp(seconds: Self.now.seconds + 60))
        #expect(again.isEmpty)
    }

    /// A Deployment the last pass found nothing to do for is left alone while it and its pods are unwritten; one that
    /// needed actions is decided again, whether or not they landed.
    @Test func aSettledDeploymentIsDecidedAgainOnlyWhenItOrItsPodsAreWritten() throws {
        var deployment = Self.deployment(replicas: 1)
        deployment.metadata.resourceVersion = "10"
        let hash = DeploymentController.templateHash(deployment.spec.template)
        var pod = Self.pod("web-a", node: "n1", ready: true, owner: "dep-1", hash: hash)
        pod.metadata.resourceVersion = "11"
        var snapshot = SiteSnapshot()
        snapshot.deployments = [deployment]
        snapshot.pods = [pod]
        let controller = DeploymentController()
        var settled = SettledInputs()

        // The status is stale: an update, so not settled, and the same inputs ask for it again.
        let update = try #require(Self.updates(controller.reconcile(snapshot, now: Self.now, settled: &settled), Deployment.descriptor.groupResource).first)
        #expect(Self.updates(controller.reconcile(snapshot, now: Self.now, settled: &settled), Deployment.descriptor.groupResource).count == 1)

        // The status written: nothing to do, settled.
        deployment = try Deployment(json: update)
        deployment.metadata.resourceVersion = "12"
        snapshot.deployments = [deployment]
        #expect(controller.reconcile(snapshot, now: Self.now, settled: &settled).isEmpty)
        // An input the fingerprint does not see (the spec changed under the same resourceVersion, which a store never
        // does) shows the Deployment is not decided again...
        snapshot.deployments[0].spec.replicas = 2
        #expect(controller.reconcile(snapshot, now: Self.now, settled: &settled).isEmpty)
        // ...until its pods are written.
        snapshot.pods[0].metadata.resourceVersion = "13"
        #expect(Self.creates(controller.reconcile(snapshot, now: Self.now, settled: &settled)).count == 1)
    }

    @Test func podsOfDeletedOwnersAreCollected() {
        var snapshot = SiteSnapshot()
        snapshot.deployments = [Self.deployment(replicas: 1)]
        snapshot.pods = [Self.pod("orphan", node: "n1", ready: true, owner: "gone"), Self.pod("bare", node: "n1", ready: true),
                         Self.pod("kept", node: "n1", ready: true, owner: "dep-1")]
        #expect(Self.deletes(OwnerCollector().reconcile(snapshot)) == ["orphan"])
        var settled = SettledInputs()
        #expect(Self.deletes(DeploymentController().reconcile(snapshot, now: Self.now, settled: &settled)).isEmpty, "collection is the collector's alone")
    }

    // MARK: Scheduler

    @Test(arguments: [
        // (pod cpu, nodes, expected node or nil, expected message)
        ("500m", [("n1", "2", false, true)], "n1", ""),
        ("3", [("n1", "2", false, true), ("n2", "2", false, true)], nil, "0/2 nodes are available: 2 Insufficient cpu."),
        ("1", [("n1", "2", true, true), ("n2", "2", false, false)], nil,
         "0/2 nodes are available: 1 node(s) were not ready, 1 node(s) were unschedulable."),
    ] as [(String, [(String, String, Bool, Bool)], String?, String)])
    func bindsWhereItFitsOrSaysWhyNot(cpu: String, nodes: [(String, String, Bool, Bool)], expected: String?, message: String) throws {
        var snapshot = SiteSnapshot()
        snapshot.nodes = nodes.map { Self.node($0.0, cpu: $0.1, ready: $0.3, unschedulable: $0.2) }
        snapshot.pods = [Self.pod("p", cpu: cpu)]
        let actions = PodBinder().reconcile(snapshot, now: Self.now)
        let pod = try Pod(json: try #require(Self.updates(actions, Pod.descriptor.groupResource).first))
        let scheduled = pod.status?.conditions?.first { $0.type == "PodScheduled" }
        if let expected {
            #expect(pod.spec.nodeName == expected)
            #expect(scheduled?.status == .true)
        } else {
            #expect(pod.spec.nodeName == nil)
            #expect(scheduled?.status == .false)
            #expect(scheduled?.reason == "Unschedulable")
            #expect(scheduled?.message == message)
            #expect(Self.creates(actions, Event.descriptor.groupResource).first?["reason"]?.stringValue == "FailedScheduling")
        }
    }

    @Test func bindingAccountsForPodsBoundInTheSamePassAndSpreads() throws {
        var snapshot = SiteSnapshot()
        snapshot.nodes = [Self.node("n1", cpu: "2"), Self.node("n2", cpu: "2")]
        snapshot.pods = (1...5).map { Self.pod("p\($0)", cpu: "1", created: Int64($0)) }
        let bound = try Self.updates(PodBinder().reconcile(snapshot, now: Self.now), Pod.descriptor.groupResource).map { try Pod(json: $0) }
        // Four fit (two per node, least-allocated first alternates), the fifth does not.
        #expect(bound.compactMap(\.spec.nodeName) == ["n1", "n2", "n1", "n2"])
        #expect(bound.last?.status?.conditions?.first?.message == "0/2 nodes are available: 2 Insufficient cpu.")
    }

    @Test func unschedulablePodIsNotRewrittenWhileNothingChanges() throws {
        var snapshot = SiteSnapshot()
        snapshot.nodes = [Self.node("n1", cpu: "1")]
        snapshot.pods = [Self.pod("big", cpu: "4")]
        let first = PodBinder().reconcile(snapshot, now: Self.now)
        snapshot.pods = [try Pod(json: try #require(Self.updates(first, Pod.descriptor.groupResource).first))]
        #expect(PodBinder().reconcile(snapshot, now: Self.now).isEmpty)
    }

    @Test func nodeSelectorAndTaintsAreRespected() throws {
        var snapshot = SiteSnapshot()
        snapshot.nodes = [Self.node("gpu", labels: ["accel": "gpu"], taints: [Taint(key: "dedicated", value: "gpu", effect: "NoSchedule")]),
                          Self.node("plain")]
        var pod = Self.pod("p")
        pod.spec.nodeSelector = ["accel": "gpu"]
        snapshot.pods = [pod]
        var result = try Pod(json: try #require(Self.updates(PodBinder().reconcile(snapshot, now: Self.now), Pod.descriptor.groupResource).first))
        #expect(result.spec.nodeName == nil)
        #expect(result.status?.conditions?.first?.message
            == "0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: gpu}.")
        pod.spec.tolerations = [Toleration(key: "dedicated", operator: "Equal", value: "gpu", effect: "NoSchedule")]
        snapshot.pods = [pod]
        result = try Pod(json: try #require(Self.updates(PodBinder().reconcile(snapshot, now: Self.now), Pod.descriptor.groupResource).first))
        #expect(result.spec.nodeName == "gpu")
    }

    // MARK: Endpoints

    @Test func endpointsUseListenPortsForRunnablePodsAndTargetPortsOtherwise() throws {
        var service = Service(metadata: ObjectMeta(name: "web", namespace: "default"),
            spec: ServiceSpec(selector: ["app": "web"], ports: [ServicePort(name: "http", port: 80, targetPort: .string("http"))]))
        service.setDefaults()
        var runnable = Self.pod("run", node: "n1", ready: true, labels: ["app": "web"])
        runnable.status?.podIP = "127.0.0.1"
        runnable.metadata.annotations = [EndpointsController.listenPortAnnotation: "41000"]
        var simulated = Self.pod("sim", node: "n1", ready: false, labels: ["app": "web"])
        simulated.status?.podIP = "10.1.0.2"
        simulated.spec.containers[0].ports = [ContainerPort(name: "http", containerPort: 8080)]
        var snapshot = SiteSnapshot()
        snapshot.services = [service]
        snapshot.pods = [runnable, simulated, Self.pod("other", node: "n1", ready: true)]
        let created = try Endpoints(json: try #require(Self.creates(EndpointsController().reconcile(snapshot), Endpoints.descriptor.groupResource).first))
        #expect(created.metadata.name == "web")
        let subsets = try #require(created.subsets)
        #expect(subsets.count == 2)
        #expect(subsets[0].notReadyAddresses?.map(\.ip) == ["10.1.0.2"])
        #expect(subsets[0].ports == [EndpointPort(name: "http", port: 8080, protocol: "TCP")])
        #expect(subsets[1].addresses?.map(\.ip) == ["127.0.0.1"])
        #expect(subsets[1].addresses?.first?.targetRef?.name == "run")
        #expect(subsets[1].ports == [EndpointPort(name: "http", port: 41000, protocol: "TCP")])
        // Unchanged: no write. Service gone: the managed Endpoints go too.
        snapshot.endpoints = [created]
        #expect(EndpointsController().reconcile(snapshot).isEmpty)
        snapshot.services = []
        guard case .delete(_, _, let name, _) = try #require(EndpointsController().reconcile(snapshot).first) else {
            Issue.record("expected a delete")
            return
        }
        #expect(name == "web")
    }

    // MARK: Profile and registry

    @Test func profileErrorsNameTheField() {
        let yaml = """
            apiVersion: sim.flotilla.io/v1alpha1
            kind: SiteProfile
            sites:
            - {name: Edge_1, nodes: 0}
            - {name: ok, latitude: 91, cpu: "-1"}
            - {name: ok}
            """
        do {
            _ = try SiteProfile.parse(yaml: yaml)
            Issue.record("expected an error")
        } catch {
            let text = error.description
            #expect(text.contains("sites[0].name: \"Edge_1\""))
            #expect(text.contains("sites[0].nodes: must be between 1 and 1000, not 0"))
            #expect(text.contains("sites[1].latitude: must be within ±90"))
            #expect(text.contains("sites[1].cpu: must be positive"))
            #expect(text.contains("sites[2].name: duplicate site \"ok\""))
        }
    }

    @Test func profileDefaultsApply() throws {
        let profile = try SiteProfile.parse(yaml: """
            kind: SiteProfile
            defaults: {nodes: 4, cpu: "16", provider: op-a, labels: {tier: edge}}
            sites:
            - {name: athens-1, region: gr, zone: gr-a, memory: 64Gi, labels: {gpu: "true"}, latitude: 37.98, longitude: 23.72}
            """)
        let site = try #require(profile.resolvedSites.first)
        let memory = try Quantity(parsing: "64Gi")
        #expect(site.nodes == 4 && site.cpu == Quantity(16) && site.memory == memory)
        #expect(site.provider == "op-a" && site.labels == ["tier": "edge", "gpu": "true"] && site.pods == 110)
        let nodes = SiteNodes.nodes(for: site, now: Self.now)
        #expect(nodes.count == 4)
        #expect(nodes[0].metadata.labels?["topology.kubernetes.io/zone"] == "gr-a")
        #expect(nodes[0].metadata.annotations?["edge.flotilla.io/latitude"] == "37.98")
    }

    @Test(arguments: [("flotilla/echo:1", "flotilla/echo"), ("docker.io/flotilla/echo", "flotilla/echo"),
                      ("flotilla/echo@sha256:abc", "flotilla/echo"), ("registry:5000/team/app:2", "registry:5000/team/app"),
                      ("docker.io/library/nginx:1.25", "nginx")])
    func imageRepository(reference: String, repository: String) {
        #expect(WorkloadRegistry.repository(of: reference) == repository)
    }
}

@Suite struct ProfileExampleTests {
    @Test func everyExampleProfileIsValid() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("simulator/profiles")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".yaml") }
        #expect(!files.isEmpty)
        for file in files {
            let profile = try SiteProfile.load(path: directory.appendingPathComponent(file).path)
            #expect(profile.validate().isEmpty, "\(file)")
            #expect(profile.resolvedSites.allSatisfy { $0.latitude != nil && $0.provider != nil }, "\(file)")
        }
    }
}
