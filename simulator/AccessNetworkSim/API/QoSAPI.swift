import FlotillaAPI
import Foundation
import HTTPTypes
import Hummingbird

/// The simulator's NEF: 3GPP TS 29.122 AsSessionWithQoS, QoS on demand for one UE's flows.
/// `POST /3gpp-as-session-with-qos/v1/{scsAsId}/subscriptions` asks for a QoS (`qosReference`; this network offers
/// `low-latency`) for a UE (`ueIpv4Addr`); 201 with a Location whatever the cell can give, and a notification at once
/// (SUCCESSFUL_RESOURCES_ALLOCATION or FAILED_RESOURCES_ALLOCATION), then QOS_NOT_GUARANTEED / QOS_GUARANTEED as the
/// UE moves. GET lists or reads, DELETE ends one. The radio model has one user-plane path per UE, so a flow's QoS
/// covers all of the UE's edge traffic: `flowInfo` is checked and kept, and the answer's Warning says so.
extension AccessNetworkAPI {
    static let qosReferences = ["low-latency"]
    /// AsSessionWithQoSSubscription members this NEF does not implement: refused, never silently ignored.
    static let unsupportedQoSMembers = ["ueIpv6Addr", "macAddr", "usageThreshold", "requestTestNotification", "websockNotifConfig",
        "qosMonInfo", "altQoSReferences", "altQosReqs", "sponsorInfo", "dnn", "snssai", "exterAppId", "ethFlowInfo", "enEthFlowInfo",
        "tscQosReq", "qosDuration", "qosInactInt", "disUeNotif", "tempInValidity", "events", "directNotifInd", "reqQosMonParams",
        "repFreqs", "ipDomain"]
    static let flowWarning = "299 - \"flowInfo is recorded; the simulated radio gives the QoS to all of the UE's edge traffic\""

    func addQoSRoutes(to router: Router<BasicRequestContext>) {
        let api = self
        let collection = "/3gpp-as-session-with-qos/v1/:scsAsId/subscriptions"
        router.get(RouterPath(collection)) { _, context in
            let scsAsId = try Self.scsAsId(context)
            return Reply.json(.array(api.hub.qos.entries(scsAsId: scsAsId).map { api.qosRepresentation($0) }))
        }
        router.post(RouterPath(collection)) { request, context in try await api.createQoS(request, context: context) }
        router.get(RouterPath(collection + "/:id")) { _, context in
            Reply.json(api.qosRepresentation(try api.qosEntry(context)))
        }
        router.delete(RouterPath(collection + "/:id")) { _, context in
            let entry = try api.qosEntry(context)
            api.hub.qos.remove(entry.id)
            let changes = await api.runner.withNetwork { network in
                network.releaseLowLatency(ue: entry.ue)
                return network.drainQoSChanges()
            }
            api.hub.qos.publish(changes, root: api.root)
            return Response(status: .noContent)
        }
        for method in [HTTPRequest.Method.put, .patch] {
            router.on(RouterPath(collection + "/:id"), method: method) { _, _ -> Response in
                throw ProblemDetails(.methodNotAllowed, "a subscription is changed by deleting it and creating another")
            }
        }
    }

    func createQoS(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let scsAsId = try Self.scsAsId(context)
        let body = try await Reply.body(request)
        let asked = try Self.qosRequest(body)
        let id = hub.qos.newID()
        let root = self.root
        let link = root + QoSSubscriptions.path(scsAsId: scsAsId) + "/" + id
        let address = asked.address
        let outcome: (ue: Int, granted: Bool, changes: [QoSChange]) = try await runner.withNetwork { network in
            guard let ue = network.ue(address: address) else {
                throw ProblemDetails.invalid("ueIpv4Addr", "no UE has the address \(address)")
            }
            let granted = network.requestLowLatency(ue: ue)
            return (ue, granted, network.drainQoSChanges())
        }
        // Earlier subscriptions of this UE hear of the change first; the new one gets its allocation result.
        hub.qos.publish(outcome.changes, root: root)
        var representation = body
        representation["self"] = .string(link)
        representation["supportedFeatures"] = "0"
        let entry = QoSSubscriptions.Entry(id: id, scsAsId: scsAsId, ue: outcome.ue, callbackURL: asked.callback,
                                           representation: representation, guaranteed: outcome.granted)
        hub.qos.add(entry, root: root)
        var response = Reply.json(qosRepresentation(entry), status: .created, location: link)
        response.headers[HTTPField.Name("Warning")!] = Self.flowWarning
        return response
    }

