import FlotillaAPI
import Foundation

/// The mobility service's subscriptions at the access network, per UE with a session: MEC 013 user tracking (every
/// change of access point or zone) and MEC 012 cell change with hoStatus 2 (in preparation — the early warning) and
/// 3 (completed). Notifications go to `notifyURL`; `NotificationListener` turns each into "re-evaluate this UE".
public struct LocationSubscriptions: Sendable {
    let baseURL: String
    let transport: HTTPTransport

    public init(baseURL: String, transport: HTTPTransport) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
    }

    /// Subscribes for one UE; returns the URLs of the subscriptions (to delete them later).
    public func subscribe(ue: String, notifyURL: String) async throws(MECError) -> [String] {
        let tracking: JSONValue = ["userTrackingSubscription": [
            "callbackReference": ["notifyURL": .string(notifyURL)], "address": .string(ue), "clientCorrelator": .string(ue)]]
        let cellChange: JSONValue = [
            "subscriptionType": "CellChangeSubscription", "callbackReference": .string(notifyURL),
            "filterCriteriaAssocHo": ["associateId": [["type": 1, "value": .string(ue)]], "hoStatus": [2, 3]]]
        var created: [String] = []
        for (path, body) in [("/location/v2/subscriptions/userTracking", tracking), ("/rni/v2/subscriptions", cellChange)] {
            let reply = try await transport.send(.POST, baseURL + path, body: Data(body.serialized()), headers: [("Content-Type", "application/json")])
            guard reply.status == 201 else {
                for url in created { await unsubscribe(url) }
                let detail = (try? JSONValue.parse(Array(reply.body)))?["detail"]?.stringValue ?? "status \(reply.status)"
                throw MECError(reply.status == 400 ? .notFound : .unavailable, "cannot subscribe to \(path) for \(ue): \(detail)")
            }
            if let location = reply.headers.first(name: "Location") { created.append(location) }
        }
        return created
    }

    public func unsubscribe(_ url: String) async {
        _ = try? await transport.send(.DELETE, url)
    }

    /// The UE a MEC 013 or MEC 012 notification is about.
    public static func address(in notification: JSONValue) -> String? {
        if let presence = notification["zonalPresenceNotification"] ?? notification["userLocationEvent"] {
            return presence["address"]?.stringValue
        }
        return notification["associateId"]?.arrayValue?.first?["value"]?.stringValue
    }
}
