import FlotillaAPI
import FlotillaEtcd
import FlotillaStore
import FlotillaTestSupport
import Foundation
import Testing

/// What only the etcd backend has: several stores (replicas) on one etcd, its key layout, compaction, and members
/// that die mid-operation. The semantics every backend shares are in ResourceStoreTests and WatchTests.
@Suite struct EtcdBackendTests {
    /// Two stores on one etcd, as two replicas, and the cluster; `body` runs, then everything stops.
    static func withReplicas(members: Int = 1, _ body: (ResourceStore, ResourceStore, EtcdCluster) async throws -> Void) async throws {
        await EtcdCluster.slots.acquire()
        let cluster: EtcdCluster
        do { cluster = try await EtcdCluster.start(members: members) } catch {
            await EtcdCluster.slots.release()
            throw error
        }
        defer {
            cluster.stop()
            Task { await EtcdCluster.slots.release() }
        }
        let endpoints = try EtcdEndpoints(servers: cluster.servers)
        let a = try await EtcdBackend.connect(endpoints), b = try await EtcdBackend.connect(endpoints)
        do {
            try await body(ResourceStore(backend: a), ResourceStore(backend: b), cluster)
        } catch {
            await a.close()
            await b.close()
            throw error
        }
        await a.close()
        await b.close()
    }

    @Test func aWriteThroughOneReplicaIsReadAndWatchedThroughTheOtherAtOnce() async throws {
        try await Self.withReplicas { a, b, _ in
            let watch = try await b.watch(configMaps, options: WatchOptions(resourceVersion: await b.currentRevision()))
            let created = try await a.create(configMaps, configMap("one"), options: .none)
            // No wait: the read is linearizable.
            #expect(try await b.get(configMaps, namespace: "default", name: "one") == created)
            #expect(try await b.list(configMaps, options: ListOptions()).items.map(\.name) == ["one"])
            let events = try await collect(watch, count: 1)
            #expect(events.first?.type == .added && events.first?.object == created)
        }
    }

    /// An update starts from the replica's cached copy; when the other replica wrote since, the compare fails and
    /// a fresh read decides: the client's newest version wins, a stale one is a conflict, nothing is overwritten.
    @Test func aStaleCachedCopyNeverWinsACompareAndSwap() async throws {
        try await Self.withReplicas { a, b, _ in
            let created = try await a.create(configMaps, configMap("x", data: "0"), options: .none)
            try await waitUntil("a's cache has the create") { await a.backend.cached(StorageKey(bucket: "core/configmaps", key: "default/x")) != nil }
            for round in 1...20 {
                // b writes, a writes right after from b's answer (a's cache has not seen b's write yet, mostly).
                var throughB = try await b.get(configMaps, namespace: "default", name: "x")
                throughB["data"] = ["k": .string("b\(round)")]
                let fromB = try await b.update(configMaps, throughB, options: .none)
                var throughA = fromB
                throughA["data"] = ["k": .string("a\(round)")]
                let fromA = try await a.update(configMaps, throughA, options: .none)
                #expect(Int64(fromA.resourceVersion ?? "") ?? 0 > Int64(fromB.resourceVersion ?? "") ?? 0)
                // The version b answered with is stale now: a conflict through either replica.
                var stale = fromB
                stale["data"] = ["k": "stale"]
                await #expect(throws: APIError.self) { _ = try await a.update(configMaps, stale, options: .none) }
            }
            let last = try await b.get(configMaps, namespace: "default", name: "x")
            #expect(last["data"]?["k"] == "a20")
            #expect(last.uid == created.uid && last.generation == created.generation.map { $0 + 40 })
        }
    }

