import FlotillaAPI
import Foundation
import Hummingbird

/// MEC 013 v2 zonal-traffic and user-tracking subscriptions, and MEC 012 cell-change subscriptions.
extension AccessNetworkAPI {
    func addSubscriptionRoutes(to router: Router<BasicRequestContext>) {
        let api = self
        for (kind, rootKey) in [(Subscription.Kind.zonalTraffic, "zonalTrafficSubscription"), (.userTracking, "userTrackingSubscription")] {
            let collection = kind.collection
            router.post(RouterPath(collection)) { request, _ in
                let body = try await Reply.body(request)
                guard let fields = body[rootKey]?.objectValue else {
                    throw ProblemDetails.badRequest("the body must be {\"\(rootKey)\": {…}}")
                }
                let subscription = try await api.locationSubscription(kind, fields: fields, rootKey: rootKey)
                api.hub.add(subscription)
                return Reply.json([rootKey: subscription.representation], status: .created, location: api.root + subscription.href)
            }
            router.get(RouterPath(collection)) { _, _ in
                let listed = api.hub.subscriptions(of: kind).map { api.withDelivery($0) }
                return Reply.json(["notificationSubscriptionList": [rootKey: .array(listed),
                    "resourceURL": .string(api.root + collection)]])
            }
            router.get(RouterPath(collection + "/:id")) { _, context in
                let subscription = try api.existing(context.parameters.get("id") ?? "", kind: kind)
                return Reply.json([rootKey: api.withDelivery(subscription)])
            }
            router.delete(RouterPath(collection + "/:id")) { _, context in
                let subscription = try api.existing(context.parameters.get("id") ?? "", kind: kind)
                api.hub.remove(subscription.id)
                return Response(status: .noContent)
            }
        }

        router.post("/rni/v2/subscriptions") { request, _ in
            let body = try await Reply.body(request)
            guard let fields = body.objectValue else { throw ProblemDetails.badRequest("the body must be a JSON object") }
            let subscription = try await api.cellChangeSubscription(fields)
            api.hub.add(subscription)
            return Reply.json(subscription.representation, status: .created, location: api.root + subscription.href)
        }
        router.get("/rni/v2/subscriptions") { request, _ in
            if let type = request.uri.queryParameters.get("subscription_type"), type != "cell_change" {
                throw ProblemDetails.badRequest("subscription_type \"\(type)\" is not offered; this simulator offers cell_change")
            }
            let links: [JSONValue] = api.hub.subscriptions(of: .cellChange).map {
                ["href": .string(api.root + $0.href), "subscriptionType": "CellChangeSubscription"]
            }
            return Reply.json(["_links": ["self": ["href": .string(api.root + "/rni/v2/subscriptions")]], "subscription": .array(links)])
        }
        router.get("/rni/v2/subscriptions/:id") { _, context in
            Reply.json(api.withDelivery(try api.existing(context.parameters.get("id") ?? "", kind: .cellChange)))
        }
        router.delete("/rni/v2/subscriptions/:id") { _, context in
            let subscription = try api.existing(context.parameters.get("id") ?? "", kind: .cellChange)
            api.hub.remove(subscription.id)
            return Response(status: .noContent)
        }
    }

    func existing(_ id: String, kind: Subscription.Kind) throws -> Subscription {
        guard let subscription = hub.subscription(id), subscription.kind == kind else {
            throw ProblemDetails.notFound("no \(kind.rawValue) subscription \"\(id)\"")
        }
        return subscription
    }

    /// The stored representation plus how delivery is going (Flotilla's `deliveryStatus` member).
    func withDelivery(_ subscription: Subscription) -> JSONValue {
        var value = subscription.representation
        if let state = hub.delivery(subscription.id) {
            var status: JSONObject = ["state": .string(state.health.rawValue), "delivered": .integer(Int64(state.delivered)),
                "failedAttempts": .integer(Int64(state.failedAttempts)), "dropped": .integer(Int64(state.dropped))]
            if let error = state.lastError { status["lastError"] = .string(error) }
            value["deliveryStatus"] = .object(status)
        }
        return value
    }

