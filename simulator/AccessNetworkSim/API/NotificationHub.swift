import FlotillaAPI
import Foundation
import Synchronization

/// Turns engine events into MEC 013 zonal-presence and MEC 012 cell-change notifications and hands each to the
/// subscriptions and streams that match it. Called by the simulation after every step; never waits on a
/// subscriber — each callback has its own queue and worker (`CallbackDelivery`), each stream its own buffer.
public final class NotificationHub: Sendable {
    private struct State {
        var subscriptions: [String: Subscription] = [:]
        var byZone: [Int: Set<String>] = [:]
        var byUE: [Int: Set<String>] = [:]
        var allCellChanges: Set<String> = []
        var deliveries: [String: CallbackDelivery] = [:]
        var streams: [Int: EventStreamFilter] = [:]
        var nextStream = 0
        var nextID = 0
    }

    private let state = Mutex(State())
    let sender: any NotificationSender
    /// The base of `_links` hrefs (`http://127.0.0.1:PORT`).
    public let apiRoot: Mutex<String>
    /// The NEF's QoS subscriptions, which notify through the same sender.
    public let qos: QoSSubscriptions

    public init(sender: any NotificationSender, apiRoot: String = "") {
        self.sender = sender
        self.apiRoot = Mutex(apiRoot)
        self.qos = QoSSubscriptions(sender: sender)
    }

    // MARK: - Subscriptions

    public func newID() -> String {
        state.withLock { state in
            state.nextID += 1
            return "sub-\(state.nextID)"
        }
    }

    public func add(_ subscription: Subscription) {
        let delivery = CallbackDelivery(subscription: subscription.id, url: subscription.callbackURL, sender: sender)
        state.withLock { state in
            state.subscriptions[subscription.id] = subscription
            state.deliveries[subscription.id] = delivery
            if let zone = subscription.zone { state.byZone[zone, default: []].insert(subscription.id) }
            if subscription.kind == .cellChange, subscription.ues.isEmpty {
                state.allCellChanges.insert(subscription.id)
            } else {
                for ue in subscription.ues { state.byUE[ue, default: []].insert(subscription.id) }
            }
        }
    }

    @discardableResult
    public func remove(_ id: String) -> Subscription? {
        let removed: (Subscription, CallbackDelivery?)? = state.withLock { state in
            guard let subscription = state.subscriptions.removeValue(forKey: id) else { return nil }
            if let zone = subscription.zone { state.byZone[zone]?.remove(id) }
            for ue in subscription.ues { state.byUE[ue]?.remove(id) }
            state.allCellChanges.remove(id)
            return (subscription, state.deliveries.removeValue(forKey: id))
        }
        removed?.1?.stop()
        return removed?.0
    }

    public func subscription(_ id: String) -> Subscription? { state.withLock { $0.subscriptions[id] } }

    public func subscriptions(of kind: Subscription.Kind? = nil) -> [Subscription] {
        state.withLock { state in
            state.subscriptions.values.filter { kind == nil || $0.kind == kind }.sorted { $0.id.count == $1.id.count ? $0.id < $1.id : $0.id.count < $1.id.count }
        }
    }

    public func delivery(_ id: String) -> DeliveryState? {
        let delivery = state.withLock { $0.deliveries[id] }
        return delivery?.state
    }

    /// Ends subscriptions whose time is up (simulated time); returns their ids.
    public func expire(now: Double) -> [String] {
        let due = state.withLock { state in state.subscriptions.values.filter { ($0.expiresAt ?? .infinity) <= now }.map(\.id) }
        for id in due { remove(id) }
        return due
    }

    // MARK: - Streams

    public func openStream(_ filter: EventStreamFilter) -> (Int, AsyncStream<[UInt8]>) {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        var filter = filter
        filter.continuation = continuation
        let id = state.withLock { state in
            state.nextStream += 1
            state.streams[state.nextStream] = filter
            return state.nextStream
        }
        continuation.onTermination = { [weak self] _ in self?.closeStream(id) }
        return (id, stream)
    }

    public func closeStream(_ id: Int) {
        let filter = state.withLock { $0.streams.removeValue(forKey: id) }
        filter?.continuation?.finish()
    }

