import ArgumentParser
import AsyncHTTPClient
import FlotillaAPI
import FlotillaServer
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// `flotilla bench apiserver`: starts `flotilla serve` as a child process (so client and server do not share a
/// process) and measures GET throughput over HTTPS keep-alive, LIST latency, watch fan-out and idle memory.
struct APIServerBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apiserver",
        abstract: "GET req/s (HTTPS keep-alive), LIST of 1,000 objects, 100-watcher fan-out, idle RSS of the server."
    )

    @Option(help: "Concurrent keep-alive connections for the GET load.")
    var connections: Int = 8

    @Option(name: .customLong("seconds"), help: "Seconds of GET load.")
    var loadSeconds: Int = 10

    @Option(help: "Watchers for the fan-out measure.")
    var watchers: Int = 100

    func run() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-bench-api-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try await ChildProcess.serve(directory: dir, port: 0, logLevel: "warning")
        defer { server.terminate() }
        try await Task.sleep(for: .seconds(2))
        let idleRSS = residentMemoryMB(pid: server.pid)

        let data = try DataDirectory.prepare(dir)
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(data.authority.certificatePEM.utf8), format: .pem)])
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: max(connections, watchers + 4))
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let base = "https://127.0.0.1:\(port)"
        let token = data.adminToken
        let configMaps = "/api/v1/namespaces/default/configmaps"

        let send: @Sendable (HTTPMethod, String, JSONValue?) async throws -> (Int, ByteBuffer) = { method, path, body in
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            if let body {
                request.headers.add(name: "Content-Type", value: method == .PATCH ? "application/merge-patch+json" : "application/json")
                request.body = .bytes(ByteBuffer(bytes: body.serialized()))
            }
            let response = try await client.execute(request, timeout: .seconds(30))
            return (Int(response.status.code), try await response.body.collect(upTo: 64 << 20))
        }
        func configMap(_ name: String) -> JSONValue {
            ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": .string(name)], "data": ["k": .string(String(repeating: "v", count: 200))]]
        }

        func progress(_ text: String) { FileHandle.standardError.write(Data("bench: \(text)\n".utf8)) }
        progress("server started on port \(port), idle RSS \(format(idleRSS, 1)) MB; creating 1,000 ConfigMaps")
        // 1,000 objects for LIST, one of them the GET target.
        for i in 0..<1000 { _ = try await send(.POST, configMaps, configMap("cm-\(i)")) }

        progress("GET load: \(connections) connections for \(loadSeconds) s")
        // GET throughput: `connections` loops, each one request at a time on its keep-alive connection.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(loadSeconds)
        let count = Locked(0)
        let failures = Locked(0)
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<connections {
                group.addTask {
                    while clock.now < deadline {
                        let (status, _) = try await send(.GET, configMaps + "/cm-1", nil)
                        if status == 200 { count.withLock { $0 += 1 } } else { failures.withLock { $0 += 1 } }
                    }
                }
            }
            try await group.waitForAll()
        }
        let getRate = Double(count.withLock { $0 }) / seconds(clock.now - started)

        progress("LIST of 1,000 objects, 100 times")
        var listSamples = LatencySamples()
        for _ in 0..<100 {
            let start = clock.now
            let (status, _) = try await send(.GET, configMaps, nil)
            if status == 200 { listSamples.add(clock.now - start) }
        }

        progress("watch fan-out: \(watchers) watchers")
        let watch = try await watchFanOut(client: client, base: base, token: token, send: send)
        let busyRSS = residentMemoryMB(pid: server.pid)
        try await client.shutdown()
        printResults("flotilla bench apiserver (server in a child process, \(connections) connections, \(loadSeconds) s)", [
            BenchResult(name: "GET one object, req/s (HTTPS keep-alive)", value: format(getRate), target: ">= 5,000", met: getRate >= 5_000),
            BenchResult(name: "GET failures", value: String(failures.withLock { $0 }), target: "0", met: failures.withLock { $0 } == 0),
            BenchResult(name: "LIST 1,000 objects, p50 ms", value: format(listSamples.percentile(50), 2), target: "-", met: nil),
            BenchResult(name: "LIST 1,000 objects, p99 ms", value: format(listSamples.percentile(99), 2), target: "<= 20 ms",
                met: listSamples.percentile(99) <= 20),
            BenchResult(name: "\(watchers) watchers: update received, p50 ms", value: format(watch.percentile(50), 2), target: "-", met: nil),
            BenchResult(name: "\(watchers) watchers: update received, p99 ms", value: format(watch.percentile(99), 2), target: "<= 10 ms",
                met: watch.percentile(99) <= 10),
            BenchResult(name: "server RSS when idle after start, MB", value: format(idleRSS, 1), target: "<= 50 MB", met: idleRSS <= 50),
            BenchResult(name: "server RSS after the run, MB", value: format(busyRSS, 1), target: "-", met: nil),
        ])
    }

    /// Opens `watchers` watch streams, then writes updates one at a time and records, for each watcher, the time
    /// from just before the write request to the event's arrival.
    func watchFanOut(client: HTTPClient, base: String, token: String,
                     send: @escaping @Sendable (HTTPMethod, String, JSONValue?) async throws -> (Int, ByteBuffer)) async throws -> LatencySamples {
        let clock = ContinuousClock()
        let path = "/api/v1/namespaces/default/configmaps"
        let (_, created) = try await send(.POST, path, ["apiVersion": "v1", "kind": "ConfigMap", "metadata": ["name": "watched"], "data": ["n": "0"]])
        let revision = (try? JSONValue.parse(Array(created.readableBytesView)))?.resourceVersion ?? "0"
        let writes = 50
        let sent = Locked<[String: ContinuousClock.Instant]>([:])
        let samples = Locked(LatencySamples())
        let ready = Locked(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<watchers {
                group.addTask {
                    var request = HTTPClientRequest(url: base + path + "?watch=true&resourceVersion=\(revision)&fieldSelector=metadata.name%3Dwatched")
                    request.headers.add(name: "Authorization", value: "Bearer \(token)")
                    let response = try await client.execute(request, timeout: .seconds(120))
                    ready.withLock { $0 += 1 }
                    var buffer: [UInt8] = []
                    var seen = 0
                    for try await chunk in response.body {
                        buffer.append(contentsOf: chunk.readableBytesView)
                        while let newline = buffer.firstIndex(of: 0x0A) {
                            let line = Array(buffer[..<newline])
                            buffer.removeSubrange(...newline)
                            let now = clock.now
                            guard let event = try? JSONValue.parse(line), let n = event["object"]?["data"]?["n"]?.stringValue else { continue }
                            if let start = sent.withLock({ $0[n] }) { samples.withLock { $0.add(now - start) } }
                            seen += 1
                        }
                        if seen >= writes { return }
                    }
                }
            }
            while ready.withLock({ $0 }) < watchers { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(200))
            for i in 1...writes {
                sent.withLock { $0[String(i)] = clock.now }
                _ = try await send(.PATCH, path + "/watched", ["data": ["n": .string(String(i))]])
                try await Task.sleep(for: .milliseconds(20))
            }
            try await group.waitForAll()
        }
        return samples.withLock { $0 }
    }
}
