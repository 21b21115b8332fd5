import FlotillaAPI
import Foundation

/// The ETSI notification bodies, built from engine events.
enum Notifications {
    struct PresenceChange {
        var type: Subscription.UserEvent
        var zone: Int
        var current: Int?
        var previous: Int?
    }

    struct CellChange {
        var from: Int
        var to: Int
        /// 2 IN_EXECUTION (the handover started) or 3 COMPLETED.
        var hoStatus: Int
    }

    /// MEC 013 semantics (as AdvantEDGE implements them): a new AP in the same zone is Transferring; a new zone is
    /// Leaving the old one, then Entering the new one; losing coverage is Leaving; attaching is Entering.
    static func presenceChanges(_ event: NetworkEvent, cells: [CompiledCell]) -> [PresenceChange] {
        switch event.kind {
        case .attached:
            guard let to = event.to else { return [] }
            return [PresenceChange(type: .entering, zone: cells[to].zoneIndex, current: to, previous: nil)]
        case .coverageLost:
            guard let from = event.from else { return [] }
            return [PresenceChange(type: .leaving, zone: cells[from].zoneIndex, current: nil, previous: from)]
        case .handoverCompleted:
            guard let from = event.from, let to = event.to else { return [] }
            if cells[from].zoneIndex == cells[to].zoneIndex {
                return [PresenceChange(type: .transferring, zone: cells[to].zoneIndex, current: to, previous: from)]
            }
            return [PresenceChange(type: .leaving, zone: cells[from].zoneIndex, current: to, previous: from),
                    PresenceChange(type: .entering, zone: cells[to].zoneIndex, current: to, previous: from)]
        case .handoverStarted:
            return []
        }
    }

    static func cellChange(_ event: NetworkEvent, cells: [CompiledCell]) -> CellChange? {
        guard let from = event.from, let to = event.to, cells[from].rat != .wifi, cells[to].rat != .wifi else { return nil }
        switch event.kind {
        case .handoverStarted: return CellChange(from: from, to: to, hoStatus: 2)
        case .handoverCompleted: return CellChange(from: from, to: to, hoStatus: 3)
        default: return nil
        }
    }

    static func timestamp(_ unixSeconds: Double) -> JSONValue {
        let seconds = unixSeconds.rounded(.down)
        return ["seconds": .integer(Int64(seconds)), "nanoSeconds": .integer(Int64((unixSeconds - seconds) * 1e9))]
    }

    static func zonalPresence(_ change: PresenceChange, address: String, zoneName: String, cells: [CompiledCell],
                              timestamp: JSONValue, subscription: Subscription?, root: String) -> JSONValue {
        var body: JSONObject = [
            "address": .string(address),
            "zoneId": .string(zoneName),
            "userEventType": .string(change.type.rawValue),
            "timestamp": timestamp,
        ]
        if let current = change.current { body["currentAccessPointId"] = .string(cells[current].name) }
        if let previous = change.previous { body["previousAccessPointId"] = .string(cells[previous].name) }
        if let subscription {
            if let data = subscription.callbackData { body["callbackData"] = .string(data) }
            body["link"] = [["rel": .string(subscription.kind == .zonalTraffic ? "ZonalTrafficSubscription" : "UserTrackingSubscription"),
                             "href": .string(root + subscription.href)]]
        }
        return ["zonalPresenceNotification": .object(body)]
    }

    static func ecgi(_ cell: Int, network: AccessNetwork) -> JSONValue {
        let c = network.topology.cells[cell]
        let op = network.topology.scenario.operators[c.operatorIndex]
        return ["plmn": ["mcc": .string(op.mcc), "mnc": .string(op.mnc)], "cellId": .string(c.name)]
    }

    static func cellChange(_ change: CellChange, address: String, network: AccessNetwork, timestamp: JSONValue,
                           subscription: Subscription?, root: String) -> JSONValue {
        var body: JSONObject = [
            "notificationType": "CellChangeNotification",
            "timeStamp": timestamp,
            "associateId": [["type": 1, "value": .string(address)]],
            "srcEcgi": ecgi(change.from, network: network),
            "trgEcgi": [ecgi(change.to, network: network)],
            "hoStatus": .integer(Int64(change.hoStatus)),
        ]
        if let subscription { body["_links"] = ["subscription": ["href": .string(root + subscription.href)]] }
        return .object(body)
    }
}
