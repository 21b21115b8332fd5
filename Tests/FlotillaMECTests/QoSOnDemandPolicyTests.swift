import FlotillaAPI
import Testing
@testable import FlotillaMEC

/// When a session's UE gets a QoS flow and when it gives it back (budget 30 ms, within 5 ms): the request band, the
/// release band three times as wide, nothing in between and nothing without a round trip.
@Suite struct QoSOnDemandPolicyTests {
    struct Case: Sendable, CustomStringConvertible {
        var held: Bool
        var rtt: Double?
        var action: QoSOnDemandPolicy.Action
        var description: String { "\(held ? "held" : "none") at \(rtt.map { "\($0)" } ?? "no RTT")" }
    }

    static let cases: [Case] = [
        Case(held: false, rtt: 24.9, action: .none),
        Case(held: false, rtt: 25.1, action: .request),
        Case(held: false, rtt: 41, action: .request),
        Case(held: false, rtt: nil, action: .none),
        Case(held: true, rtt: 25.1, action: .none),
        Case(held: true, rtt: 15.1, action: .none),
        Case(held: true, rtt: 14.9, action: .release),
        Case(held: true, rtt: nil, action: .none),
    ]

    @Test(arguments: cases)
    func decides(_ c: Case) {
        #expect(QoSOnDemandPolicy.decide(held: c.held, rttMs: c.rtt, budgetMs: 30, withinMs: 5) == c.action)
    }

    /// A 4G flow saves 10 ms: released at 14.9 ms, the round trip is 24.9 ms — outside the request band, so no flap.
    @Test func aReleasedFlowIsNotAskedForAgainAtOnce() {
        #expect(QoSOnDemandPolicy.decide(held: true, rttMs: 14.9, budgetMs: 30, withinMs: 5) == .release)
        #expect(QoSOnDemandPolicy.decide(held: false, rttMs: 14.9 + 10, budgetMs: 30, withinMs: 5) == .none)
    }

    /// `spec.qosOnDemand` is refused (422) without a budget to measure against, with a band outside it, or without
    /// the QoS to ask for.
    @Test func anAppProfileAsksForQoSOnlyAgainstABudget() {
        func fields(budget: Double?, _ qos: QoSOnDemand) -> [String] {
            var spec = AppProfileSpec(workloads: [ResourceSelector(apiVersion: "apps/v1", kind: "Deployment", name: "game")], latencyBudgetMs: budget)
            spec.qosOnDemand = qos
            return AppProfile(metadata: ObjectMeta(name: "game", namespace: "default"), spec: spec).validate().map { $0.field.description }
        }
        #expect(fields(budget: 30, QoSOnDemand(qosReference: "low-latency")).isEmpty)
        #expect(fields(budget: nil, QoSOnDemand(qosReference: "low-latency")) == ["spec.latencyBudgetMs"])
        #expect(fields(budget: 30, QoSOnDemand(qosReference: "low-latency", withinMs: 31)) == ["spec.qosOnDemand.withinMs"])
        #expect(fields(budget: 30, QoSOnDemand(qosReference: "", withinMs: 0)) == ["spec.qosOnDemand.qosReference", "spec.qosOnDemand.withinMs"])
    }
}
