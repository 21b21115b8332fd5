import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import Hummingbird
import KubeClient

/// ETSI MEC 011's traffic-rule API (Mp1 application support) under `/mec_app_support/v1/`, so an app reads and
/// changes its own rules:
///
///     GET /applications/{appInstanceId}/traffic_rules
///     GET /applications/{appInstanceId}/traffic_rules/{trafficRuleId}
///     PUT /applications/{appInstanceId}/traffic_rules/{trafficRuleId}
///
/// The rules are the control plane's TrafficRules whose `spec.appInstanceId` is the id; an app's id is
/// `namespace.app` (its AppProfile). The representation is MEC 011's TrafficRule (`dstInterface` an array of one
/// InterfaceDescriptor, with Flotilla's `dstPort`); members the gateways do not act on are refused. A PUT is validated like the object, and a FORWARD rule must point at
/// one of the app's instances (its site is then taken from the instance); errors are ProblemDetails naming the field.
/// Rules are created with the sessions (and POST/DELETE are not part of MEC 011's traffic-rule API).
public struct TrafficRulesAPI: APIExtension {
    public let pathPrefix = "/mec_app_support/v1/"
    public let metricName = "mec-app-support"
    let client: any ObjectClient
    let instances: any InstanceSource

    public init(client: any ObjectClient, instances: any InstanceSource) {
        self.client = client
        self.instances = instances
    }