    public func closeAllStreams() {
        let all = state.withLock { state in
            defer { state.streams.removeAll() }
            return Array(state.streams.values)
        }
        for filter in all { filter.continuation?.finish() }
        let deliveries = state.withLock { Array($0.deliveries.values) }
        for delivery in deliveries { delivery.stop() }
        qos.stopAll()
    }

    // MARK: - Publishing

    /// Translates and delivers one step's events. `epoch` is the Unix time of simulated time 0.
    public func publish(_ events: [NetworkEvent], network: AccessNetwork, epoch: Double) {
        if events.isEmpty { return }
        let (subscriptions, byZone, byUE, allCellChanges, deliveries, streams, root) = state.withLock { state in
            (state.subscriptions, state.byZone, state.byUE, state.allCellChanges, state.deliveries, Array(state.streams.values),
             apiRoot.withLock { $0 })
        }
        if subscriptions.isEmpty && streams.isEmpty { return }
        let cells = network.topology.cells
        for event in events {
            let timestamp = Notifications.timestamp(epoch + event.time)
            let address = network.addresses[event.ue]
            // Location: what zone/AP changes this event means (a zone change is Leaving, then Entering).
            for presence in Notifications.presenceChanges(event, cells: cells) {
                let zoneName = network.topology.zoneNames[presence.zone]
                var candidates = byZone[presence.zone] ?? []
                candidates.formUnion(byUE[event.ue] ?? [])
                for id in candidates.sorted() {
                    guard let subscription = subscriptions[id], subscription.kind != .cellChange,
                          subscription.userEvents.contains(presence.type) else { continue }
                    if subscription.kind == .zonalTraffic, subscription.zone != presence.zone { continue }
                    let body = Notifications.zonalPresence(presence, address: address, zoneName: zoneName, cells: cells,
                        timestamp: timestamp, subscription: subscription, root: root)
                    deliveries[id]?.enqueue(body.serialized())
                }
                for stream in streams where stream.matches(address: address, zone: zoneName, kind: .location) {
                    let line = Notifications.zonalPresence(presence, address: address, zoneName: zoneName, cells: cells,
                        timestamp: timestamp, subscription: nil, root: root)
                    stream.continuation?.yield(line.serialized() + [UInt8(ascii: "\n")])
                }
            }
            // Radio: cell changes between 4G/5G cells, IN_EXECUTION at the start and COMPLETED at the end.
            if let change = Notifications.cellChange(event, cells: cells) {
                var candidates = allCellChanges
                candidates.formUnion(byUE[event.ue] ?? [])
                for id in candidates.sorted() {
                    guard let subscription = subscriptions[id], subscription.kind == .cellChange,
                          subscription.hoStatus.contains(change.hoStatus) else { continue }
                    if !subscription.cells.isEmpty, !subscription.cells.contains(change.from), !subscription.cells.contains(change.to) { continue }
                    let body = Notifications.cellChange(change, address: address, network: network, timestamp: timestamp,
                        subscription: subscription, root: root)
                    deliveries[id]?.enqueue(body.serialized())
                }
                for stream in streams where stream.matches(address: address, zone: nil, kind: .radio) {
                    let line = Notifications.cellChange(change, address: address, network: network, timestamp: timestamp,
                        subscription: nil, root: root)
                    stream.continuation?.yield(line.serialized() + [UInt8(ascii: "\n")])
                }
            }
        }
    }
}

/// What a `/flotilla/v1/events` stream wants: everything, or one UE, one zone, one kind.
public struct EventStreamFilter: Sendable {
    public enum Kind: String, Sendable { case location, radio }
    public var address: String?
    public var zone: String?
    public var kinds: Set<Kind>
    var continuation: AsyncStream<[UInt8]>.Continuation?

    public init(address: String? = nil, zone: String? = nil, kinds: Set<Kind> = [.location, .radio]) {
        self.address = address
        self.zone = zone
        self.kinds = kinds
    }

    func matches(address: String, zone: String?, kind: Kind) -> Bool {
        guard kinds.contains(kind) else { return false }
        if let wanted = self.address, wanted != address { return false }
        if let wanted = self.zone, wanted != zone { return false }
        return true
    }
}
