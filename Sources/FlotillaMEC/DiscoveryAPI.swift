import FlotillaAPI
import FlotillaAPIExtension
import Hummingbird
import KubeClient

/// MEC discovery on the control plane (docs/mec-discovery.md):
///
///     GET  /mec/discovery/v1/namespaces/{ns}/apps/{app}/endpoints?ue=ADDRESS[&limit=N]
///     GET  /mec/discovery/v1/namespaces/{ns}/apps/{app}/endpoints?latitude=…&longitude=… | ?cell=NAME
///     POST /mec/discovery/v1/namespaces/{ns}/apps/{app}/sessions   {"ue": ADDRESS, "name"?, "callbackUri"?} → AppSession
///     POST /mec/discovery/v1/namespaces/{ns}/apps/{app}/sessions/{name}/report   the client lost its server
///     GET  /mec/discovery/v1/namespaces/{ns}/apps/{app}/instances   every instance: site, endpoint, ready, load
///     GET  /mec/discovery/v1/services[?ser_name=APP][&namespace=NS]   MEC 011-shaped ServiceInfo list
public struct DiscoveryAPI: APIExtension {
    public let pathPrefix = "/mec/discovery/v1/"
    public let metricName = "mec-discovery"
    let discovery: Discovery
    /// Where a client's report of a lost server goes (the mobility service); nil answers 503.
    let reportLost: (@Sendable (_ namespace: String, _ session: String) async -> String)?

    public init(discovery: Discovery, reportLost: (@Sendable (_ namespace: String, _ session: String) async -> String)? = nil) {
        self.discovery = discovery
        self.reportLost = reportLost
    }