    @Test func keysFollowKubeApiserversLayoutAndHoldJSON() async throws {
        try await Self.withReplicas { a, _, cluster in
            _ = try await a.create(configMaps, configMap("cm"), options: .none)
            _ = try await a.create(clusters, ["apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": ["name": "edge-1"],
                                              "spec": [:]], options: .none)
            let etcdctl = try #require(["/usr/bin/etcdctl", "/usr/local/bin/etcdctl"].first { FileManager.default.isExecutableFile(atPath: $0) },
                                       "etcdctl is installed with etcd-server's client package")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: etcdctl)
            process.arguments = ["--endpoints", cluster.servers, "get", "--prefix", "/registry", "--keys-only"]
            process.environment = ["ETCDCTL_API": "3"]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let keys = output.split(separator: "\n").map(String.init)
            #expect(keys == ["/registry/cluster.karmada.io/clusters/edge-1", "/registry/core/configmaps/default/cm"], "\(output)")
        }
    }

    /// A watch from before a compaction is 410 Expired, as kube-apiserver answers it; a watch after it works.
    @Test func aWatchFromACompactedRevisionIsExpired() async throws {
        await EtcdCluster.slots.acquire()
        defer { Task { await EtcdCluster.slots.release() } }
        let cluster = try await EtcdCluster.start()
        defer { cluster.stop() }
        let endpoints = try EtcdEndpoints(servers: cluster.servers)
        let writer = try await EtcdBackend.connect(endpoints)
        let store = ResourceStore(backend: writer)
        for index in 0..<5 { _ = try await store.create(configMaps, configMap("c\(index)"), options: .none) }
        let revision = await store.currentRevision()
        await writer.compact(through: revision - 1)
        // A replica started after the compaction: its cache begins now, so older watches go to etcd.
        let later = try await EtcdBackend.connect(endpoints)
        let replica = ResourceStore(backend: later)
        do {
            _ = try await replica.watch(configMaps, options: WatchOptions(resourceVersion: 1))
            Issue.record("expected 410")
        } catch {
            #expect(error.code == 410 && error.reason == .expired, "\(error)")
        }
        let fromNow = try await replica.watch(configMaps, options: WatchOptions(resourceVersion: revision))
        _ = try await store.create(configMaps, configMap("after"), options: .none)
        #expect(try await collect(fromNow, count: 1).first?.object.name == "after")
        await writer.close()
        await later.close()
    }

    /// One member of three is killed while a replica writes and watches: no acknowledged write is lost, writes go on
    /// through the others, and the watch (its etcd stream was perhaps on the dead member) resumes and misses nothing.
    @Test func aMemberKilledMidWriteLosesNothing() async throws {
        try await Self.withReplicas(members: 3) { a, b, cluster in
            let watch = try await b.watch(configMaps, options: WatchOptions(resourceVersion: await b.currentRevision()))
            var acknowledged: [String] = []
            for index in 0..<60 {
                if index == 20 { cluster.kill(0) }
                do throws(APIError) {
                    _ = try await a.create(configMaps, configMap("w\(index)"), options: .none)
                    acknowledged.append("w\(index)")
                } catch {
                    // A write cut by the kill may or may not have landed; it is not acknowledged either way.
                    #expect(error.code == 503 || error.code == 409, "\(error)")
                }
            }
            print("etcd: \(acknowledged.count) of 60 sequential writes acknowledged with a member of three killed after the 20th")
            #expect(acknowledged.count >= 55, "writes go on through the other members: \(acknowledged.count) of 60")
            let listed = Set(try await b.list(configMaps, options: ListOptions()).items.compactMap(\.name))
            #expect(Set(acknowledged).isSubset(of: listed), "lost: \(Set(acknowledged).subtracting(listed).sorted())")
            let seen = Set(try await collect(watch, count: listed.count, timeout: .seconds(20)).compactMap(\.object.name))
            #expect(seen == listed)

            // A second member gone: no quorum. Writes answer 503 (the request timeout), none is acknowledged.
            cluster.kill(1)
            let started = ContinuousClock.now
            do throws(APIError) {
                _ = try await a.create(configMaps, configMap("no-quorum"), options: .none)
                Issue.record("a write without quorum was acknowledged")
            } catch {
                #expect(error.code == 503, "\(error)")
            }
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    @Test func endpointsAreParsedAsKubeApiserverTakesThem() throws {
        let three = try EtcdEndpoints(servers: "http://127.0.0.1:2379, http://127.0.0.1:22379,http://127.0.0.1:32379")
        #expect(three.members.map(\.port) == [2379, 22379, 32379] && three.tls == nil && three.prefix == "/registry")
        let secure = try EtcdEndpoints(servers: "https://[::1]:2379", prefix: "/flotilla",
                                       tls: .init(caFile: "ca.pem", certFile: "c.pem", keyFile: "k.pem"))
        #expect(secure.members.first?.host == "::1" && secure.tls?.caFile == "ca.pem" && secure.prefix == "/flotilla")
        for (servers, prefix, tls) in [
            ("", "/registry", EtcdEndpoints.TLSFiles()),
            ("127.0.0.1:2379", "/registry", EtcdEndpoints.TLSFiles()),
            ("http://127.0.0.1:2379,https://127.0.0.1:2380", "/registry", EtcdEndpoints.TLSFiles()),
            ("http://etcd-a:2379,http://etcd-b:2379", "/registry", EtcdEndpoints.TLSFiles()),
            ("http://127.0.0.1:2379", "/registry", EtcdEndpoints.TLSFiles(caFile: "ca.pem")),
            ("https://127.0.0.1:2379", "/registry", EtcdEndpoints.TLSFiles(certFile: "c.pem")),
            ("http://127.0.0.1:2379", "registry/", EtcdEndpoints.TLSFiles()),
            ("http://127.0.0.1:2379/v3", "/registry", EtcdEndpoints.TLSFiles()),
        ] {
            #expect(throws: EtcdEndpoints.ParseError.self, "\(servers) \(prefix)") { try EtcdEndpoints(servers: servers, prefix: prefix, tls: tls) }
        }
    }

    /// `--etcd-cafile`, `--etcd-certfile`, `--etcd-keyfile` against members that serve TLS and require a client
    /// certificate: with them the store works; without the client certificate etcd refuses, and the error says so.
    @Test func tlsMembersWithAClientCertificate() async throws {
        await EtcdCluster.slots.acquire()
        defer { Task { await EtcdCluster.slots.release() } }
        let cluster = try await EtcdCluster.start(tls: true)
        defer { cluster.stop() }
        let files = try #require(cluster.tls)
        #expect(cluster.servers.hasPrefix("https://"))
        let backend = try await EtcdBackend.connect(try EtcdEndpoints(servers: cluster.servers,
            tls: .init(caFile: files.caFile, certFile: files.certFile, keyFile: files.keyFile)))
        let store = ResourceStore(backend: backend)
        let created = try await store.create(configMaps, configMap("secure"), options: .none)
        let watch = try await store.watch(configMaps, options: WatchOptions(resourceVersion: Int64(created.resourceVersion ?? "0")))
        _ = try await store.create(configMaps, configMap("watched"), options: .none)
        #expect(try await collect(watch, count: 1).first?.object.name == "watched")
        await backend.close()
        do {
            _ = try await EtcdBackend.connect(try EtcdEndpoints(servers: cluster.servers, tls: .init(caFile: files.caFile)),
                                              requestTimeout: .seconds(2), connectTimeout: .seconds(3))
            Issue.record("etcd requires a client certificate")
        } catch {
            #expect("\(error)".contains("cannot reach etcd"), "\(error)")
        }
    }

    @Test func noMemberAnsweringIsAClearError() async throws {
        let ports = try await EtcdCluster.start(members: 1)
        let servers = ports.servers
        ports.stop()
        let started = ContinuousClock.now
        do {
            _ = try await EtcdBackend.connect(try EtcdEndpoints(servers: servers), requestTimeout: .seconds(1), connectTimeout: .seconds(2))
            Issue.record("expected a failure")
        } catch {
            #expect("\(error)".contains("cannot reach etcd at 127.0.0.1:"), "\(error)")
        }
        // Bounded, not hanging: 2 s to connect and 1 s per request take 3–4 s on an idle machine; a loaded CI trial
        // took 14 s.
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
