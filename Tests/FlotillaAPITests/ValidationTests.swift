import Testing
@testable import FlotillaAPI

@Suite struct ValidationTests {
    @Test(arguments: [
        ("web", true), ("web-1", true), ("a.b.c", true), ("Web", false), ("-web", false), ("web-", false),
        ("we_b", false), ("", false), (String(repeating: "a", count: 253), true), (String(repeating: "a", count: 254), false),
        ("a..b", false),
    ])
    func dns1123Subdomain(name: String, valid: Bool) {
        #expect(NameValidation.dns1123Subdomain(name).isEmpty == valid)
    }

    @Test(arguments: [("games", true), ("a.b", false), (String(repeating: "a", count: 64), false), ("1abc", true)])
    func dns1123Label(name: String, valid: Bool) {
        #expect(NameValidation.dns1123Label(name).isEmpty == valid)
    }

    @Test(arguments: [("svc", true), ("1svc", false), ("s-1", true)])
    func dns1035Label(name: String, valid: Bool) {
        #expect(NameValidation.dns1035Label(name).isEmpty == valid)
    }

    @Test(arguments: [
        ("app", true), ("flotilla.io/site", true), ("App_Name.x", true), ("/x", false), ("a/b/c", false),
        ("Bad.Prefix/x", false), ("x/", false), (String(repeating: "k", count: 64), false),
    ])
    func labelKeys(key: String, valid: Bool) {
        #expect(NameValidation.qualifiedName(key).isEmpty == valid)
    }

    @Test func pathTraversalNamesAreRejectedWhateverTheRule() {
        for rule in [NameRule.dns1123Subdomain, .dns1123Label, .dns1035Label] {
            #expect(!rule.problems("..").isEmpty)
            #expect(!rule.problems("a/b").isEmpty)
        }
    }

    @Test func metadataErrorsCarryFieldPaths() {
        var meta = ObjectMeta(name: "Bad_Name", namespace: "games", labels: ["ok": "yes", "bad key": "v"])
        meta.finalizers = ["flotilla.io/cleanup", "not valid!"]
        let fields = meta.validate(nameRule: .dns1123Subdomain, namespaced: true).map(\.field.description)
        #expect(fields.contains("metadata.name"))
        #expect(fields.contains("metadata.labels"))
        #expect(fields.contains("metadata.finalizers[1]"))
    }

    @Test func clusterScopedKindsRefuseANamespace() {
        let errors = ObjectMeta(name: "edge-1", namespace: "x").validate(nameRule: .dns1123Subdomain, namespaced: false)
        #expect(errors.first?.type == .forbidden)
    }

