import FlotillaAPI
import FlotillaGateway
import Foundation
import NIOCore
import NIOPosix
import Synchronization
import FlotillaTestSupport
import Testing

/// `flotilla gateway` as an operator runs it: a control plane (`flotilla serve`), a TrafficRule written through the
/// API, the gateway process watching it, a UPF's GTP-U traffic forwarded to an instance and answered back, the rule's
/// counters on /metrics, a bad rule refused by the API, and SIGTERM stopping the gateway cleanly.
@Suite struct DataGatewayProcessTests {
    final class Log: Sendable {
        let items = Mutex<[String]>([])
        var all: [String] { items.withLock { $0 } }
        func append(_ item: String) { items.withLock { $0.append(item) } }
    }

    static func udp(_ receive: @escaping @Sendable (any Channel, AddressedEnvelope<ByteBuffer>) -> Void) async throws -> any Channel {
        try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler { envelope in receive(channel, envelope) })
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    static func rule(port: Int, priority: Int = 10) -> JSONValue {
        ["apiVersion": "mec.flotilla.io/v1alpha1", "kind": "TrafficRule", "metadata": ["name": "s1", "namespace": "default"],
         "spec": ["trafficRuleId": "s1", "filterType": "FLOW", "priority": .integer(Int64(priority)), "action": "FORWARD_DECAPSULATED",
                  "state": "ACTIVE", "site": "edge-1",
                  "trafficFilter": [["srcAddress": ["10.0.0.7"], "dstAddress": ["198.51.100.10"], "dstPort": ["7000"], "protocol": ["UDP"]]],
                  "dstInterface": ["interfaceType": "IP", "dstIpAddress": "127.0.0.1", "dstPort": .integer(Int64(port))]]]
    }

    /// Waits for a process to exit without blocking a thread: the servers of every other suite in this test process
    /// run on the same two-thread cooperative pool (two blocked waits stalled them all for 10 s in a CI run).
    static func exited(_ process: Process, within: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + within
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        return !process.isRunning
    }

    static func stop(_ process: Process) async {
        if process.isRunning { process.terminate() }
        _ = await exited(process)
    }

    @Test func theGatewayProcessForwardsByTheControlPlanesRulesAndStopsOnSIGTERM() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-gw-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (server, port) = try await ServeLifecycleTests().startServer(dataDir: dir)
        try await withCleanup({ try await run(dir: dir, port: port) }, cleanup: { await Self.stop(server) })
    }

    func run(dir: String, port: Int) async throws {
        let kubeconfig = try String(contentsOfFile: "\(dir)/admin.kubeconfig", encoding: .utf8)
        let admin = try #require(kubeconfig.range(of: #"token: \S+"#, options: .regularExpression).map { String(kubeconfig[$0].dropFirst(7)) })
        let rules = "https://127.0.0.1:\(port)/apis/mec.flotilla.io/v1alpha1/namespaces/default/trafficrules"

        // The instance: a UDP echo.
        let instance = try await Self.udp { channel, envelope in
            channel.writeAndFlush(AddressedEnvelope(remoteAddress: envelope.remoteAddress, data: ByteBuffer(string: "echo:" + String(buffer: envelope.data))),
                                  promise: nil)
        }
        defer { instance.close(promise: nil) }
        let created = try await AccessAPIGatewayTests.call("POST", rules, token: admin, body: Self.rule(port: instance.localAddress!.port!))
        #expect(created.status == 201, "\(created.body)")
        // Bad input is refused and names the field; the stored rule is untouched.
        let bad = try await AccessAPIGatewayTests.call("POST", rules, token: admin, body: Self.rule(port: 9, priority: 300))
        #expect(bad.status == 422 && "\(bad.body)".contains("spec.priority"), "\(bad.body)")

        let gateway = try BackgroundCommand(ServeLifecycleTests.flotilla, ["gateway", "--site", "edge-1", "--control-plane-kubeconfig",
                                                                           "\(dir)/admin.kubeconfig", "--listen", "127.0.0.1:0", "--metrics-port", "0"])
        try await withCleanup({ try await use(gateway, rule: "\(rules)/s1", token: admin) }, cleanup: { await Self.stop(gateway.process) })
    }

    func use(_ gateway: BackgroundCommand, rule: String, token: String) async throws {
        #expect(await gateway.waitFor("/metrics"), "\(gateway.text)")
        let gtpPort = try #require(gateway.text.range(of: #"GTP-U on 127\.0\.0\.1:\d+"#, options: .regularExpression)
            .flatMap { Int(gateway.text[$0].split(separator: ":").last ?? "") })
        let metricsURL = try #require(gateway.text.range(of: #"http://127\.0\.0\.1:\d+/metrics"#, options: .regularExpression).map { String(gateway.text[$0]) })

        // A UPF: G-PDUs for the UE's flow to the app's address; the answers come back tunnelled.
        let answers = Log()
        let upf = try await Self.udp { _, envelope in
            if let packet = GTPU.decapsulate(envelope.data) { answers.append(String(buffer: packet.payload)) }
        }
        defer { upf.close(promise: nil) }
        let flow = FlowKey(srcAddress: IPv4.parse("10.0.0.7")!, srcPort: 40000, dstAddress: IPv4.parse("198.51.100.10")!, dstPort: 7000)
        let to = try SocketAddress(ipAddress: "127.0.0.1", port: gtpPort)
        // The gateway may still be listing its rules: send until an answer comes.
        let deadline = ContinuousClock.now + .seconds(15)
        while answers.all.isEmpty, ContinuousClock.now < deadline {
            try await upf.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: GTPU.encapsulate(teid: 9, flow: flow, payload: ByteBuffer(string: "hi"))))
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(answers.all.first == "echo:hi", "\(gateway.text)")
        let metrics = try await AccessAPIGatewayTests.call("GET", metricsURL)
        #expect("\(metrics.body)".contains(#"flotilla_gateway_rule_packets_total{site=\"edge-1\",rule=\"default/s1\",action=\"FORWARD_DECAPSULATED\"}"#)
                || "\(metrics.body)".contains(#"rule="default/s1""#), "\(metrics.body)")

        // The gateway of the rule's site says in the rule's status what it has in force (over the API, as kubectl
        // would read it).
        var status: JSONValue?
        let confirmBy = ContinuousClock.now + .seconds(10)
        while status?["observedGeneration"] == nil, ContinuousClock.now < confirmBy {
            status = try await AccessAPIGatewayTests.call("GET", rule, token: token).body["status"]
            if status?["observedGeneration"] == nil { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(status == ["site": "edge-1", "observedGeneration": 1, "action": "FORWARD_DECAPSULATED"], "\(status ?? .null)")

        // SIGTERM: a clean stop.
        gateway.process.terminate()
        #expect(await Self.exited(gateway.process), "\(gateway.text)")
        #expect(!gateway.process.isRunning && gateway.process.terminationStatus == 0, "\(gateway.text)")
    }
}
