import Foundation
import Testing
@testable import FlotillaAPI

/// The `@FastJSON` path against Codable's, on every example manifest and on thousands of damaged copies of them:
/// where the fast path takes an input it gives exactly Codable's value, it writes exactly Codable's JSON, and what it
/// does not take still decodes (or fails) through Codable with the same words.
@Suite struct FastJSONTests {
    /// The kinds under test, by kind name: every kind the examples hold that Flotilla types.
    static let types: [String: any (APIObject & FastJSONCodable).Type] = [
        "Deployment": Deployment.self, "Namespace": Namespace.self, "Service": Service.self, "Cluster": Cluster.self,
        "PropagationPolicy": PropagationPolicy.self, "ClusterPropagationPolicy": ClusterPropagationPolicy.self,
        "OverridePolicy": OverridePolicy.self, "ClusterOverridePolicy": ClusterOverridePolicy.self,
        "ResourceBinding": ResourceBinding.self, "Work": Work.self, "FederatedHPA": FederatedHPA.self,
        "AppProfile": AppProfile.self, "LatencyMatrix": LatencyMatrix.self, "ServiceOffering": ServiceOffering.self,
        "ResourceInterpreterCustomization": ResourceInterpreterCustomization.self, "Pod": Pod.self,
    ]

    /// A Deployment with what real ones carry: several containers, env, ports, probes, volumes, affinity, status.
    static let richDeployment = #"""
    {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"app","namespace":"bench","uid":"0b1c",
     "resourceVersion":"12","generation":3,"creationTimestamp":"2026-11-01T00:00:00Z","labels":{"app":"a"},
     "annotations":{"x":"y"},"ownerReferences":[{"apiVersion":"v1","kind":"X","name":"n","uid":"u","controller":true}],
     "finalizers":["f"],"managedFields":[{"manager":"kubectl"}]},
     "spec":{"replicas":6,"selector":{"matchLabels":{"app":"a"},"matchExpressions":[{"key":"k","operator":"In","values":["v"]}]},
      "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":"25%"}},"minReadySeconds":2,"paused":false,
      "template":{"metadata":{"labels":{"app":"a"}},"spec":{"containers":[
        {"name":"c0","image":"r/app:1","args":["--p=1"],"command":["/bin/app"],"env":[{"name":"A","value":"1"},
         {"name":"B","valueFrom":{"fieldRef":{"fieldPath":"metadata.name"}}}],
         "ports":[{"containerPort":8080,"name":"http","protocol":"TCP"},{"containerPort":9090,"hostPort":9090}],
         "resources":{"requests":{"cpu":"250m","memory":"256Mi"},"limits":{"cpu":1,"memory":"512Mi"}},
         "readinessProbe":{"httpGet":{"path":"/ready","port":8080}},"volumeMounts":[{"name":"c","mountPath":"/etc"}]}],
       "initContainers":[{"name":"init","image":"busybox"}],"nodeSelector":{"zone":"a"},
       "tolerations":[{"key":"k","operator":"Exists","effect":"NoExecute","tolerationSeconds":30}],
       "terminationGracePeriodSeconds":30,"volumes":[{"name":"c","emptyDir":{}}],
       "affinity":{"podAntiAffinity":{}}}}},
     "status":{"observedGeneration":3,"replicas":6,"readyReplicas":6,"conditions":[{"type":"Available","status":"True",
      "lastUpdateTime":"2026-11-01T00:00:01Z","reason":"MinimumReplicasAvailable"}],"extra":1}}
    """#

    /// Every example document with a typed kind, and the rich Deployment.
    static func corpus() throws -> [(type: any (APIObject & FastJSONCodable).Type, value: JSONValue)] {
        var documents = [try JSONValue.parse(richDeployment)]
        for file in KarmadaRoundTripTests.files {
            let text = try String(contentsOf: KarmadaRoundTripTests.examples.appendingPathComponent(file), encoding: .utf8)
            documents += try YAMLCodec.decodeDocuments(text)
        }
        return documents.compactMap { document in document.kind.flatMap { types[$0] }.map { ($0, document) } }
    }

    /// Where the fast path takes `value`, Codable takes it too and gives the same model; both write the same JSON.
    static func typedDisagreement<T: APIObject & FastJSONCodable>(_: T.Type, _ value: JSONValue) -> String? {
        let viaCodable = try? ObjectDecoder().decodeReportingDroppedFields(T.self, from: value).value
        guard let fast = try? T(fastJSON: value) else { return nil }
        guard let viaCodable else { return "the fast path took what Codable refuses: \(value)" }
        guard fast == viaCodable else { return "the two paths decode differently: \(value)" }
        guard let written = try? encodeToValue(viaCodable, codingPath: []) else { return "Codable could not encode" }
        guard fast.fastJSON == written else { return "the two paths encode differently: \(fast.fastJSON) vs \(written)" }
        return nil
    }

    static func disagreement(_ type: any (APIObject & FastJSONCodable).Type, _ value: JSONValue) -> String? {
        func open<T: APIObject & FastJSONCodable>(_ t: T.Type) -> String? { typedDisagreement(t, value) }
        return open(type)
    }

    /// Copies of `value` with one thing broken: each member removed, or replaced by a value of another type, a
    /// number out of `Int32`'s range, a fraction, a whole number written as a double.
    static func damaged(_ value: JSONValue) -> [JSONValue] {
        let replacements: [JSONValue] = [.null, .string("x"), .integer(3), .integer(1 << 40), .double(2.5), .double(3),
                                         .bool(true), .object([:]), .array([]), .string("2026-11-01T00:00:00Z")]
        switch value {
        case .object(let members):
            var copies: [JSONValue] = []
            for (key, member) in members {
                var removed = members
                removed[key] = nil
                copies.append(.object(removed))
                for replacement in replacements where replacement != member {
                    var changed = members
                    changed[key] = replacement
                    copies.append(.object(changed))
                }
                for deeper in damaged(member) {
                    var changed = members
                    changed[key] = deeper
                    copies.append(.object(changed))
                }
            }
            return copies
        case .array(let items):
            guard let first = items.first else { return [] }
            return damaged(first).map { .array([$0] + items.dropFirst()) } + [.array([.null] + items.dropFirst())]
        default:
            return []
        }
    }

    @Test func everyExampleDecodesAndEncodesAlikeOnBothPaths() throws {
        let corpus = try Self.corpus()
        #expect(corpus.count >= 40)
        for (type, value) in corpus {
            #expect((try? type.init(fastJSON: value)) != nil, "the fast path refused an example \(type)")
            if let problem = Self.disagreement(type, value) { Issue.record("\(type): \(problem)") }
        }
    }

    @Test func damagedCopiesNeverGetADifferentAnswer() throws {
        var checked = 0
        for (type, value) in try Self.corpus() {
            for copy in Self.damaged(value) {
                checked += 1
                if let problem = Self.disagreement(type, copy) {
                    Issue.record("\(type): \(problem)")
                    return
                }
            }
        }
        #expect(checked > 10_000)
    }

    @Test func unknownFieldsRideAlongAndNeverOverrideADeclaredOne() throws {
        let deployment = try ObjectDecoder().decode(Deployment.self, from: JSONValue.parse(Self.richDeployment))
        #expect(deployment.spec.template.spec.containers[0].unknownFields["readinessProbe"] != nil)
        #expect(deployment.status?.unknownFields["extra"] == .integer(1))
        var changed = deployment
        changed.spec.unknownFields["replicas"] = .integer(99)
        changed.spec.replicas = 2
        #expect(try ObjectEncoder().encode(changed).value(at: ["spec", "replicas"]) == .integer(2))
        changed.spec.replicas = nil
        #expect(try ObjectEncoder().encode(changed).value(at: ["spec", "replicas"]) == .integer(99))
    }

    /// What the fast path does not take goes through Codable, whose error names the field.
    @Test(arguments: [
        (#"{"metadata":{},"spec":{"replicas":"three","template":{"spec":{"containers":[]}}}}"#, "spec.replicas", "expected integer"),
        (#"{"metadata":{},"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}"#, "spec.template.spec.containers[0].name", "required field is missing"),
        (#"{"metadata":{},"spec":{"replicas":4294967296,"template":{"spec":{"containers":[]}}}}"#, "spec.replicas", "does not fit"),
        (#"{"metadata":{"creationTimestamp":"yesterday"},"spec":{"template":{"spec":{"containers":[]}}}}"#, "metadata.creationTimestamp", "RFC 3339"),
    ])
    func refusedInputGetsCodablesError(body: String, path: String, words: String) throws {
        #expect {
            _ = try ObjectDecoder().decode(Deployment.self, from: JSONValue.parse(body))
        } throws: { error in
            guard let error = error as? DecodeError else { return false }
            return error.path == path && error.message.contains(words)
        }
    }

    /// A whole number written as a double is an integer on both paths (Codable's rule), and a quantity may be a number.
    @Test func lenientNumbersAgree() throws {
        let body = #"{"metadata":{},"spec":{"replicas":3.0,"template":{"spec":{"containers":[{"name":"c","resources":{"requests":{"cpu":0.5,"memory":1024}}}]}}}}"#
        let value = try JSONValue.parse(body)
        let fast = try Deployment(fastJSON: value)
        #expect(fast.spec.replicas == 3)
        #expect(fast.spec.template.spec.containers[0].resources?.requests?["cpu"] == (try Quantity(parsing: "500m")))
        #expect(Self.typedDisagreement(Deployment.self, value) == nil)
    }
}