    @Test func admissionReportsEveryProblemAsA422Cause() throws {
        let value = try YAMLCodec.decode("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: Web}
            spec:
              replicas: -1
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: other}}
                spec:
                  containers:
                  - {name: c, image: ""}
                  - {name: c, image: x, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}
            """)
        guard case .failure(.invalid(let errors)) = Deployment.descriptor.admit(value) else {
            Issue.record("expected invalid")
            return
        }
        let fields = Set(errors.map(\.field.description))
        #expect(fields == [
            "metadata.name", "spec.replicas", "spec.template.metadata.labels", "spec.template.spec.containers[0].image",
            "spec.template.spec.containers[1].name", "spec.template.spec.containers[1].resources.requests[cpu]",
        ])
        let status = APIError.invalid(kind: "Deployment", group: "apps", name: "Web", errors: errors).status
        #expect(status.code == 422)
        #expect(status.reason == "Invalid")
        #expect(status.details?.causes?.count == errors.count)
        #expect(status.message?.hasPrefix(#"Deployment.apps "Web" is invalid: ["#) == true)
    }

    @Test func admissionOfMalformedTypesIsADecodeError() throws {
        let value: JSONValue = ["apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "x"], "spec": "oops"]
        guard case .failure(.malformed(let error)) = Deployment.descriptor.admit(value) else {
            Issue.record("expected a decode error")
            return
        }
        #expect(error.path == "spec")
    }

    @Test func admissionAppliesDefaults() throws {
        let value: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": ["name": "web"],
            "spec": ["selector": ["matchLabels": ["app": "web"]],
                     "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "x:1", "ports": [["containerPort": 80]]]]]]],
        ]
        guard case .success(let admitted) = Deployment.descriptor.admit(value) else {
            Issue.record("expected success")
            return
        }
        #expect(admitted["spec"]?["replicas"] == 1)
        #expect(admitted.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["imagePullPolicy"] == "IfNotPresent")
        #expect(admitted.value(at: ["spec", "template", "spec", "containers"])?.arrayValue?.first?["ports"]?.arrayValue?.first?["protocol"] == "TCP")
    }

    /// A writer that holds the JSON its object was decoded from re-encodes only what it changed: the JSON is stored as
    /// given when the object is valid and complete, refused like any write when it is invalid, and encoded after all
    /// when defaults would add something the JSON lacks.
    @Test func admissionOfAHeldJSONFormStoresItOrFallsBack() throws {
        var binding = ResourceBinding(metadata: ObjectMeta(name: "web-deployment", namespace: "default"),
            spec: ResourceBindingSpec(resource: ObjectReference(apiVersion: "apps/v1", kind: "Deployment", namespace: "default", name: "web", uid: "u-1")))
        var json = binding.json()
        binding.spec.clusters = [TargetCluster(name: "edge-a", replicas: 2)]
        json.setValue(JSONValue.array([TargetCluster(name: "edge-a", replicas: 2).jsonValue]), at: ["spec", "clusters"])
        guard case .success(let admitted) = ResourceBinding.admit(typed: binding, json: json) else {
            Issue.record("expected success")
            return
        }
        #expect(admitted == binding.json())

        var invalid = binding
        invalid.metadata.name = "Not/Valid"
        var invalidJSON = json
        invalidJSON.setValue("Not/Valid", at: ["metadata", "name"])
        guard case .failure(.invalid(let errors)) = ResourceBinding.admit(typed: invalid, json: invalidJSON) else {
            Issue.record("expected invalid")
            return
        }
        #expect(Set(errors.map { $0.field.description }) == ["metadata.name"])

        // A Deployment without replicas: the default belongs in what is stored, so the object is encoded.
        let deployment = try Deployment(json: [
            "metadata": ["name": "web", "namespace": "default"],
            "spec": ["selector": ["matchLabels": ["app": "web"]],
                     "template": ["metadata": ["labels": ["app": "web"]], "spec": ["containers": [["name": "c", "image": "x:1"]]]]],
        ])
        guard case .success(let defaulted) = Deployment.admit(typed: deployment, json: deployment.json()) else {
            Issue.record("expected success")
            return
        }
        #expect(defaulted["spec"]?["replicas"] == 1)
    }

    @Test func registryResolvesTheWaysPeopleNameKinds() {
        let registry = ResourceRegistry.controlPlane
        #expect(registry.resolve("pp")?.kind == "PropagationPolicy")
        #expect(registry.resolve("deploy")?.kind == "Deployment")
        #expect(registry.resolve("deployments.apps")?.kind == "Deployment")
        #expect(registry.resolve("cluster")?.kind == "Cluster")
        #expect(registry.resolve("rb")?.kind == "ResourceBinding")
        #expect(registry.resolve("nope") == nil)
        #expect(registry.category("karmada-io").count == 14)
        #expect(registry.descriptor(apiVersion: "work.karmada.io/v1alpha2", kind: "ResourceBinding")?.plural == "resourcebindings")
        #expect(registry.groupVersions.first?.description == "v1")
    }

    @Test func unknownKindsAreRejected() {
        guard case .failure(.malformed(let error)) = ResourceRegistry.controlPlane.admit(["apiVersion": "v9", "kind": "Nope"]) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.message.contains("Nope"))
    }
}

/// The service-routing kinds: what is refused, what warns.
@Suite struct ServiceRoutingValidationTests {
    static func admit(_ yaml: String, _ descriptor: ResourceDescriptor) throws -> Result<JSONValue, AdmissionFailure> {
        descriptor.admit(try YAMLCodec.decode(yaml))
    }

    static func errors(_ result: Result<JSONValue, AdmissionFailure>) -> [String] {
        guard case .failure(.invalid(let errors)) = result else { return [] }
        return errors.map { "\($0.field)" }
    }

    @Test func multiClusterServiceRefusesLoadBalancerAndMixedFieldsAndWarnsOnDeprecatedOnes() throws {
        let refused = try Self.admit("""
            apiVersion: networking.karmada.io/v1alpha1
            kind: MultiClusterService
            metadata: {name: web, namespace: default}
            spec:
              types: [LoadBalancer, Sideways]
              ports: [{port: 80}, {port: 80}, {port: 0}]
              providerClusters: [{name: a}]
              serviceProvisionClusters: [a]
              consumerClusters: [{name: ""}]
            """, MultiClusterService.descriptor)
        #expect(Self.errors(refused) == ["spec.types[0]", "spec.types[1]", "spec.ports[1].port", "spec.ports[2].port",
                                         "spec.consumerClusters[0].name", "spec.serviceProvisionClusters"])
        let old = try YAMLCodec.decode("""
            apiVersion: networking.karmada.io/v1alpha1
            kind: MultiClusterService
            metadata: {name: web, namespace: default}
            spec: {types: [CrossCluster], range: {clusterNames: [a]}, serviceConsumptionClusters: [b]}
            """)
        #expect(MultiClusterService.descriptor.warnings(old).count == 2)
        let typed = try MultiClusterService(json: old)
        #expect(typed.providers == ["a"] && typed.consumers == ["b", "a"])
    }

    @Test func endpointSliceLimits() throws {
        let refused = try Self.admit("""
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata: {name: web-1, namespace: default}
            addressType: IPv5
            endpoints: [{addresses: []}]
            ports: [{name: http, port: 70000, protocol: HTTP}]
            """, EndpointSlice.descriptor)
        #expect(Self.errors(refused) == ["addressType", "endpoints[0].addresses", "ports[0].port", "ports[0].protocol"])
    }

    @Test func aServiceImportWrittenByHandWarnsThatTheControllerOwnsIt() throws {
        let object = try YAMLCodec.decode("""
            apiVersion: multicluster.x-k8s.io/v1alpha1
            kind: ServiceImport
            metadata: {name: web, namespace: default}
            spec: {type: ClusterSetIP, ports: [{port: 80, protocol: TCP}]}
            """)
        #expect(ServiceImport.descriptor.warnings(object).first?.contains("overwritten") == true)
        guard case .success = ServiceImport.descriptor.admit(object) else { Issue.record("a valid ServiceImport is admitted"); return }
    }
}
