import Prometheus
import Synchronization

/// The data gateway's counters in Prometheus' exposition format (`/metrics` of `flotilla gateway`):
///
///     flotilla_gateway_flow_packets_total{site, flow, direction="uplink|downlink|held|dropped"}
///     flotilla_gateway_rule_packets_total{site, rule, action}
///     flotilla_gateway_dropped_packets_total{site, reason}
///     flotilla_gateway_malformed_packets_total{site}
///     flotilla_gateway_pending_holds_total{site, began="after-packet|at-bound"}
///
/// Counters are looked up once per flow, rule and reason and kept, so a packet costs a dictionary read.
public final class GatewayMetrics: Sendable {
    public struct FlowCounters: Sendable {
        public let uplink: Counter
        public let downlink: Counter
        public let held: Counter
        public let dropped: Counter
    }

    public let registry: PrometheusCollectorRegistry
    let site: String
    let flows = Mutex<[FlowKey: FlowCounters]>([:])
    let rules = Mutex<[String: [String: Counter]]>([:])
    let drops = Mutex<[String: Counter]>([:])
    let malformed: Counter
    /// Holds that waited for their flows' next packet, by how they began.
    let holdAligned: Counter
    let holdUnaligned: Counter

    public init(site: String = "", registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.site = site
        malformed = registry.makeCounter(name: "flotilla_gateway_malformed_packets_total", labels: [("site", site)],
                                         help: "Datagrams that were not GTP-U G-PDUs carrying IPv4/UDP.")
        let holds = "Holds that waited for their flows' next packet: begun right after one, or at the wait's bound (no packet came, or a new version came first)."
        holdAligned = registry.makeCounter(name: "flotilla_gateway_pending_holds_total", labels: [("site", site), ("began", "after-packet")], help: holds)
        holdUnaligned = registry.makeCounter(name: "flotilla_gateway_pending_holds_total", labels: [("site", site), ("began", "at-bound")], help: holds)
    }

    func flow(_ key: FlowKey) -> FlowCounters {
        if let counters = flows.withLock({ $0[key] }) { return counters }
        func make(_ direction: String) -> Counter {
            registry.makeCounter(name: "flotilla_gateway_flow_packets_total", labels: [("site", site), ("flow", key.description), ("direction", direction)],
                                 help: "Packets per flow: forwarded up, answered down, held for a move, dropped.")
        }
        let counters = FlowCounters(uplink: make("uplink"), downlink: make("downlink"), held: make("held"), dropped: make("dropped"))
        flows.withLock { $0[key] = counters }
        return counters
    }

    func rule(_ key: String, _ action: String) -> Counter {
        if let counter = rules.withLock({ $0[key]?[action] }) { return counter }
        let counter = registry.makeCounter(name: "flotilla_gateway_rule_packets_total", labels: [("site", site), ("rule", key), ("action", action)],
                                           help: "Packets each TrafficRule decided, by the action taken.")
        rules.withLock { $0[key, default: [:]][action] = counter }
        return counter
    }

    func dropped(_ reason: String) -> Counter {
        if let counter = drops.withLock({ $0[reason] }) { return counter }
        let counter = registry.makeCounter(name: "flotilla_gateway_dropped_packets_total", labels: [("site", site), ("reason", reason)],
                                           help: "Packets dropped: by a DROP rule, a full or expired hold, no default route.")
        drops.withLock { $0[reason] = counter }
        return counter
    }

    public func exposition() -> String { registry.emitToString() }
}
