import FlotillaAPI
import FlotillaMEC
import Testing

/// `SessionGuard`'s rules, one row each, with the expected action worked out from its comment.
@Suite struct SessionGuardTests {
    static func session(primary: String, standby: String? = nil) -> AppSession {
        var status = AppSessionStatus(site: String(primary.prefix(6)), endpoint: primary, phase: "Active")
        status.standbyEndpoint = standby
        status.standbySite = standby.map { String($0.prefix(6)) }
        return AppSession(metadata: ObjectMeta(name: "s", namespace: "default"), spec: AppSessionSpec(ue: "10.0.0.1", app: "game"), status: status)
    }

    static func instance(_ endpoint: String, ready: Bool = true, load: Int = 0) -> EdgeInstance {
        EdgeInstance(site: String(endpoint.prefix(6)), endpoint: endpoint, ready: ready, capacity: 2, load: load)
    }

    static let rtt = ["edge-1": 5.0, "edge-2": 9.0, "edge-3": 14.0]

    struct Row: Sendable, CustomStringConvertible {
        var description: String
        var session: AppSession
        var instances: [EdgeInstance]
        var expected: SessionGuard.Action
    }

    static let rows: [Row] = [
        Row(description: "primary lost, standby ready: promote", session: session(primary: "edge-1:1", standby: "edge-2:1"),
            instances: [instance("edge-1:1", ready: false), instance("edge-2:1")], expected: .promote(instance("edge-2:1"))),
        Row(description: "primary gone from the list, standby ready: promote", session: session(primary: "edge-1:1", standby: "edge-2:1"),
            instances: [instance("edge-2:1")], expected: .promote(instance("edge-2:1"))),
        Row(description: "both lost: nothing to do", session: session(primary: "edge-1:1", standby: "edge-2:1"),
            instances: [instance("edge-1:1", ready: false), instance("edge-2:1", ready: false), instance("edge-3:1")], expected: .none),
        Row(description: "no standby: the next-best other site", session: session(primary: "edge-1:1"),
            instances: [instance("edge-1:1"), instance("edge-1:2"), instance("edge-3:1"), instance("edge-2:1")], expected: .assignStandby(instance("edge-2:1"))),
        Row(description: "standby lost: a new one, a full instance skipped", session: session(primary: "edge-1:1", standby: "edge-2:1"),
            instances: [instance("edge-1:1"), instance("edge-2:1", ready: false), instance("edge-2:2", load: 2), instance("edge-3:1")],
            expected: .assignStandby(instance("edge-3:1"))),
        Row(description: "only the primary's site: another instance there", session: session(primary: "edge-1:1"),
            instances: [instance("edge-1:1"), instance("edge-1:2")], expected: .assignStandby(instance("edge-1:2"))),
        Row(description: "primary and standby ready: nothing", session: session(primary: "edge-1:1", standby: "edge-2:1"),
            instances: [instance("edge-1:1"), instance("edge-2:1")], expected: .none),
    ]

    @Test(arguments: rows)
    func decides(_ row: Row) {
        #expect(SessionGuard.decide(row.session, instances: row.instances, rttMs: Self.rtt) == row.expected)
    }
}
