import AsyncHTTPClient
import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import Hummingbird
import KubeClient
import Logging
import NIOCore

/// ETSI MEC 011's service management API (Mp1's service registry) under `/mec_service_mgmt/v1/`:
///
///     GET              /services[?ser_instance_id|ser_name|ser_category_id=a,b][&consumed_local_only][&is_local][&scope_of_locality]
///     GET              /services/{serInstanceId}
///     GET, POST        /applications/{appInstanceId}/services
///     GET, PUT, DELETE /applications/{appInstanceId}/services/{serInstanceId}
///     GET, POST        /applications/{appInstanceId}/subscriptions
///     GET, DELETE      /applications/{appInstanceId}/subscriptions/{subscriptionId}
///     GET              /transports
///
/// Services and subscriptions are control-plane objects (MECService, ServiceAvailabilitySubscription), so every
/// replica answers and nothing is lost on restart. Each registered service is also a bindable ServiceOffering
/// (`mec-<serInstanceId>`). A registration, change or deregistration is POSTed to the matching subscribers'
/// callbacks as a ServiceAvailabilityNotification (three tries, a second apart). Errors are ProblemDetails.
public struct ServiceManagementAPI: APIExtension {
    public let pathPrefix = "/mec_service_mgmt/v1/"
    public let metricName = "mec-service-mgmt"
    let client: any ObjectClient
    let logger: Logger

    public init(client: any ObjectClient, logger: Logger = Logger(label: "flotilla.mec.service-mgmt")) {
        self.client = client
        self.logger = logger
    }