    public func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
        let parts = request.uri.path.dropFirst(pathPrefix.count).split(separator: "/").map(String.init)
        let query = request.uri.queryParameters
        if parts == ["services"], request.method == .get {
            return ExtensionResponse(body: await services(name: query.get("ser_name"), namespace: query.get("namespace")))
        }
        if parts.count == 7, parts[0] == "namespaces", parts[2] == "apps", parts[4] == "sessions", parts[6] == "report" {
            guard request.method == .post else { throw APIError(.methodNotAllowed, "\(request.method) is not supported on report") }
            guard let reportLost else { throw APIError(.serviceUnavailable, "no mobility service runs on this control plane") }
            let result = await reportLost(parts[1], parts[5])
            return ExtensionResponse(status: .accepted, body: ["session": .string(parts[5]), "result": .string(result)])
        }
        guard parts.count == 5, parts[0] == "namespaces", parts[2] == "apps" else {
            throw APIError(.notFound, "the server could not find the requested resource")
        }
        let (namespace, app) = (parts[1], parts[3])
        switch (parts[4], request.method) {
        case ("endpoints", .get):
            var limit = Int.max
            if let text = query.get("limit") {
                guard let value = Int(text), value > 0 else { throw APIError.badRequest("limit must be a positive integer") }
                limit = value
            }
            let subject = try Self.subject(query)
            let result = try await discovery.endpoints(namespace: namespace, app: app, for: subject, limit: limit)
            return ExtensionResponse(body: Self.encode(result, namespace: namespace, app: app, subject: subject))
        case ("sessions", .post):
            let object: JSONValue
            do { object = try JSONValue.parse(body) } catch { throw APIError.badRequest("the body must be JSON: \(error)") }
            guard let ue = object["ue"]?.stringValue, !ue.isEmpty else { throw APIError.badRequest("give the UE: {\"ue\": \"10.0.0.7\"}") }
            let session = try await discovery.assign(namespace: namespace, app: app, ue: ue, name: object["name"]?.stringValue,
                                                     callbackUri: object["callbackUri"]?.stringValue)
            return ExtensionResponse(status: .created, body: try session.json())
        case ("instances", .get):
            guard let found = await discovery.instances.app(namespace: namespace, name: app) else {
                throw APIError(.notFound, "no AppProfile \(namespace)/\(app)")
            }
            return ExtensionResponse(body: ["namespace": .string(namespace), "app": .string(app), "instances": .array(found.instances.map {
                ["site": .string($0.site), "endpoint": .string($0.endpoint), "ready": .bool($0.ready), "load": .integer(Int64($0.load))]
            })])
        case ("endpoints", _), ("sessions", _), ("instances", _):
            throw APIError(.methodNotAllowed, "\(request.method) is not supported on \(parts[4])")
        default:
            throw APIError(.notFound, "the server could not find the requested resource")
        }
    }

    static func subject(_ query: Hummingbird.Parameters) throws(APIError) -> Discovery.Subject {
        if let ue = query.get("ue"), !ue.isEmpty { return .ue(ue) }
        if let cell = query.get("cell"), !cell.isEmpty { return .location(.cell(cell)) }
        if let lat = query.get("latitude"), let lon = query.get("longitude") {
            guard let latitude = Double(lat), let longitude = Double(lon), abs(latitude) <= 90, abs(longitude) <= 180 else {
                throw APIError.badRequest("latitude and longitude must be degrees")
            }
            return .location(.coordinates(latitude: latitude, longitude: longitude))
        }
        throw APIError.badRequest("say who is asking: ue=ADDRESS, cell=NAME, or latitude=…&longitude=…")
    }

    static func encode(_ result: Discovery.Result, namespace: String, app: String, subject: Discovery.Subject) -> JSONValue {
        var body: JSONObject = ["namespace": .string(namespace), "app": .string(app)]
        if case .ue(let address) = subject { body["ue"] = .string(address) }
        if case .object(let status) = (try? ObjectEncoder().encode(status(result))) ?? .null {
            body.merge(status) { _, new in new }
        }
        return .object(body)
    }

    /// The result as an EndpointReview status (the GET answer carries the same members).
    static func status(_ result: Discovery.Result) -> EndpointReviewStatus {
        func entry(_ ranked: RankedEndpoint) -> ReviewedEndpoint {
            ReviewedEndpoint(site: ranked.instance.site, endpoint: ranked.instance.endpoint, predictedRttMs: ranked.predictedRttMs,
                             withinBudget: ranked.withinBudget, load: ranked.instance.load, capacity: ranked.instance.capacity, reason: ranked.reason)
        }
        var status = EndpointReviewStatus()
        status.endpoints = result.ranked.map(entry)
        status.skipped = result.skipped.map(entry)
        status.cell = result.observed.servingCell
        status.latencyBudgetMs = result.profile.spec.latencyBudgetMs
        return status
    }

    public var reviewedResources: [GroupResource] { [EndpointReview.descriptor.groupResource] }

    public func review(_ object: JSONValue, resource: GroupResource) async throws(APIError) -> JSONValue {
        var review = try EndpointReview(jsonChecked: object)
        let subject: Discovery.Subject
        if let ue = review.spec.ue {
            subject = .ue(ue)
        } else if let cell = review.spec.cell {
            subject = .location(.cell(cell))
        } else {
            subject = .location(.coordinates(latitude: review.spec.latitude ?? 0, longitude: review.spec.longitude ?? 0))
        }
        let result = try await discovery.endpoints(namespace: review.metadata.namespace ?? "default", app: review.spec.app, for: subject,
                                                   limit: review.spec.limit ?? .max)
        review.status = Self.status(result)
        return try review.json()
    }

    /// The registry in ETSI MEC 011's ServiceInfo shape: one entry per instance.
    func services(name: String?, namespace: String?) async -> JSONValue {
        var list: [JSONValue] = []
        for edgeApp in await discovery.instances.apps(namespace: namespace) where name == nil || edgeApp.profile.metadata.name == name {
            let ns = edgeApp.profile.metadata.namespace ?? "default", app = edgeApp.profile.metadata.name ?? ""
            for instance in edgeApp.instances {
                let parts = instance.endpoint.split(separator: ":")
                list.append([
                    "serInstanceId": .string("\(ns)/\(app)@\(instance.site)/\(instance.endpoint)"),
                    "serName": .string(app),
                    "serCategory": ["href": .string("/mec/discovery/v1/namespaces/\(ns)/apps/\(app)/endpoints"), "id": .string(ns),
                                    "name": "edge-app", "version": "v1"],
                    "version": "v1",
                    "state": .string(instance.ready ? "ACTIVE" : "INACTIVE"),
                    "transportInfo": ["id": .string(instance.endpoint), "name": "http", "type": "REST_HTTP", "protocol": "HTTP", "version": "1.1",
                                      "endpoint": ["addresses": [["host": .string(String(parts.first ?? "")),
                                                                  "port": .integer(Int64(parts.last ?? "") ?? 0)]]]],
                    "serializer": "JSON",
                    "scopeOfLocality": "MEC_HOST",
                    "consumedLocalOnly": false,
                    "isLocal": true,
                    "livenessInterval": 0,
                    "_links": ["self": ["href": .string(instance.site)]],
                ])
            }
        }
        return ["serviceInfoList": .array(list)]
    }
}
