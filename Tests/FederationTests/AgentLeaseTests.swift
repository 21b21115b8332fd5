@testable import FlotillaControllers
import FlotillaAPI
import Foundation
import Testing

/// The pure parts of Pull mode: how the control plane judges an agent by its Lease, and what a renewal writes.
@Suite struct AgentLeaseTests {
    static let stamp = Timestamp(seconds: 1_800_000_000)
    static let ready = [Condition(type: "Ready", status: .true, reason: "ClusterReady", message: "ok")]

    /// | look at | Lease version | Ready after |
    /// |---|---|---|
    /// | 0 s | "5" (first look) | unchanged |
    /// | 1 s | "5" | unchanged (< 2 s grace) |
    /// | 2 s | "5" | Unknown |
    /// | 2.5 s | "6" (renewed) | unchanged: the clock starts again |
    /// | 4 s | "6" | unchanged |
    /// | 4.5 s | "6" | Unknown |
    @Test func silentForTheGracePeriodIsUnknownAndARenewalStartsTheClockAgain() {
        var watch = AgentLeaseWatch(grace: .seconds(2))
        let looks: [(Duration, String?, Bool)] = [
            (.zero, "5", false), (.seconds(1), "5", false), (.seconds(2), "5", true),
            (.milliseconds(2500), "6", false), (.seconds(4), "6", false), (.milliseconds(4500), "6", true),
        ]
        for (at, version, unknown) in looks {
            let conditions = watch.observe(leaseVersion: version, at: at, conditions: Self.ready, timestamp: Self.stamp)
            #expect((conditions?[type: "Ready"]?.status == .unknown) == unknown, "at \(at)")
            if unknown { #expect(conditions?[type: "Ready"]?.reason == "ClusterStatusUnknown") }
        }
    }

    @Test func anAgentThatNeverRenewedGetsTheGracePeriodFromTheFirstLook() {
        var watch = AgentLeaseWatch(grace: .seconds(40))
        #expect(watch.observe(leaseVersion: nil, at: .seconds(100), conditions: [], timestamp: Self.stamp) == nil)
        #expect(watch.observe(leaseVersion: nil, at: .seconds(139), conditions: [], timestamp: Self.stamp) == nil)
        let unknown = watch.observe(leaseVersion: nil, at: .seconds(140), conditions: [], timestamp: Self.stamp)
        #expect(unknown?[type: "Ready"]?.status == .unknown && unknown?[type: "Ready"]?.message?.contains("has not renewed") == true)
        // A Lease that appears is a change: the agent counts as alive again.
        #expect(watch.observe(leaseVersion: "1", at: .seconds(141), conditions: unknown ?? [], timestamp: Self.stamp) == nil)
    }

    @Test func theMessageStaysTheSameSoTheStatusIsWrittenOnce() {
        var watch = AgentLeaseWatch(grace: .seconds(1))
        _ = watch.observe(leaseVersion: "1", at: .zero, conditions: Self.ready, timestamp: Self.stamp)
        let first = watch.observe(leaseVersion: "1", at: .seconds(2), conditions: Self.ready, timestamp: Self.stamp)
        let second = watch.observe(leaseVersion: "1", at: .seconds(30), conditions: first ?? [], timestamp: Timestamp(seconds: 1_800_000_030))
        #expect(first == second)
    }

    @Test func aRenewalHoldsTheLeaseForTheClusterAndCountsTakeovers() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let fresh = AgentLease.renewed(nil, cluster: "edge-9", interval: .seconds(10), now: now)
        #expect(fresh.holderIdentity == "edge-9" && fresh.leaseDurationSeconds == 40 && fresh.leaseTransitions == 0)
        #expect(fresh.renewTime == fresh.acquireTime && fresh.renewTime != nil)
        let later = AgentLease.renewed(fresh, cluster: "edge-9", interval: .seconds(10), now: now.addingTimeInterval(10))
        #expect(later.acquireTime == fresh.acquireTime && later.renewTime != fresh.renewTime && later.leaseTransitions == 0)
        let taken = AgentLease.renewed(LeaseSpec(holderIdentity: "someone", leaseTransitions: 3), cluster: "edge-9",
                                       interval: .seconds(10), now: now)
        #expect(taken.holderIdentity == "edge-9" && taken.leaseTransitions == 4)
    }
}