    public func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
        await ProblemDetails.answering(request) { try await route(request, body: body) }
    }

    func route(_ request: Request, body: [UInt8]) async throws -> ExtensionResponse {
        let p = request.uri.path.dropFirst(pathPrefix.count).split(separator: "/").map(String.init)
        guard p.count >= 3, p[0] == "applications", p[2] == "traffic_rules", p.count <= 4 else {
            throw ProblemDetails(404, "no such resource: \(request.method) \(request.uri.path)")
        }
        let app = p[1]
        switch (p.count, request.method) {
        case (3, .get):
            return ExtensionResponse(body: .array(try await rules(of: app).map(Self.representation)))
        case (4, .get):
            return ExtensionResponse(body: Self.representation(try await rule(p[3], of: app)))
        case (4, .put):
            return ExtensionResponse(body: Self.representation(try await update(p[3], of: app, body: body)))
        default:
            throw ProblemDetails(405, "\(request.method) is not supported on \(request.uri.path)")
        }
    }

    func rules(of app: String) async throws -> [TrafficRule] {
        guard let namespace = Self.namespace(of: app) else { throw ProblemDetails(404, "no application instance \(app) (ids are namespace.app)") }
        let list = try await client.list(TrafficRule.descriptor, namespace: namespace, options: .everything)
        return list.items.compactMap { try? TrafficRule(json: $0) }.filter { $0.spec.appInstanceId == app }
            .sorted { ($0.spec.priority, $0.spec.trafficRuleId) < ($1.spec.priority, $1.spec.trafficRuleId) }
    }

    func rule(_ id: String, of app: String) async throws -> TrafficRule {
        guard let found = try await rules(of: app).first(where: { $0.spec.trafficRuleId == id }) else {
            throw ProblemDetails(404, "application \(app) has no traffic rule \(id)")
        }
        return found
    }

    func update(_ id: String, of app: String, body: [UInt8]) async throws -> TrafficRule {
        var current = try await rule(id, of: app)
        let sent: JSONValue
        do { sent = try JSONValue.parse(body) } catch { throw ProblemDetails(400, "the body must be a JSON TrafficRule: \(error)") }
        guard sent.objectValue != nil else { throw ProblemDetails(400, "the body must be a JSON TrafficRule") }
        guard sent["trafficRuleId"]?.stringValue == id else { throw ProblemDetails.invalid("trafficRuleId", "must be \(id), as in the URI") }
        try Self.refuseUnknownMembers(sent)
        var spec = current.spec
        spec.filterType = sent["filterType"]?.stringValue ?? spec.filterType
        if let priority = sent["priority"] {
            guard let value = priority.int64Value.map(Int.init) else { throw ProblemDetails.invalid("priority", "must be an integer 0 to 255") }
            spec.priority = value
        }
        spec.action = sent["action"]?.stringValue ?? spec.action
        spec.state = sent["state"]?.stringValue ?? spec.state
        if let filters = sent["trafficFilter"] {
            do { spec.trafficFilter = try ObjectDecoder().decode([TrafficFilter].self, from: filters) } catch {
                throw ProblemDetails.invalid("trafficFilter", "must be an array of TrafficFilter: \(error)")
            }
        }
        if let interfaces = sent["dstInterface"] {
            let first = interfaces.arrayValue.map { $0.first ?? .null } ?? interfaces
            do { spec.dstInterface = try ObjectDecoder().decode(InterfaceDescriptor.self, from: first) } catch {
                throw ProblemDetails.invalid("dstInterface", "must be an array of one InterfaceDescriptor: \(error)")
            }
        }
        if let problem = spec.problems(at: FieldPath("")).first {
            throw ProblemDetails.invalid(Self.param(problem.field), problem.body)
        }
        if spec.forwards, let endpoint = spec.dstInterface?.endpoint {
            let name = current.metadata.labels?["mec.flotilla.io/app"] ?? String(app.split(separator: ".", maxSplits: 1).last ?? "")
            let known = await instances.app(namespace: current.metadata.namespace ?? "default", name: name)?.instances ?? []
            guard let instance = known.first(where: { $0.endpoint == endpoint }) else {
                throw ProblemDetails.invalid("dstInterface[0].dstIpAddress", "\(endpoint) is not an instance of \(name)")
            }
            spec.site = instance.site
        }
        current.spec = spec
        return try TrafficRule(jsonChecked: try await client.update(TrafficRule.descriptor, try current.json()))
    }

    static let members: Set<String> = ["trafficRuleId", "filterType", "priority", "trafficFilter", "action", "dstInterface", "state"]
    static let filterMembers: Set<String> = ["srcAddress", "srcPort", "dstAddress", "dstPort", "protocol"]
    static let interfaceMembers: Set<String> = ["interfaceType", "dstIpAddress", "dstPort"]

    /// MEC 011 members the gateways do not act on (a filter's qCI, dSCP or tag, an interface's tunnelInfo …) are refused,
    /// named, rather than stored and ignored.
    static func refuseUnknownMembers(_ sent: JSONValue) throws {
        for key in (sent.objectValue ?? [:]).keys.sorted() where !members.contains(key) {
            throw ProblemDetails.invalid(key, "not a TrafficRule member Flotilla's gateways act on")
        }
        for (i, filter) in (sent["trafficFilter"]?.arrayValue ?? []).enumerated() {
            for key in (filter.objectValue ?? [:]).keys.sorted() where !filterMembers.contains(key) {
                throw ProblemDetails.invalid("trafficFilter[\(i)].\(key)", "the gateways match flows on \(filterMembers.sorted().joined(separator: ", ")) only")
            }
        }
        let interfaces = sent["dstInterface"].map { $0.arrayValue ?? [$0] } ?? []
        for (i, interface) in interfaces.enumerated() {
            for key in (interface.objectValue ?? [:]).keys.sorted() where !interfaceMembers.contains(key) {
                throw ProblemDetails.invalid("dstInterface[\(i)].\(key)", "the gateways forward over IP to dstIpAddress and dstPort only")
            }
        }
    }

    /// `spec.trafficFilter[0].dstPort[0]` → `trafficFilter[0].dstPort[0]`.
    static func param(_ field: FieldPath) -> String {
        var text = field.description
        while text.hasPrefix(".") { text.removeFirst() }
        return text
    }

    static func namespace(of app: String) -> String? {
        let parts = app.split(separator: ".", maxSplits: 1)
        return parts.count == 2 ? String(parts[0]) : nil
    }

    /// MEC 011's TrafficRule as JSON.
    static func representation(_ rule: TrafficRule) -> JSONValue {
        var body: JSONValue = (try? ObjectEncoder().encode(rule.spec)) ?? .null
        // Flotilla's own members stay out of MEC 011's shape: the id is in the URI, the site follows the instance.
        body["appInstanceId"] = nil
        body["site"] = nil
        if let interface = body["dstInterface"] { body["dstInterface"] = .array([interface]) }
        return body
    }
}
