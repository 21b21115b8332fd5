import Foundation
import Testing
@testable import FlotillaAPI

/// Every document under manifests/examples must decode, validate and re-encode unchanged in meaning:
/// what the user wrote is still there, only defaults are added, and admitting twice changes nothing.
@Suite struct KarmadaRoundTripTests {
    static let examples = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("manifests/examples")

    /// Every YAML file below manifests/examples, as a path relative to it.
    static var files: [String] {
        let enumerator = FileManager.default.enumerator(atPath: examples.path)
        var found: [String] = []
        while let path = enumerator?.nextObject() as? String {
            if path.hasSuffix(".yaml") { found.append(path) }
        }
        return found.sorted()
    }

    /// `input` is contained in `output`: same scalars, arrays of the same length, objects with at least its keys.
    static func contained(_ input: JSONValue, in output: JSONValue, path: String = "") -> String? {
        switch (input, output) {
        case (.object(let a), .object(let b)):
            for (key, value) in a {
                guard let other = b[key] else { return "\(path).\(key) was dropped" }
                if let problem = contained(value, in: other, path: "\(path).\(key)") { return problem }
            }
            return nil
        case (.array(let a), .array(let b)):
            guard a.count == b.count else { return "\(path) changed length" }
            for (offset, pair) in zip(a, b).enumerated() {
                if let problem = contained(pair.0, in: pair.1, path: "\(path)[\(offset)]") { return problem }
            }
            return nil
        case (.string(let s), _) where (try? Quantity(parsing: s)) != nil && output.stringValue.flatMap({ try? Quantity(parsing: $0) }) != nil:
            // Quantities are printed canonically; the value must not change.
            return (try? Quantity(parsing: s)) == (try? Quantity(parsing: output.stringValue!)) ? nil : "\(path) changed value"
        default:
            return input == output ? nil : "\(path): \(input) became \(output)"
        }
    }

    @Test func thereAreRealisticExamples() {
        #expect(Self.files.count >= 7)
    }