    public func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
        await ProblemDetails.answering(request) { try await route(request, body: body) }
    }

    func route(_ request: Request, body: [UInt8]) async throws -> ExtensionResponse {
        let parts = request.uri.path.dropFirst(pathPrefix.count).split(separator: "/").map(String.init)
        let base = "/mec_service_mgmt/v1"
        switch (parts, request.method) {
        case (["services"], .get):
            return ExtensionResponse(body: .array(try Self.filter(try await services(), request.uri.queryParameters).map { Self.info($0, base: base) }))
        case (let p, .get) where p.count == 2 && p[0] == "services":
            return ExtensionResponse(body: Self.info(try await service(p[1]), base: base))
        case (["transports"], .get):
            return ExtensionResponse(body: [["id": "rest-http", "name": "REST", "description": "REST API over HTTP", "type": "REST_HTTP",
                                             "protocol": "HTTP", "version": "1.1", "security": [:]]])
        case (let p, .get) where p.count == 3 && p[0] == "applications" && p[2] == "services":
            return ExtensionResponse(body: .array(try await services().filter { $0.spec.appInstanceId == p[1] }.map { Self.info($0, base: base) }))
        case (let p, .post) where p.count == 3 && p[0] == "applications" && p[2] == "services":
            return try await register(app: p[1], body: body, base: base)
        case (let p, .get) where p.count == 4 && p[0] == "applications" && p[2] == "services":
            let found = try await service(p[3])
            guard found.spec.appInstanceId == p[1] else { throw ProblemDetails(404, "application \(p[1]) has no service \(p[3])") }
            return ExtensionResponse(body: Self.info(found, base: base))
        case (let p, .put) where p.count == 4 && p[0] == "applications" && p[2] == "services":
            return try await update(app: p[1], id: p[3], body: body, base: base)
        case (let p, .delete) where p.count == 4 && p[0] == "applications" && p[2] == "services":
            return try await deregister(app: p[1], id: p[3], base: base)
        case (let p, .get) where p.count == 3 && p[0] == "applications" && p[2] == "subscriptions":
            let subscriptions = try await subscriptions().filter { $0.spec.appInstanceId == p[1] }
            return ExtensionResponse(body: ["_links": ["self": ["href": .string("\(base)/applications/\(p[1])/subscriptions")],
                "subscriptions": .array(subscriptions.map { ["href": .string(Self.link($0, base: base)), "subscriptionType": "SerAvailabilityNotificationSubscription"] })]])
        case (let p, .post) where p.count == 3 && p[0] == "applications" && p[2] == "subscriptions":
            return try await subscribe(app: p[1], body: body, base: base)
        case (let p, .get) where p.count == 4 && p[0] == "applications" && p[2] == "subscriptions":
            guard let found = try await subscriptions().first(where: { $0.metadata.name == p[3] && $0.spec.appInstanceId == p[1] }) else {
                throw ProblemDetails(404, "no subscription \(p[3])")
            }
            return ExtensionResponse(body: Self.subscription(found, base: base))
        case (let p, .delete) where p.count == 4 && p[0] == "applications" && p[2] == "subscriptions":
            guard try await subscriptions().contains(where: { $0.metadata.name == p[3] && $0.spec.appInstanceId == p[1] }) else {
                throw ProblemDetails(404, "no subscription \(p[3])")
            }
            try await client.delete(ServiceAvailabilitySubscription.descriptor, namespace: nil, name: p[3])
            return ExtensionResponse(status: .noContent, content: .bytes([], contentType: "application/json"))
        default:
            throw ProblemDetails(404, "no such resource: \(request.method) \(request.uri.path)")
        }
    }

    // MARK: Services

    func services() async throws -> [MECService] {
        try await client.list(MECService.descriptor, namespace: nil, options: .everything).items.compactMap { try? MECService(json: $0) }
            .sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }

    func service(_ id: String) async throws -> MECService {
        guard let object = try? await client.get(MECService.descriptor, namespace: nil, name: id), let service = try? MECService(json: object) else {
            throw ProblemDetails(404, "no service \(id)")
        }
        return service
    }

    /// MEC 011's query filters; the three identifying ones are mutually exclusive.
    static func filter(_ services: [MECService], _ query: Hummingbird.Parameters) throws -> [MECService] {
        func list(_ name: String) -> [String]? { query.get(name).map { $0.split(separator: ",").map(String.init) } }
        let ids = list("ser_instance_id"), names = list("ser_name"), categories = list("ser_category_id")
        guard [ids, names, categories].compactMap({ $0 }).count <= 1 else {
            throw ProblemDetails(400, "ser_instance_id, ser_name and ser_category_id are mutually exclusive")
        }
        func flag(_ name: String) throws -> Bool? {
            guard let text = query.get(name) else { return nil }
            guard let value = Bool(text) else { throw ProblemDetails(400, "\(name) must be true or false") }
            return value
        }
        let consumedLocalOnly = try flag("consumed_local_only"), isLocal = try flag("is_local")
        let scope = query.get("scope_of_locality")
        return services.filter { service in
            let info = service.spec.serviceInfo
            if let ids, !ids.contains(info.serInstanceId ?? "") { return false }
            if let names, !names.contains(info.serName) { return false }
            if let categories, !categories.contains(info.serCategory?.id ?? "") { return false }
            if let consumedLocalOnly, (info.consumedLocalOnly ?? false) != consumedLocalOnly { return false }
            if let isLocal, (info.isLocal ?? true) != isLocal { return false }
            if let scope, info.scopeOfLocality != scope { return false }
            return true
        }
    }

    static func info(_ service: MECService, base: String) -> JSONValue {
        var info = (try? ObjectEncoder().encode(service.spec.serviceInfo)) ?? [:]
        info["_links"] = ["self": ["href": .string("\(base)/applications/\(service.spec.appInstanceId)/services/\(service.metadata.name ?? "")")]]
        return info
    }

    func decodeInfo(_ body: [UInt8]) throws -> ServiceInfo {
        guard let value = try? JSONValue.parse(body) else { throw ProblemDetails(400, "the body must be a JSON ServiceInfo") }
        do {
            return try ObjectDecoder().decode(ServiceInfo.self, from: value)
        } catch {
            throw ProblemDetails(400, "not a ServiceInfo: \(error)")
        }
    }

    func register(app: String, body: [UInt8], base: String) async throws -> ExtensionResponse {
        var info = try decodeInfo(body)
        guard info.serInstanceId == nil else { throw ProblemDetails(400, "serInstanceId is assigned by the platform: leave it out") }
        let problems = ServiceInfo.problems(info, at: FieldPath("serviceInfo"))
        guard problems.isEmpty else { throw ProblemDetails(400, problems.map(\.description).joined(separator: "; ")) }
        let id = UUID().uuidString.lowercased()
        info.serInstanceId = id
        let service = MECService(metadata: ObjectMeta(name: id), spec: MECServiceSpec(appInstanceId: app, serviceInfo: info))
        _ = try await client.create(service)
        try await offer(service)
        await notify(service, change: "ADDED", base: base)
        return ExtensionResponse(status: .created, body: Self.info(service, base: base))
    }

    func update(app: String, id: String, body: [UInt8], base: String) async throws -> ExtensionResponse {
        var current = try await service(id)
        guard current.spec.appInstanceId == app else { throw ProblemDetails(404, "application \(app) has no service \(id)") }
        var info = try decodeInfo(body)
        guard info.serInstanceId == nil || info.serInstanceId == id else { throw ProblemDetails(400, "serInstanceId \(info.serInstanceId ?? "") is not \(id)") }
        info.serInstanceId = id
        let problems = ServiceInfo.problems(info, at: FieldPath("serviceInfo"))
        guard problems.isEmpty else { throw ProblemDetails(400, problems.map(\.description).joined(separator: "; ")) }
        let change = current.spec.serviceInfo.state != info.state ? "STATE_CHANGED" : "ATTRIBUTES_CHANGED"
        current.spec.serviceInfo = info
        _ = try await client.update(MECService.descriptor, current.json())
        try await offer(current)
        await notify(current, change: change, base: base)
        return ExtensionResponse(body: Self.info(current, base: base))
    }

    func deregister(app: String, id: String, base: String) async throws -> ExtensionResponse {
        let current = try await service(id)
        guard current.spec.appInstanceId == app else { throw ProblemDetails(404, "application \(app) has no service \(id)") }
        try await client.delete(MECService.descriptor, namespace: nil, name: id)
        do {
            try await client.delete(ServiceOffering.descriptor, namespace: nil, name: Self.offeringName(id))
        } catch {
            if error.reason != .notFound { throw error }
        }
        await notify(current, change: "REMOVED", base: base)
        return ExtensionResponse(status: .noContent, content: .bytes([], contentType: "application/json"))
    }

    static func offeringName(_ id: String) -> String { "mec-\(id)" }

    /// The registered service as a bindable catalog offering.
    func offer(_ service: MECService) async throws {
        let info = service.spec.serviceInfo, id = service.metadata.name ?? ""
        var tags = ["mec011", info.transportInfo.type]
        if let category = info.serCategory?.name { tags.append(category) }
        var offering = ServiceOffering(metadata: ObjectMeta(name: Self.offeringName(id), labels: ["catalog.flotilla.io/source": "mec011"]),
            spec: ServiceOfferingSpec(description: "\(info.serName) \(info.version), registered by \(service.spec.appInstanceId) (MEC 011)",
                plans: [ServicePlan(name: "default", description: "Bind to the registered service as it is.")], template: nil, registeredService: id))
        offering.spec.tags = tags
        try await client.createOrUpdate(ServiceOffering.descriptor, offering.json())
    }

    // MARK: Subscriptions

    func subscriptions() async throws -> [ServiceAvailabilitySubscription] {
        try await client.list(ServiceAvailabilitySubscription.descriptor, namespace: nil, options: .everything).items
            .compactMap { try? ServiceAvailabilitySubscription(json: $0) }
    }

    static func link(_ subscription: ServiceAvailabilitySubscription, base: String) -> String {
        "\(base)/applications/\(subscription.spec.appInstanceId)/subscriptions/\(subscription.metadata.name ?? "")"
    }

    static func subscription(_ subscription: ServiceAvailabilitySubscription, base: String) -> JSONValue {
        var body: JSONValue = ["subscriptionType": "SerAvailabilityNotificationSubscription",
                               "callbackReference": .string(subscription.spec.callbackReference),
                               "_links": ["self": ["href": .string(link(subscription, base: base))]]]
        if let criteria = subscription.spec.filteringCriteria { body["filteringCriteria"] = (try? ObjectEncoder().encode(criteria)) ?? [:] }
        return body
    }

    func subscribe(app: String, body: [UInt8], base: String) async throws -> ExtensionResponse {
        guard let value = try? JSONValue.parse(body) else { throw ProblemDetails(400, "the body must be JSON") }
        guard value["subscriptionType"]?.stringValue == "SerAvailabilityNotificationSubscription" else {
            throw ProblemDetails(400, "subscriptionType must be SerAvailabilityNotificationSubscription")
        }
        guard let callback = value["callbackReference"]?.stringValue else { throw ProblemDetails(400, "callbackReference is required") }
        let criteria: AvailabilityFilter?
        do {
            criteria = try value["filteringCriteria"].map { try ObjectDecoder().decode(AvailabilityFilter.self, from: $0) }
        } catch {
            throw ProblemDetails(400, "filteringCriteria: \(error)")
        }
        let subscription = ServiceAvailabilitySubscription(metadata: ObjectMeta(name: "sub-\(UUID().uuidString.lowercased())"),
            spec: ServiceAvailabilitySubscriptionSpec(appInstanceId: app, callbackReference: callback, filteringCriteria: criteria))
        do {
            _ = try await client.create(subscription)
        } catch {
            throw ProblemDetails(error.code == 422 ? 400 : Int(error.code), error.message)
        }
        return ExtensionResponse(status: .created, body: Self.subscription(subscription, base: base))
    }

    /// POSTs a ServiceAvailabilityNotification to every matching subscriber, in the background.
    func notify(_ service: MECService, change: String, base: String) async {
        guard let subscribers = try? await subscriptions() else { return }
        let info = service.spec.serviceInfo
        for subscriber in subscribers where subscriber.spec.filteringCriteria?.matches(info) ?? true {
            let notification: JSONValue = [
                "notificationType": "SerAvailabilityNotification",
                "serviceReferences": [["link": ["href": .string("\(base)/services/\(service.metadata.name ?? "")")], "serName": .string(info.serName),
                                       "serInstanceId": .string(info.serInstanceId ?? ""), "state": .string(info.state), "changeType": .string(change)]],
                "_links": ["subscription": ["href": .string(Self.link(subscriber, base: base))]],
            ]
            let callback = subscriber.spec.callbackReference
            let logger = self.logger
            Task {
                for attempt in 1...3 {
                    var request = HTTPClientRequest(url: callback)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: notification.serialized()))
                    if let response = try? await HTTPClient.shared.execute(request, timeout: .seconds(5)), (200..<300).contains(Int(response.status.code)) {
                        return
                    }
                    if attempt < 3 { try? await Task.sleep(for: .seconds(1)) }
                }
                logger.warning("a service-availability notification was not delivered", metadata: ["callback": "\(callback)"])
            }
        }
    }
}