    static func scsAsId(_ context: BasicRequestContext) throws -> String {
        let id = context.parameters.get("scsAsId") ?? ""
        guard !id.isEmpty, id.count <= 128, id.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ProblemDetails.invalid("scsAsId", "must be 1–128 letters, digits, '-', '_' or '.'")
        }
        return id
    }

    func qosEntry(_ context: BasicRequestContext) throws -> QoSSubscriptions.Entry {
        let scsAsId = try Self.scsAsId(context)
        let id = context.parameters.get("id") ?? ""
        guard let entry = hub.qos.entry(id), entry.scsAsId == scsAsId else {
            throw ProblemDetails.notFound("no AsSessionWithQoS subscription \"\(id)\" for \(scsAsId)")
        }
        return entry
    }

    /// The stored subscription, with Flotilla's `qosStatus` (GUARANTEED or NOT_GUARANTEED now) and `deliveryStatus`.
    func qosRepresentation(_ entry: QoSSubscriptions.Entry) -> JSONValue {
        var value = entry.representation
        value["qosStatus"] = .string(entry.guaranteed ? "GUARANTEED" : "NOT_GUARANTEED")
        if let state = hub.qos.delivery(entry.id) {
            value["deliveryStatus"] = ["state": .string(state.health.rawValue), "delivered": .integer(Int64(state.delivered)),
                                       "failedAttempts": .integer(Int64(state.failedAttempts))]
        }
        return value
    }

    struct QoSRequest {
        var address: String
        var reference: String
        var callback: String
    }

    /// Checks an AsSessionWithQoSSubscription; every fault names its member.
    static func qosRequest(_ body: JSONValue) throws -> QoSRequest {
        guard let fields = body.objectValue else { throw ProblemDetails.badRequest("the body must be an AsSessionWithQoSSubscription object") }
        for key in fields.keys.sorted() where unsupportedQoSMembers.contains(key) {
            throw ProblemDetails.invalid(key, "not supported by this network")
        }
        let known: Set<String> = ["ueIpv4Addr", "flowInfo", "qosReference", "notificationDestination", "supportedFeatures", "self"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ProblemDetails.invalid(unknown, "not a member of AsSessionWithQoSSubscription")
        }
        guard let address = fields["ueIpv4Addr"]?.stringValue, !address.isEmpty else {
            throw ProblemDetails.invalid("ueIpv4Addr", "required (this network has IPv4 UEs only)")
        }
        let octets = address.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets.allSatisfy({ UInt8($0) != nil }) else {
            throw ProblemDetails.invalid("ueIpv4Addr", "\"\(address)\" is not an IPv4 address")
        }
        guard let reference = fields["qosReference"]?.stringValue else {
            throw ProblemDetails.invalid("qosReference", "required; this network offers \(qosReferences.joined(separator: ", "))")
        }
        guard qosReferences.contains(reference) else {
            throw ProblemDetails.invalid("qosReference", "\"\(reference)\" is not offered; this network offers \(qosReferences.joined(separator: ", "))")
        }
        guard let flows = fields["flowInfo"]?.arrayValue, !flows.isEmpty else {
            throw ProblemDetails.invalid("flowInfo", "required: at least one {flowId, flowDescriptions}")
        }
        for (index, flow) in flows.enumerated() {
            guard flow["flowId"]?.int64Value != nil else { throw ProblemDetails.invalid("flowInfo[\(index)].flowId", "required, an integer") }
            guard let descriptions = flow["flowDescriptions"]?.arrayValue, !descriptions.isEmpty else {
                throw ProblemDetails.invalid("flowInfo[\(index)].flowDescriptions", "required: IPFilterRule strings (\"permit out 17 from any to 10.0.0.1 7000\")")
            }
            for (d, rule) in descriptions.enumerated() {
                guard let text = rule.stringValue, text.hasPrefix("permit out ") || text.hasPrefix("permit in ") else {
                    throw ProblemDetails.invalid("flowInfo[\(index)].flowDescriptions[\(d)]", "an IPFilterRule starts with \"permit out\" or \"permit in\"")
                }
            }
        }
        if let features = fields["supportedFeatures"], features.stringValue?.allSatisfy(\.isHexDigit) != true {
            throw ProblemDetails.invalid("supportedFeatures", "a hexadecimal string")
        }
        let callback: String
        do {
            callback = try callbackURL(fields["notificationDestination"]?.stringValue, field: "notificationDestination")
        } catch {
            throw ProblemDetails.invalid("notificationDestination", "required, an http(s) URL")
        }
        return QoSRequest(address: address, reference: reference, callback: callback)
    }
}