    @Test(arguments: files)
    func documentsRoundTrip(file: String) throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent(file), encoding: .utf8)
        let documents = try YAMLCodec.decodeDocuments(text)
        #expect(!documents.isEmpty)
        for document in documents {
            let admitted: JSONValue
            switch ResourceRegistry.controlPlane.admit(document) {
            case .success(let value): admitted = value
            case .failure(let failure):
                Issue.record("\(file) \(document.name ?? "?"): \(failure)")
                continue
            }
            if let problem = Self.contained(document, in: admitted) {
                Issue.record("\(file) \(document.kind ?? "") \(document.name ?? ""): \(problem)")
            }
            guard case .success(let again) = ResourceRegistry.controlPlane.admit(admitted) else {
                Issue.record("re-admission failed")
                continue
            }
            #expect(again == admitted, "admission is not idempotent for \(document.name ?? "")")
            // YAML out and back in gives the same object.
            #expect(try YAMLCodec.decode(YAMLCodec.encode(admitted)) == admitted)
        }
    }

    @Test func karmadaFieldsDecodeIntoTheTypedModel() throws {
        let text = try String(contentsOf: Self.examples.appendingPathComponent("propagation-policies.yaml"), encoding: .utf8)
        let policy = try PropagationPolicy(json: try YAMLCodec.decodeDocuments(text)[0])
        let weights = policy.spec.placement?.replicaScheduling?.weightPreference?.staticWeightList
        #expect(weights?.map(\.weight) == [2, 1])
        #expect(policy.spec.placement?.clusterAffinity?.exclude == ["edge-tokyo-2"])
        #expect(policy.spec.placement?.clusterTolerations?.first?.tolerationSeconds == 60)
        #expect(policy.spec.failover?.application?.purgeMode == "Gracefully")
        let fallback = try PropagationPolicy(json: try YAMLCodec.decodeDocuments(text)[1])
        #expect(fallback.spec.placement?.clusterAffinities?.map(\.affinityName) == ["edge-first", "cloud-backup"])
        #expect(fallback.spec.placement?.clusterAffinities?.first?.overflowAffinities?.first?.affinityName == "regional")

        let reported = try YAMLCodec.decode(String(contentsOf: Self.examples.appendingPathComponent("with-status/cluster-status.yaml"), encoding: .utf8))
        let edge = try Cluster(json: reported)
        #expect(edge.isReady)
        #expect(edge.status?.resourceSummary?.allocatable?["memory"] == (try Quantity(parsing: "96Gi")))
        let clusters = try YAMLCodec.decodeDocuments(String(contentsOf: Self.examples.appendingPathComponent("clusters.yaml"), encoding: .utf8))
        #expect(try Cluster(json: clusters[1]).spec.allZones == ["tokyo-b"])
    }

    @Test(arguments: [
        ("spec:\n  resourceSelectors: []", "spec.resourceSelectors"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    spreadConstraints: [{spreadByField: region}]", "spec.placement.spreadConstraints"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    spreadConstraints: [{spreadByField: cluster, spreadByLabel: x}]", "spec.placement.spreadConstraints[0]"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    clusterAffinity: {clusterNames: [a]}\n    clusterAffinities: [{affinityName: x}]", "spec.placement"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    replicaScheduling: {replicaSchedulingType: Spread}", "spec.placement.replicaScheduling.replicaSchedulingType"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    replicaScheduling:\n      weightPreference: {staticWeightList: [{targetCluster: {}, weight: 0}]}", "spec.placement.replicaScheduling.weightPreference.staticWeightList[0].weight"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  placement:\n    clusterAffinity:\n      fieldSelector: {matchExpressions: [{key: city, operator: In, values: [x]}]}", "spec.placement.clusterAffinity.fieldSelector.matchExpressions[0].key"),
        ("spec:\n  resourceSelectors: [{apiVersion: apps/v1, kind: Deployment}]\n  conflictResolution: Ignore", "spec.conflictResolution"),
    ])
    func invalidPoliciesNameTheField(body: String, field: String) throws {
        let document = try YAMLCodec.decode("apiVersion: policy.karmada.io/v1alpha1\nkind: PropagationPolicy\nmetadata: {name: p, namespace: default}\n" + body)
        guard case .failure(.invalid(let errors)) = PropagationPolicy.descriptor.admit(document) else {
            Issue.record("expected the policy to be invalid")
            return
        }
        #expect(errors.map(\.field.description).contains(field), "\(errors)")
    }

    /// `TargetCluster` encodes by hand (it is the bulk of a scheduling result): the same JSON the keyed path wrote.
    @Test func targetClustersEncodeAsTheyDecode() throws {
        let clusters = [TargetCluster(name: "edge-1", replicas: 3), TargetCluster(name: "edge-2", replicas: nil),
                        TargetCluster(name: "edge-3", replicas: 0)]
        let json = try ObjectEncoder().encode(clusters)
        #expect(json == [["name": "edge-1", "replicas": 3], ["name": "edge-2"], ["name": "edge-3", "replicas": 0]])
        #expect(try ObjectDecoder().decode([TargetCluster].self, from: json) == clusters)
        #expect(String(decoding: try ObjectEncoder().encodeJSON(clusters[0]), as: UTF8.self) == #"{"name":"edge-1","replicas":3}"#)
    }

    @Test func clusterNeedsAKnownSyncMode() throws {
        let document = try YAMLCodec.decode("apiVersion: cluster.karmada.io/v1alpha1\nkind: Cluster\nmetadata: {name: c}\nspec: {syncMode: Sideways}\n")
        guard case .failure(.invalid(let errors)) = Cluster.descriptor.admit(document) else {
            Issue.record("expected invalid")
            return
        }
        #expect(errors.first?.field.description == "spec.syncMode")
    }
}
