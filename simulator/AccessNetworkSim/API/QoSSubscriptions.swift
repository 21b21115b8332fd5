import FlotillaAPI
import Synchronization

/// The NEF's AsSessionWithQoS subscriptions (3GPP TS 29.122), and their notifications: each UE's low-latency flow
/// granted or lost (`QoSChange`) goes to every subscription for that UE as a UserPlaneNotificationData, through the
/// subscription's own outbox (`CallbackDelivery`: in order, retried, never blocking the engine).
public final class QoSSubscriptions: Sendable {
    public struct Entry: Sendable {
        public var id: String
        public var scsAsId: String
        public var ue: Int
        public var callbackURL: String
        /// The subscription as the AF sent it, with `self` filled in.
        public var representation: JSONValue
        public var guaranteed: Bool
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var byUE: [Int: Set<String>] = [:]
        var deliveries: [String: CallbackDelivery] = [:]
        var nextID = 0
    }

    private let state = Mutex(State())
    let sender: any NotificationSender

    init(sender: any NotificationSender) { self.sender = sender }

    static func path(scsAsId: String) -> String { "/3gpp-as-session-with-qos/v1/\(scsAsId)/subscriptions" }

    func newID() -> String { state.withLock { $0.nextID += 1; return "qos-\($0.nextID)" } }

    /// Adds a subscription and sends its first report: the resources were, or were not, allocated.
    func add(_ entry: Entry, root: String) {
        let delivery = CallbackDelivery(subscription: entry.id, url: entry.callbackURL, sender: sender)
        state.withLock { state in
            state.entries[entry.id] = entry
            state.byUE[entry.ue, default: []].insert(entry.id)
            state.deliveries[entry.id] = delivery
        }
        delivery.enqueue(Self.notification(entry, event: entry.guaranteed ? "SUCCESSFUL_RESOURCES_ALLOCATION" : "FAILED_RESOURCES_ALLOCATION",
                                           root: root).serialized())
    }

    @discardableResult
    func remove(_ id: String) -> Entry? {
        let removed: (Entry, CallbackDelivery?)? = state.withLock { state in
            guard let entry = state.entries.removeValue(forKey: id) else { return nil }
            state.byUE[entry.ue]?.remove(id)
            if state.byUE[entry.ue]?.isEmpty == true { state.byUE[entry.ue] = nil }
            return (entry, state.deliveries.removeValue(forKey: id))
        }
        removed?.1?.stop()
        return removed?.0
    }

    public func entry(_ id: String) -> Entry? { state.withLock { $0.entries[id] } }

    public func entries(scsAsId: String) -> [Entry] {
        state.withLock { state in
            state.entries.values.filter { $0.scsAsId == scsAsId }.sorted { ($0.id.count, $0.id) < ($1.id.count, $1.id) }
        }
    }

    func delivery(_ id: String) -> DeliveryState? { state.withLock { $0.deliveries[id] }?.state }

    /// Tells every subscription of each changed UE: QOS_GUARANTEED or QOS_NOT_GUARANTEED.
    public func publish(_ changes: [QoSChange], root: String) {
        guard !changes.isEmpty else { return }
        for change in changes {
            let targets: [(Entry, CallbackDelivery?)] = state.withLock { state in
                (state.byUE[change.ue] ?? []).sorted().compactMap { id in
                    guard var entry = state.entries[id], entry.guaranteed != change.guaranteed else { return nil }
                    entry.guaranteed = change.guaranteed
                    state.entries[id] = entry
                    return (entry, state.deliveries[id])
                }
            }
            for (entry, delivery) in targets {
                delivery?.enqueue(Self.notification(entry, event: change.guaranteed ? "QOS_GUARANTEED" : "QOS_NOT_GUARANTEED", root: root).serialized())
            }
        }
    }

    func stopAll() {
        let all = state.withLock { Array($0.deliveries.values) }
        for delivery in all { delivery.stop() }
    }

    /// UserPlaneNotificationData: the subscription it concerns and what happened.
    static func notification(_ entry: Entry, event: String, root: String) -> JSONValue {
        ["transaction": .string(root + path(scsAsId: entry.scsAsId) + "/" + entry.id), "eventReports": [["event": .string(event)]]]
    }
}
