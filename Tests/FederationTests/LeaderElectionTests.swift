import FlotillaAPI
import FlotillaControllers
import FlotillaRuntime
import FlotillaStore
import FlotillaTestSupport
import Foundation
import KubeClient
import Synchronization
import Testing

/// The pure election: client-go's rules, one row per situation.
@Suite struct LeaderElectionTests {
    static let t0 = Date(timeIntervalSince1970: 1_800_000_000)
    static let config = LeaderElection.Configuration(identity: "a")

    static func held(by holder: String?, renewed: Date = t0, transitions: Int32 = 3) -> LeaseSpec {
        LeaseSpec(holderIdentity: holder, leaseDurationSeconds: 15, acquireTime: Lease.microTime(t0), renewTime: Lease.microTime(renewed),
                  leaseTransitions: transitions)
    }

    @Test func noLeaseIsCreatedHeldByMe() {
        var election = LeaderElection(Self.config)
        guard case .create(let spec) = election.decide(nil, now: Self.t0) else { Issue.record("expected create"); return }
        #expect(spec.holderIdentity == "a" && spec.leaseDurationSeconds == 15 && spec.leaseTransitions == 0)
        #expect(spec.acquireTime == spec.renewTime)
        #expect(!election.isLeading(at: Self.t0), "leading starts only when the write succeeded")
        election.wrote(spec, at: Self.t0)
        #expect(election.isLeading(at: Self.t0 + 9.9))
        #expect(!election.isLeading(at: Self.t0 + 10), "the renew deadline (10 s) passed without a renewal")
    }

    /// Another holder's Lease is taken only after it has not changed for the lease duration on *this* clock; the
    /// holder's renewTime (another machine's clock) is never compared with it.
    @Test(arguments: [
        (seen: 0.0, now: 14.9, takes: false),
        (seen: 0.0, now: 15.0, takes: true),
        (seen: 10.0, now: 20.0, takes: false),  // first seen at 10 s: expires at 25 s whatever renewTime says
        (seen: 10.0, now: 25.0, takes: true),
    ])
    func anotherHoldersLeaseExpiresByMyClock(seen: Double, now: Double, takes: Bool) {
        var election = LeaderElection(Self.config)
        let lease = Self.held(by: "b", renewed: Self.t0 - 3600)
        #expect(election.decide(lease, now: Self.t0 + seen) == .wait(holder: "b"))
        let action = election.decide(lease, now: Self.t0 + now)
        if takes {
            guard case .update(let spec) = action else { Issue.record("expected update, got \(action)"); return }
            #expect(spec.holderIdentity == "a" && spec.leaseTransitions == 4 && spec.acquireTime == Lease.microTime(Self.t0 + now))
        } else {
            #expect(action == .wait(holder: "b"))
        }
    }

    @Test func aRenewedLeaseStartsTheWaitAgain() {
        var election = LeaderElection(Self.config)
        _ = election.decide(Self.held(by: "b"), now: Self.t0)
        #expect(election.decide(Self.held(by: "b", renewed: Self.t0 + 2), now: Self.t0 + 14) == .wait(holder: "b"))
        #expect(election.decide(Self.held(by: "b", renewed: Self.t0 + 2), now: Self.t0 + 28) == .wait(holder: "b"))
        guard case .update = election.decide(Self.held(by: "b", renewed: Self.t0 + 2), now: Self.t0 + 29) else {
            Issue.record("expected the lease taken 15 s after its last change was seen")
            return
        }
    }

    @Test func renewingKeepsAcquireTimeAndTransitions() {
        var election = LeaderElection(Self.config)
        let mine = Self.held(by: "a")
        guard case .update(let spec) = election.decide(mine, now: Self.t0 + 2) else { Issue.record("expected update"); return }
        #expect(spec.acquireTime == mine.acquireTime && spec.leaseTransitions == 3 && spec.renewTime == Lease.microTime(Self.t0 + 2))
    }

    @Test func aReleasedLeaseIsTakenAtOnceAndReleaseNeedsTheLease() {
        var election = LeaderElection(Self.config)
        #expect(election.release(at: Self.t0) == nil)
        guard case .update(let spec) = election.decide(Self.held(by: nil), now: Self.t0) else { Issue.record("expected update"); return }
        election.wrote(spec, at: Self.t0)
        let released = election.release(at: Self.t0 + 1)
        #expect(released?.holderIdentity == nil && released?.leaseDurationSeconds == 1)
    }

