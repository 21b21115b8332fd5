import EdgeClusterSim
import FlotillaAPI
import FlotillaAppKit
import FlotillaControllers
import FlotillaMEC
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Testing

/// Migration is crash-safe: a freeze is a lease, an unfinished migration is finished or rolled back from its record,
/// and a lost answer never leaves two live copies. Against real `flotilla/counter` instances.
@Suite(.serialized) struct MigrationCrashTests {
    /// Two counter instances (edge-a, edge-b), an in-memory control plane, session s1 at edge-a ticked to 5.
    struct Rig {
        let a: any RunningWorkload
        let b: any RunningWorkload
        let client: StoreObjectClient
        let transport: HTTPTransport

        var source: String { "127.0.0.1:\(a.port)" }
        var target: String { "127.0.0.1:\(b.port)" }

        static func with(_ body: (Rig) async throws -> Void) async throws {
            let a = try await CounterWorkload.start(WorkloadContext(site: "edge-a", namespace: "default", pod: "a", image: "flotilla/counter:1"))
            let b = try await CounterWorkload.start(WorkloadContext(site: "edge-b", namespace: "default", pod: "b", image: "flotilla/counter:1"))
            let rig = Rig(a: a, b: b, client: StoreObjectClient(store: ResourceStore.memory()), transport: HTTPTransport())
            try await withCleanup({
                _ = try await rig.client.create(Namespace.descriptor, Namespace(name: "default").json())
                _ = try await rig.client.create(AppProfile.descriptor, MigrationFaultTests.profile.json())
                #expect(try await rig.transport.send(.POST, "http://\(rig.source)/sessions/s1").status == 201)
                for seq in 1...5 { _ = try await rig.tick(rig.source, seq) }
                var session = try AppSession(json: try await rig.client.create(AppSession.descriptor,
                    AppSession(metadata: ObjectMeta(name: "s1", namespace: "default"), spec: AppSessionSpec(ue: "10.0.0.9", app: "counter")).json()))
                session.status = AppSessionStatus(site: "edge-a", endpoint: rig.source, phase: "Migrating")
                _ = try await rig.client.updateStatus(AppSession.descriptor, session.json())
                try await body(rig)
            }, cleanup: {
                await a.stop()
                await b.stop()
                await rig.transport.shutdown()
            })
        }

        /// Advances the counter at `endpoint`; the reply's HTTP status, and the counter when applied.
        func tick(_ endpoint: String, _ seq: Int) async throws -> (status: Int, counter: Int?) {
            let reply = try await transport.send(.POST, "http://\(endpoint)/sessions/s1/tick?seq=\(seq)")
            return (reply.status, reply.status == 200 ? (try JSONValue.parse(Array(reply.body)))["counter"]?.int64Value.map(Int.init) : nil)
        }

        func held(_ endpoint: String) async -> MigrationRecovery.Held {
            await StateTransferClient(transport: transport).held(at: endpoint, session: "s1")
        }

        /// What a runner had done when it died: the record in Transferring, the source frozen with a lease, the state
        /// imported at the target, and (when `resumed`) the target resumed.
        func interruptedMigration(resumed: Bool, leaseMs: Int = 60_000) async throws -> SessionMigration {
            var spec = SessionMigrationSpec(session: "s1", targetSite: "edge-b", reason: "BetterSite")
            spec.sourceSite = "edge-a"
            spec.sourceEndpoint = source
            spec.targetEndpoint = target
            var record = try SessionMigration(json: try await client.create(SessionMigration.descriptor,
                SessionMigration(metadata: ObjectMeta(name: "s1-crash", namespace: "default"), spec: spec).json()))
            record.status = SessionMigrationStatus(phase: "Transferring")
            record = try SessionMigration(json: try await client.updateStatus(SessionMigration.descriptor, record.json()))
            let transfer = StateTransferClient(transport: transport)
            let state = try await transfer.export(from: source, session: "s1", freeze: true, lease: .milliseconds(leaseMs), successor: target)
            try await transfer.importState(state, to: target, session: "s1", stage: "final")
            if resumed { try await transfer.resume(at: target, session: "s1") }
            return record
        }

        func record(_ name: String = "s1-crash") async throws -> SessionMigration {
            try SessionMigration(json: try await client.get(SessionMigration.descriptor, namespace: "default", name: name))
        }

