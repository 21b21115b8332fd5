import ArgumentParser
import FlotillaAPI
import Foundation

/// `flotilla bench codec`: decode + encode of a ~5 KB Deployment through the one codec path.
struct CodecBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "codec",
        abstract: "Decode (JSON bytes → typed Deployment) + encode (→ JSON bytes) of a 5 KB Deployment."
    )

    @Option(help: "Iterations.")
    var iterations: Int = 50_000

    /// A Deployment of about 5 KB: several containers with env, ports, probes and fields Flotilla does not model.
    static func sampleDeployment() -> [UInt8] {
        var containers: [JSONValue] = []
        for c in 0..<4 {
            containers.append([
                "name": .string("container-\(c)"), "image": .string("registry.example.com/team/app-\(c):1.2.\(c)"),
                "args": ["--port=8080", "--log-level=info", "--feature-gates=A=true,B=false"],
                "env": .array((0..<8).map { ["name": .string("ENV_VAR_\($0)"), "value": .string("value-\($0)-\(String(repeating: "v", count: 12))")] }),
                "ports": [["containerPort": 8080, "name": "http"], ["containerPort": 9090, "name": "metrics"]],
                "resources": ["requests": ["cpu": "250m", "memory": "256Mi"], "limits": ["cpu": "1", "memory": "512Mi"]],
                "readinessProbe": ["httpGet": ["path": "/ready", "port": 8080], "periodSeconds": 5, "failureThreshold": 3],
                "livenessProbe": ["httpGet": ["path": "/live", "port": 8080], "initialDelaySeconds": 10],
                "volumeMounts": [["name": "config", "mountPath": "/etc/app"], ["name": "cache", "mountPath": "/var/cache/app"]],
            ])
        }
        let deployment: JSONValue = [
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": ["name": "benchmark-app", "namespace": "bench", "uid": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0",
                         "resourceVersion": "12345", "generation": 3, "creationTimestamp": "2026-11-01T00:00:00Z",
                         "labels": ["app": "benchmark", "tier": "edge", "team": "games"],
                         "annotations": ["deployment.kubernetes.io/revision": "3", "flotilla.io/policy": "game-divided"]],
            "spec": [
                "replicas": 6, "selector": ["matchLabels": ["app": "benchmark"]],
                "strategy": ["type": "RollingUpdate", "rollingUpdate": ["maxSurge": "25%", "maxUnavailable": "25%"]],
                "template": [
                    "metadata": ["labels": ["app": "benchmark", "tier": "edge"]],
                    "spec": ["containers": .array(containers),
                             "volumes": [["name": "config", "configMap": ["name": "app-config"]], ["name": "cache", "emptyDir": [:]]],
                             "affinity": ["podAntiAffinity": ["preferredDuringSchedulingIgnoredDuringExecution": [["weight": 100,
                                "podAffinityTerm": ["topologyKey": "kubernetes.io/hostname", "labelSelector": ["matchLabels": ["app": "benchmark"]]]]]]]],
                ],
            ],
            "status": ["observedGeneration": 3, "replicas": 6, "readyReplicas": 6, "availableReplicas": 6, "updatedReplicas": 6],
        ]
        return deployment.serialized()
    }

    func run() async throws {
        let bytes = Self.sampleDeployment()
        let decoder = ObjectDecoder()
        let encoder = ObjectEncoder()
        // Warm up, and check the round trip is lossless before timing it.
        let first = try decoder.decode(Deployment.self, fromJSON: bytes)
        guard try JSONValue.parse(try encoder.encodeJSON(first)) == (try JSONValue.parse(bytes)) else {
            throw ValidationError("the sample Deployment did not round-trip")
        }
        let clock = ContinuousClock()
        var total = 0
        let elapsed = try clock.measure {
            for _ in 0..<iterations {
                let deployment = try decoder.decode(Deployment.self, fromJSON: bytes)
                total &+= try encoder.encodeJSON(deployment).count
            }
        }
        let rate = Double(iterations) / seconds(elapsed)
        var parseOnly = 0
        let parseElapsed = try clock.measure {
            for _ in 0..<iterations { parseOnly &+= try JSONValue.parse(bytes).serialized().count }
        }
        let tree = try JSONValue.parse(bytes)
        var sink = 0
        let parseOnlyElapsed = try clock.measure { for _ in 0..<iterations { sink &+= (try JSONValue.parse(bytes)).objectValue?.count ?? 0 } }
        let serializeOnlyElapsed = clock.measure { for _ in 0..<iterations { sink &+= tree.serialized().count } }
        let typedDecodeElapsed = try clock.measure { for _ in 0..<iterations { sink &+= (try decoder.decode(Deployment.self, from: tree)).metadata.name?.count ?? 0 } }
        let typed = try decoder.decode(Deployment.self, from: tree)
        let typedEncodeElapsed = try clock.measure { for _ in 0..<iterations { sink &+= (try encoder.encode(typed)).objectValue?.count ?? 0 } }
        if sink == 0 { print("(no output)") }
        printResults("flotilla bench codec (\(bytes.count) byte Deployment)", [
            BenchResult(name: "typed decode+encode/s", value: format(rate), target: ">= 20,000", met: rate >= 20_000),
            BenchResult(name: "JSONValue parse+serialize/s", value: format(Double(iterations) / seconds(parseElapsed)), target: "-", met: nil),
            BenchResult(name: "  of which JSON parse/s", value: format(Double(iterations) / seconds(parseOnlyElapsed)), target: "-", met: nil),
            BenchResult(name: "  of which JSON serialize/s", value: format(Double(iterations) / seconds(serializeOnlyElapsed)), target: "-", met: nil),
            BenchResult(name: "  of which typed decode/s", value: format(Double(iterations) / seconds(typedDecodeElapsed)), target: "-", met: nil),
            BenchResult(name: "  of which typed encode/s", value: format(Double(iterations) / seconds(typedEncodeElapsed)), target: "-", met: nil),
            BenchResult(name: "MB/s (typed round trip)", value: format(rate * Double(bytes.count) / 1e6, 1), target: "-", met: nil),
        ])
        if total == 0 || parseOnly == 0 { print("(no output)") }
    }
}