    @Test func configurationsThatLetTwoLeadersOverlapAreRefused() {
        #expect(LeaderElection.Configuration(identity: "a").problems().isEmpty)
        #expect(!LeaderElection.Configuration(identity: "a", leaseDuration: .seconds(10), renewDeadline: .seconds(10)).problems().isEmpty)
        #expect(!LeaderElection.Configuration(identity: "a", renewDeadline: .seconds(2), retryPeriod: .seconds(2)).problems().isEmpty)
        #expect(!LeaderElection.Configuration(identity: "").problems().isEmpty)
    }

    @Test func microTimeRoundTrips() throws {
        let date = Date(timeIntervalSince1970: 1_800_000_000.123456)
        let text = Lease.microTime(date)
        #expect(text == "2027-01-15T08:00:00.123456Z")
        let back = try #require(Lease.time(text))
        #expect(abs(back.timeIntervalSince(date)) < 0.000_002)
        #expect(Lease.time("2027-01-15T08:00:00Z") != nil)
        #expect(Lease.time("yesterday") == nil)
    }
}

/// Two electors on one store, as two replicas: one leads at a time, a replica cut off from the store stops its
/// controllers before the other starts them, and a replica that stops hands over at once.
@Suite struct LeaderElectorTests {
    /// Fast timings, with room for a loaded machine: lease 4 s, deadline 3 s, retry 0.5 s.
    static func configuration(_ identity: String) -> LeaderElection.Configuration {
        LeaderElection.Configuration(identity: identity, leaseDuration: .seconds(4), renewDeadline: .seconds(3),
                                     retryPeriod: .milliseconds(500))
    }

    /// When each replica's controllers ran, from inside the controllers.
    final class Timeline: Sendable {
        let terms = Mutex<[(identity: String, start: ContinuousClock.Instant, end: ContinuousClock.Instant?)]>([])