        func session() async throws -> AppSession { try AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: "s1")) }

        /// A mobility service started as after a restart: its recovery pass runs at once.
        func restartedMobility() -> (MobilityService, Task<Void, Never>) {
            let instances = StaticInstances([EdgeApp(profile: MigrationFaultTests.profile, instances: [
                EdgeInstance(site: "edge-a", endpoint: source), EdgeInstance(site: "edge-b", endpoint: target)])])
            let mobility = MobilityService(client: client, rtt: MigrationFaultTests.TableRTT(), instances: instances,
                runner: MigrationRunner(client: client, transport: transport),
                configuration: .init(interval: .seconds(3600), demandInterval: .seconds(3600)))
            return (mobility, Task { await mobility.run() })
        }
    }

    /// The control plane died after the freeze and the import (before the resume); the restarted mobility service
    /// rolls the migration back: the target's copy is dropped, the source resumes, and the counter goes on from 5.
    @Test func aRestartedServiceRollsBackAMigrationCutBeforeTheResume() async throws {
        try await Rig.with { rig in
            _ = try await rig.interruptedMigration(resumed: false)
            #expect(try await rig.tick(rig.source, 6).status == 409, "frozen while the migration is in flight")
            let (_, task) = rig.restartedMobility()
            defer { task.cancel() }
            try await waitUntil("the migration recovered", seconds: 10) { try await rig.record().status?.phase == "RolledBack" }
            #expect(await rig.held(rig.target) == .absent)
            #expect(try await rig.tick(rig.source, 6).counter == 6)
            let session = try await rig.session()
            #expect(session.status?.phase == "Active" && session.status?.endpoint == rig.source)
            task.cancel()
            await task.value
        }
    }

    /// The control plane died after the target resumed (the AppSession and the source's release never happened):
    /// recovery completes the move; the source is released, the AppSession points at the target.
    @Test func aRestartedServiceCompletesAMigrationCutAfterTheResume() async throws {
        try await Rig.with { rig in
            _ = try await rig.interruptedMigration(resumed: true)
            let (_, task) = rig.restartedMobility()
            try await waitUntil("the migration recovered", seconds: 10) { try await rig.record().status?.phase == "Completed" }
            let session = try await rig.session()
            #expect(session.status?.endpoint == rig.target && session.status?.site == "edge-b")
            #expect(await rig.held(rig.source) == .absent)
            #expect(try await rig.tick(rig.target, 6).counter == 6)
            #expect(try await rig.tick(rig.source, 7).status == 410)
            task.cancel()
            await task.value
        }
    }

    /// Nobody comes back at all: the source's lease ends, it asks the target to drop its unresumed copy, and resumes.
    /// Had the target resumed, the source would have released itself instead: never two live copies.
    @Test func aFrozenSourceResumesByItselfWhenItsLeaseEnds() async throws {
        try await Rig.with { rig in
            _ = try await rig.interruptedMigration(resumed: false, leaseMs: 300)
            try await waitUntil("the source serving again", seconds: 10) { await rig.held(rig.source) == .phase("Active") }
            #expect(await rig.held(rig.target) == .absent)
            #expect(try await rig.tick(rig.source, 6).counter == 6)
        }
        try await Rig.with { rig in
            // A lease long enough for the test to resume the target first, even on a loaded machine (a shorter one
            // ends before the resume, and the source rightly takes the session back).
            _ = try await rig.interruptedMigration(resumed: true, leaseMs: 2000)
            try await waitUntil("the source released", seconds: 10) { await rig.held(rig.source) == .absent }
            #expect(await rig.held(rig.target) == .phase("Active"))
            #expect(try await rig.tick(rig.target, 6).counter == 6)
        }
    }

    /// The successor is slow, not gone: it serves the session, and its answer to the source's ask comes after the
    /// source stopped waiting (a stalled machine). The source must not take that for "gone" and resume beside it: it
    /// stays frozen, asks again, hears 409 and releases itself. At no point do both serve.
    @Test func aSlowSuccessorsLateAnswerNeverLeavesTwoLiveCopies() async throws {
        try await Rig.with { rig in
            // The target's next release reply takes 3 s, past the keeper's 2 s wait.
            _ = try await rig.transport.send(.POST, "http://\(rig.target)/admin/faults?releaseReplyDelayMs=3000&releaseReplies=1")
            _ = try await rig.interruptedMigration(resumed: true, leaseMs: 1000)
            let start = ContinuousClock.now
            var sourceServed = false
            while await rig.held(rig.source) != .absent, ContinuousClock.now - start < .seconds(15) {
                if await rig.held(rig.source) == .phase("Active") { sourceServed = true }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(!sourceServed, "the source resumed while the target served")
            #expect(await rig.held(rig.source) == .absent)
            #expect(ContinuousClock.now - start > .seconds(2), "settled on the second ask, after the first went unanswered")
            #expect(await rig.held(rig.target) == .phase("Active"))
            #expect(try await rig.tick(rig.target, 6).counter == 6)
            #expect(try await rig.tick(rig.source, 7).status == 410)
        }
    }

    /// The target's resume happens but its reply comes after the runner gave up (the transport's 2 s): the runner asks
    /// the target, finds it serving, and completes instead of resuming the source.
    @Test func aLostResumeReplyEndsWithOneLiveCopy() async throws {
        try await Rig.with { rig in
            _ = try await rig.transport.send(.POST, "http://\(rig.target)/admin/faults?resumeReplyDelayMs=3000")
            let runner = MigrationRunner(client: rig.client, transport: rig.transport)
            let migrated = try await runner.migrate(MigrationRunner.Request(session: try rig.session(),
                target: EdgeInstance(site: "edge-b", endpoint: rig.target), reason: "Manual"))
            #expect(migrated.status?.phase == "Completed", "\(migrated.status?.message ?? "")")
            #expect(try await rig.session().status?.endpoint == rig.target)
            let source = await rig.held(rig.source), target = await rig.held(rig.target)
            #expect(source == .absent && target == .phase("Active"))
            #expect(try await rig.tick(rig.target, 6).counter == 6)
        }
    }

    /// The target dies while the state is on its way (its import stalls and the instance is killed): the migration
    /// rolls back and the session goes on at the source.
    @Test func aTargetKilledMidTransferRollsBack() async throws {
        try await Rig.with { rig in
            _ = try await rig.transport.send(.POST, "http://\(rig.target)/admin/faults?importDelayMs=1500")
            let runner = MigrationRunner(client: rig.client, transport: rig.transport)
            let session = try await rig.session()
            async let outcome = runner.migrate(MigrationRunner.Request(session: session, target: EdgeInstance(site: "edge-b", endpoint: rig.target),
                                                                      reason: "Manual"))
            try await Task.sleep(for: .milliseconds(500))
            // Killed, not stopped: a graceful stop would let the import it is waiting on finish and serve.
            _ = try await rig.transport.send(.POST, "http://\(rig.target)/admin/faults?killed=true")
            await rig.b.stop()
            let migrated = try await outcome
            #expect(migrated.status?.phase == "RolledBack", "\(migrated.status?.message ?? "")")
            #expect(try await rig.tick(rig.source, 6).counter == 6)
            #expect(try await rig.session().status?.endpoint == rig.source)
        }
    }

    /// A step sent to an instance that is gone (its port refuses) is known not to have happened: that is what lets
    /// the runner roll back a resume the target never received instead of leaving the move to the source's lease.
    @Test func aStepToAGoneInstanceIsKnownNotToHaveArrived() async throws {
        try await Rig.with { rig in
            await rig.b.stop()
            do throws(MECError) {
                _ = try await rig.transport.send(.POST, "http://\(rig.target)/mec/state/v1/sessions/s1/resume")
                Issue.record("a stopped instance answered")
            } catch {
                #expect(error.mayHaveArrived == false, "\(error.message)")
            }
        }
    }

    /// The real thing: the process running the migration is killed with SIGKILL while the source is frozen and the
    /// target's import is under way. A mobility service over the same SQLite store then rolls the migration back
    /// from its record, and the session goes on at the source from where it was.
    @Test func aControlPlaneKilledWithSIGKILLMidMigrationIsRecoveredFromItsStore() async throws {
        let runnerURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("MigrationCrashRunner")
        try #require(FileManager.default.isExecutableFile(atPath: runnerURL.path), "build MigrationCrashRunner first")
        let a = try await CounterWorkload.start(WorkloadContext(site: "edge-a", namespace: "default", pod: "a", image: "flotilla/counter:1"))
        let b = try await CounterWorkload.start(WorkloadContext(site: "edge-b", namespace: "default", pod: "b", image: "flotilla/counter:1"))
        let transport = HTTPTransport()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("flotilla-migration-crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let source = "127.0.0.1:\(a.port)", target = "127.0.0.1:\(b.port)"
        let child = Process()
        try await withCleanup({
            #expect(try await transport.send(.POST, "http://\(source)/sessions/s1").status == 201)
            for seq in 1...5 { _ = try await transport.send(.POST, "http://\(source)/sessions/s1/tick?seq=\(seq)") }
            _ = try await transport.send(.POST, "http://\(target)/admin/faults?importDelayMs=4000")
            let path = directory.appendingPathComponent("flotilla.sqlite").path
            child.executableURL = runnerURL
            child.arguments = [path, source, target]
            child.standardOutput = FileHandle.nullDevice
            try child.run()
            let transfer = StateTransferClient(transport: transport)
            try await waitUntil("the source frozen by the child's migration", seconds: 20, every: .milliseconds(20)) {
                await transfer.held(at: source, session: "s1") == .phase("Frozen")
            }
            kill(child.processIdentifier, SIGKILL)
            child.waitUntilExit()
            #expect(child.terminationReason == .uncaughtSignal)

            let client = StoreObjectClient(store: try ResourceStore.sqlite(path: path))
            let records = try await client.list(SessionMigration.descriptor, namespace: "default", options: .everything).items
                .compactMap { try? SessionMigration(json: $0) }
            #expect(records.count == 1 && records.first?.status?.phase == "Transferring", "the record the killed runner left")
            _ = try await client.create(AppProfile.descriptor, MigrationFaultTests.profile.json())
            let mobility = MobilityService(client: client, rtt: MigrationFaultTests.TableRTT(), instances: StaticInstances([EdgeApp(
                profile: MigrationFaultTests.profile, instances: [EdgeInstance(site: "edge-a", endpoint: source), EdgeInstance(site: "edge-b", endpoint: target)])]),
                runner: MigrationRunner(client: client, transport: transport), configuration: .init(interval: .seconds(3600), demandInterval: .seconds(3600)))
            let running = Task { await mobility.run() }
            defer { running.cancel() }
            let name = try #require(records.first?.metadata.name)
            try await waitUntil("the migration rolled back", seconds: 20) {
                try SessionMigration(json: try await client.get(SessionMigration.descriptor, namespace: "default", name: name)).status?.phase == "RolledBack"
            }
            let tick = try await transport.send(.POST, "http://\(source)/sessions/s1/tick?seq=6")
            #expect((try JSONValue.parse(Array(tick.body)))["counter"]?.int64Value == 6, "the session goes on at the source from where it was")
            #expect(await transfer.held(at: target, session: "s1") != .phase("Active"))
            let session = try AppSession(json: try await client.get(AppSession.descriptor, namespace: "default", name: "s1"))
            #expect(session.status?.endpoint == source && session.status?.phase == "Active")
            running.cancel()
            await running.value
        }, cleanup: {
            if child.isRunning { child.terminate() }
            await a.stop()
            await b.stop()
            await transport.shutdown()
            try? FileManager.default.removeItem(at: directory)
        })
    }

    @Test(arguments: [
        (MigrationRecovery.Held.phase("Active"), MigrationRecovery.Held.phase("Active"), MigrationRecovery.Action.complete),
        (.phase("Frozen"), .phase("Active"), .complete),
        (.phase("Frozen"), .phase("Imported"), .rollBack),
        (.phase("Active"), .unknown, .rollBack),
        (.absent, .phase("Imported"), .resumeTarget),
        (.unknown, .phase("Imported"), .resumeTarget),
        (.absent, .absent, .fail("neither instance holds the session (source: not there, target: not there)")),
    ] as [(MigrationRecovery.Held, MigrationRecovery.Held, MigrationRecovery.Action)])
    func recoveryTable(source: MigrationRecovery.Held, target: MigrationRecovery.Held, expected: MigrationRecovery.Action) {
        #expect(MigrationRecovery.decide(source: source, target: target) == expected)
    }
}