    static func callbackURL(_ text: String?, field: String) throws -> String {
        guard let text, let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ProblemDetails.badRequest("\(field) must be an http(s) URL")
        }
        return text
    }

    func locationSubscription(_ kind: Subscription.Kind, fields: JSONObject, rootKey: String) async throws -> Subscription {
        let callback = fields["callbackReference"]?.objectValue
        let url = try Self.callbackURL(callback?["notifyURL"]?.stringValue, field: "callbackReference.notifyURL")
        var events = Set(Subscription.UserEvent.allCases)
        if let criteria = fields["userEventCriteria"] {
            guard let list = criteria.arrayValue else { throw ProblemDetails.badRequest("userEventCriteria must be a list") }
            events = try Set(list.map { item in
                guard let text = item.stringValue, let event = Subscription.UserEvent(rawValue: text) else {
                    throw ProblemDetails.badRequest("userEventCriteria: \(item.serializedString()) is not Entering, Leaving or Transferring")
                }
                return event
            })
        }
        var duration: Double?
        if let value = fields["duration"] {
            guard let number = value.doubleValue, number >= 0 else { throw ProblemDetails.badRequest("duration must be seconds ≥ 0") }
            duration = number > 0 ? number : nil
        }
        let zoneName = fields["zoneId"]?.stringValue
        let address = fields["address"]?.stringValue
        if kind == .zonalTraffic, zoneName == nil { throw ProblemDetails.badRequest("zoneId is required") }
        if kind == .userTracking, address == nil { throw ProblemDetails.badRequest("address is required") }
        let id = hub.newID()
        let root = self.root
        let (userEvents, seconds) = (events, duration)
        return try await runner.withNetwork { network in
            let zone = try zoneName.map { try self.zone($0, in: network, status: .badRequest) }
            let ue = try address.map { text -> Int in
                do { return try self.ue(text, in: network) } catch { throw ProblemDetails.badRequest("no user with address \"\(text)\"") }
            }
            var representation = fields
            representation["resourceURL"] = .string(root + kind.collection + "/" + id)
            return Subscription(id: id, kind: kind, zone: zone, ues: ue.map { [$0] } ?? [], userEvents: userEvents, callbackURL: url,
                callbackData: callback?["callbackData"]?.stringValue, expiresAt: seconds.map { network.now + $0 },
                representation: .object(representation))
        }
    }

    func cellChangeSubscription(_ fields: JSONObject) async throws -> Subscription {
        guard fields["subscriptionType"]?.stringValue == "CellChangeSubscription" else {
            throw ProblemDetails.badRequest("subscriptionType must be \"CellChangeSubscription\" (the only type this simulator offers)")
        }
        let url = try Self.callbackURL(fields["callbackReference"]?.stringValue, field: "callbackReference")
        let filter = fields["filterCriteriaAssocHo"]?.objectValue ?? [:]
        var hoStatus: Set<Int> = [3]
        if let list = filter["hoStatus"]?.arrayValue {
            hoStatus = try Set(list.map { item in
                guard let value = item.int64Value, (1...5).contains(value) else {
                    throw ProblemDetails.badRequest("filterCriteriaAssocHo.hoStatus values are 1 to 5")
                }
                return Int(value)
            })
        }
        var expiryUnix: Double?
        if let deadline = fields["expiryDeadline"]?.objectValue {
            guard let seconds = deadline["seconds"]?.doubleValue else { throw ProblemDetails.badRequest("expiryDeadline.seconds is required") }
            expiryUnix = seconds + (deadline["nanoSeconds"]?.doubleValue ?? 0) / 1e9
        }
        let addresses = try (filter["associateId"]?.arrayValue ?? []).map { item -> String in
            guard let value = item["value"]?.stringValue else { throw ProblemDetails.badRequest("associateId entries need a value") }
            return value
        }
        let cellNames = try (filter["ecgi"]?.arrayValue ?? []).map { item -> String in
            guard let value = item["cellId"]?.stringValue else { throw ProblemDetails.badRequest("ecgi entries need a cellId") }
            return value
        }
        let id = hub.newID()
        let root = self.root
        let epoch = runner.epoch
        let (statuses, deadline) = (hoStatus, expiryUnix)
        return try await runner.withNetwork { network in
            let ues = try addresses.map { text -> Int in
                guard let ue = network.ue(address: text) else { throw ProblemDetails.badRequest("no user with address \"\(text)\"") }
                return ue
            }
            let cells = try cellNames.map { try self.cell($0, in: network, status: .badRequest) }
            var representation = fields
            representation["_links"] = ["self": ["href": .string(root + Subscription.Kind.cellChange.collection + "/" + id)]]
            return Subscription(id: id, kind: .cellChange, ues: Set(ues), hoStatus: statuses, cells: Set(cells), callbackURL: url,
                expiresAt: deadline.map { $0 - epoch }, representation: .object(representation))
        }
    }
}
