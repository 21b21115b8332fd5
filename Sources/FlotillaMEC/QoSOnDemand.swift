import FlotillaAPI
import Foundation

/// When to ask for a session's QoS flow and when to give it back (`AppProfile.spec.qosOnDemand`). Pure.
///
/// - Request: no flow held, the session's round trip is within `withinMs` of the budget (or over it), and mobility
///   has no better site to move it to (the caller asks only then).
/// - Release: a flow held and the round trip, with the flow, below the budget by 3 × `withinMs`. The band keeps it
///   from flapping: a flow saving up to 2 × `withinMs` (4G's 10 ms, 5G's 6 ms at the default 5) leaves the round
///   trip, once released, still outside the request band.
/// - Nothing otherwise, and nothing without a round trip (a UE in a handover).
public enum QoSOnDemandPolicy {
    public enum Action: Sendable, Equatable { case request, release, none }

    public static func decide(held: Bool, rttMs: Double?, budgetMs: Double, withinMs: Double) -> Action {
        guard let rttMs else { return .none }
        if !held, rttMs > budgetMs - withinMs { return .request }
        if held, rttMs < budgetMs - 3 * withinMs { return .release }
        return .none
    }

    /// The AF id the mobility service asks under for an app's sessions: one per app, so a new leader finds the flows
    /// the last one asked for by listing it.
    public static func scsAsId(namespace: String, app: String) -> String { "flotilla.\(namespace).\(app)" }
}

/// The access network's NEF, as the mobility service uses it: 3GPP TS 29.122 AsSessionWithQoS under `baseURL`.
public struct QoSRequests: Sendable {
    let baseURL: String
    let transport: HTTPTransport

    public init(baseURL: String, transport: HTTPTransport) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.transport = transport
    }

    func collection(_ scsAsId: String) -> String { baseURL + "/3gpp-as-session-with-qos/v1/\(scsAsId)/subscriptions" }

    /// Asks for `reference` for the UE's traffic to `endpoint` (`host:port`); returns the subscription's URL and
    /// whether the network guarantees it now.
    public func request(ue: String, reference: String, endpoint: String, scsAsId: String,
                        notifyURL: String) async throws(MECError) -> (url: String, guaranteed: Bool) {
        let host = endpoint.split(separator: ":").dropLast().joined(separator: ":")
        let port = endpoint.split(separator: ":").last.map(String.init) ?? ""
        let body: JSONValue = ["ueIpv4Addr": .string(ue), "qosReference": .string(reference), "notificationDestination": .string(notifyURL),
                               "flowInfo": [["flowId": 1, "flowDescriptions": [.string("permit out ip from any to \(host) \(port)")]]]]
        let reply = try await transport.send(.POST, collection(scsAsId), body: Data(body.serialized()), headers: [("Content-Type", "application/json")])
        let answer = try? JSONValue.parse(Array(reply.body))
        guard reply.status == 201, let url = reply.headers.first(name: "Location") ?? answer?["self"]?.stringValue else {
            throw MECError(.unavailable, "the access network refused QoS for \(ue): \(answer?["detail"]?.stringValue ?? "status \(reply.status)")")
        }
        return (url, answer?["qosStatus"]?.stringValue != "NOT_GUARANTEED")
    }

    public func release(_ url: String) async throws(MECError) {
        let reply = try await transport.send(.DELETE, url)
        guard reply.status == 204 || reply.status == 404 else { throw MECError(.unavailable, "DELETE \(url): status \(reply.status)") }
    }

    /// The flows already asked for under `scsAsId` (by an earlier leader): UE address → subscription URL.
    public func existing(scsAsId: String) async throws(MECError) -> [String: String] {
        let reply = try await transport.send(.GET, collection(scsAsId))
        guard reply.status == 200, let list = (try? JSONValue.parse(Array(reply.body)))?.arrayValue else {
            throw MECError(.unavailable, "GET \(collection(scsAsId)): status \(reply.status)")
        }
        var flows: [String: String] = [:]
        for item in list {
            if let ue = item["ueIpv4Addr"]?.stringValue, let url = item["self"]?.stringValue { flows[ue] = url }
        }
        return flows
    }

    /// The subscription and event a UserPlaneNotificationData reports, if the body is one.
    public static func event(in notification: JSONValue) -> (subscription: String, event: String)? {
        guard let subscription = notification["transaction"]?.stringValue,
              let event = notification["eventReports"]?.arrayValue?.first?["event"]?.stringValue else { return nil }
        return (subscription, event)
    }
}