        func lead(_ identity: String) -> @Sendable () async -> Void {
            { [self] in
                let index = terms.withLock { terms in
                    terms.append((identity, .now, nil))
                    return terms.count - 1
                }
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(20)) }
                terms.withLock { $0[index].end = .now }
            }
        }

        var leaders: [String] { terms.withLock { $0.map(\.identity) } }
        var running: [String] { terms.withLock { $0.filter { $0.end == nil }.map(\.identity) } }

        /// No two terms overlap.
        var exclusive: Bool {
            terms.withLock { terms in
                let sorted = terms.sorted { $0.start < $1.start }
                return zip(sorted, sorted.dropFirst()).allSatisfy { earlier, later in (earlier.end.map { $0 <= later.start }) ?? false }
            }
        }
    }

    /// A client whose store can be cut off: every call then fails after hanging a while (a partition).
    final class Cut: Sendable {
        let on = Atomic<Bool>(false)
    }

    static func partitionable(_ store: any ObjectClient, _ cut: Cut) -> InterceptingClient {
        InterceptingClient(inner: store) { _, _ throws(APIError) in
            if cut.on.load(ordering: .acquiring) {
                try? await Task.sleep(for: .milliseconds(300))
                throw APIError(.serviceUnavailable, "partitioned")
            }
        }
    }

    func holder(_ client: any ObjectClient) async -> String? {
        guard let json = try? await client.get(Lease.descriptor, namespace: "kube-system", name: "flotilla-controller-manager") else { return nil }
        return (try? Lease(json: json))?.spec?.holderIdentity
    }

    @Test func oneLeadsACutOffLeaderStepsDownFirstAndAStoppedOneHandsOver() async throws {
        let store = StoreObjectClient(store: ResourceStore.memory())
        let timeline = Timeline()
        let cutA = Cut()
        let a = Self.partitionable(store, cutA), b = Self.partitionable(store, Cut())
        let electorA = LeaderElector(client: a, configuration: Self.configuration("a"), lead: timeline.lead("a"))
        let electorB = LeaderElector(client: b, configuration: Self.configuration("b"), lead: timeline.lead("b"))
        let runA = Task { try await electorA.run() }
        try await waitUntil("a leads", seconds: 30) { timeline.running == ["a"] }
        let runB = Task { try await electorB.run() }
        try await Task.sleep(for: .seconds(2))
        #expect(timeline.running == ["a"], "b waits while a renews")
        #expect(await holder(store) == "a")

        // a is cut off from the store: it stops its controllers (deadline 3 s), then b takes the lease (4 s after it
        // last saw it change).
        cutA.on.store(true, ordering: .releasing)
        try await waitUntil("b leads", seconds: 30) { timeline.running == ["b"] }
        #expect(timeline.exclusive, "a's controllers stopped before b's started")
        #expect(await holder(store) == "b")

        // a comes back and follows; b stops (graceful shutdown cancels the run): it releases, a takes over at once.
        cutA.on.store(false, ordering: .releasing)
        try await Task.sleep(for: .milliseconds(900))
        #expect(timeline.running == ["b"])
        runB.cancel()
        _ = try? await runB.value
        // Released, not left to expire: no holder (or already a, on its next try).
        let released = try Lease(json: try await store.get(Lease.descriptor, namespace: "kube-system", name: "flotilla-controller-manager"))
        #expect(released.spec?.holderIdentity != "b", "\(String(describing: released.spec))")
        try await waitUntil("a leads again", seconds: 30) { timeline.running == ["a"] }
        #expect(timeline.leaders == ["a", "b", "a"])
        #expect(timeline.exclusive)
        runA.cancel()
        _ = try? await runA.value
        #expect(timeline.running.isEmpty)
        let lease = try Lease(json: try await store.get(Lease.descriptor, namespace: "kube-system", name: "flotilla-controller-manager"))
        #expect(lease.spec?.leaseTransitions == 2 && lease.spec?.holderIdentity == nil)
    }

    /// client-go's own timings (15 s / 10 s / 2 s) on a manual clock: minutes of election in about a second of real
    /// time. The leader cut off from the store stops its controllers within renew deadline + retry of its last
    /// renewal, and the other starts them a lease duration after it last saw the Lease change, never before.
    @Test func defaultTimingsOnAManualClock() async throws {
        let clock = ManualRuntimeClock()
        let store = StoreObjectClient(store: ResourceStore.memory())
        let terms = Mutex<[(identity: String, start: Duration, end: Duration?)]>([])
        func lead(_ identity: String) -> @Sendable () async -> Void {
            {
                let index = terms.withLock { terms in
                    terms.append((identity, clock.elapsed, nil))
                    return terms.count - 1
                }
                while !Task.isCancelled { try? await clock.sleep(for: .milliseconds(100)) }
                terms.withLock { $0[index].end = clock.elapsed }
            }
        }
        let cut = Cut()
        let partitioned = InterceptingClient(inner: store) { _, _ throws(APIError) in
            if cut.on.load(ordering: .acquiring) {
                try? await Task.sleep(for: .seconds(60))  // hangs until the elector gives the attempt up
                throw APIError(.serviceUnavailable, "partitioned")
            }
        }
        let a = LeaderElector(client: partitioned, configuration: LeaderElection.Configuration(identity: "a"), clock: clock, lead: lead("a"))
        let b = LeaderElector(client: store, configuration: LeaderElection.Configuration(identity: "b"), clock: clock, lead: lead("b"))
        let runA = Task { try await a.run() }
        /// Moves the clock in 100 ms steps, letting the electors run between them, until `condition` or `limit`.
        func advance(until condition: () -> Bool, limit: Duration) async throws {
            let end = clock.elapsed + limit
            while !condition(), clock.elapsed < end {
                clock.advance(by: .milliseconds(100))
                try await Task.sleep(for: .milliseconds(3))
            }
        }
        try await advance(until: { terms.withLock { $0.first?.identity == "a" } }, limit: .seconds(5))
        #expect(terms.withLock { $0.first?.identity } == "a")
        let runB = Task { try await b.run() }
        try await advance(until: { false }, limit: .seconds(20))
        #expect(terms.withLock { $0.count } == 1, "a keeps renewing for 20 s; b waits")
        let cutAt = clock.elapsed
        cut.on.store(true, ordering: .releasing)
        try await advance(until: { terms.withLock { $0.contains { $0.identity == "b" } } }, limit: .seconds(40))
        let (aTerm, bTerm) = terms.withLock { ($0[0], $0.first { $0.identity == "b" }) }
        let aEnd = try #require(aTerm.end), bStart = try #require(bTerm?.start)
        print("manual clock: a cut off at \(cutAt); a's controllers stopped at \(aEnd), b's started at \(bStart)")
        #expect(aEnd <= bStart, "no overlap")
        #expect(aEnd - cutAt <= .seconds(12), "a stops within renew deadline + retry of its last renewal")
        #expect(bStart - cutAt >= .seconds(13) && bStart - cutAt <= .seconds(20), "b waits out the 15 s lease from its last view of a renewal")
        runA.cancel(); runB.cancel()
        cut.on.store(false, ordering: .releasing)
        for _ in 0..<50 { clock.advance(by: .milliseconds(100)); try await Task.sleep(for: .milliseconds(2)) }
        _ = try? await runA.value; _ = try? await runB.value
    }
}
