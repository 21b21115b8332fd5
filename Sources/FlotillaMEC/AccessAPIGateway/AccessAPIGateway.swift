import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import HTTPTypes
import Hummingbird
import NIOHTTP1

/// The access API gateway (the seed blueprint's multi-access gateway, management side): the access network's
/// capabilities exposed to edge apps under `/apig/`, CAPIF-shaped (3GPP TS 29.222).
///
///     POST              /apig/api-invoker-management/v1/onboardedInvokers        onboard → 201, apiInvokerId + token
///     GET, DELETE       /apig/api-invoker-management/v1/onboardedInvokers/{id}   read, offboard
///     GET               /apig/service-apis/v1/allServiceAPIs?api-invoker-id=ID[&api-name=N]
///     *                 /apig/location/v2/…                      MEC 013 Location, proxied
///     *                 /apig/rni/v2/…                           MEC 012 RNIS, proxied
///     GET, POST, DELETE /apig/3gpp-as-session-with-qos/v1/{scsAsId}/subscriptions[/{id}]   QoS on demand, proxied
///
/// An onboarded invoker's `onboardingInformation.onboardingSecret` is its bearer token here (`APIInvokers`); the
/// admin token works too. Proxied answers come back as the access network gave them, its links rewritten to the
/// gateway's. Every error is a ProblemDetails (RFC 7807), with `invalidParams` naming the field where one is at fault.
public struct AccessAPIGateway: APIExtension {
    public let pathPrefix = "/apig/"
    public let metricName = "access-api-gateway"
    let invokers: APIInvokers
    let accessNetworkURL: String
    let transport: HTTPTransport
    /// `https` or `http`: how clients reach this server, for the links the gateway gives out.
    let scheme: String

    public init(invokers: APIInvokers, accessNetworkURL: String, transport: HTTPTransport, scheme: String = "https") {
        self.invokers = invokers
        self.accessNetworkURL = accessNetworkURL.hasSuffix("/") ? String(accessNetworkURL.dropLast()) : accessNetworkURL
        self.transport = transport
        self.scheme = scheme
    }

    static let onboarded = "/apig/api-invoker-management/v1/onboardedInvokers"
    static let discovery = "/apig/service-apis/v1/allServiceAPIs"
    /// CAPIF members the gateway keeps but does not act on (invokers authenticate by token, and the API list does not
    /// change, so there is nothing to notify): said in a Warning.
    static let keptWarning = "299 - \"apiInvokerPublicKey, apiInvokerCertificate and notificationDestination are kept but not used: the onboardingSecret is the invoker's bearer token, and no onboarding notifications are sent\""

    public func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
        await ProblemDetails.answering(request) { try await route(request, body: body, user: user) }
    }

    func route(_ request: Request, body: [UInt8], user: UserInfo) async throws -> ExtensionResponse {
        let path = request.uri.path.hasSuffix("/") && request.uri.path.count > 1 ? String(request.uri.path.dropLast()) : request.uri.path
        let host = request.head.authority
        if path == Self.onboarded {
            guard request.method == .post else { throw ProblemDetails(405, "onboard with POST") }
            return try await onboard(body, host: host)
        }
        if path.hasPrefix(Self.onboarded + "/") {
            let id = String(path.dropFirst(Self.onboarded.count + 1))
            switch request.method {
            case .get:
                guard let invoker = try await invokers.invoker(id) else { throw ProblemDetails(404, "no onboarded invoker \"\(id)\"") }
                return ExtensionResponse(body: invoker.enrolment)
            case .delete:
                guard try await invokers.offboard(id) else { throw ProblemDetails(404, "no onboarded invoker \"\(id)\"") }
                return ExtensionResponse(status: .noContent, content: .bytes([], contentType: "application/json"))
            default:
                throw ProblemDetails(405, "an enrolment is read (GET) or ended (DELETE); onboard again to change it")
            }
        }
        if path == Self.discovery {
            guard request.method == .get else { throw ProblemDetails(405, "discover with GET") }
            return try await discover(request, user: user)
        }
        let inner = String(path.dropFirst("/apig".count))
        guard ExposedAPI.proxied(inner) != nil else {
            throw ProblemDetails(404, "no API at \(path); GET \(Self.discovery)?api-invoker-id=ID lists them")
        }
        return try await proxy(request, path: inner, body: body, host: host)
    }

    /// CAPIF onboarding: APIInvokerEnrolmentDetails in, the same with apiInvokerId, the token and the API list out.
    func onboard(_ body: [UInt8], host: String?) async throws -> ExtensionResponse {
        guard let parsed = try? JSONValue.parse(body), var fields = parsed.objectValue else {
            throw ProblemDetails(400, "the body must be an APIInvokerEnrolmentDetails object")
        }
        guard let information = fields["onboardingInformation"]?.objectValue else {
            throw ProblemDetails.invalid("onboardingInformation", "required, an object (apiInvokerPublicKey)")
        }
        guard information["apiInvokerPublicKey"]?.stringValue?.isEmpty == false else {
            throw ProblemDetails.invalid("onboardingInformation.apiInvokerPublicKey", "required, a string")
        }
        guard let destination = fields["notificationDestination"]?.stringValue, let url = URL(string: destination),
              ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ProblemDetails.invalid("notificationDestination", "required, an http(s) URL")
        }
        let known: Set<String> = ["onboardingInformation", "notificationDestination", "apiInvokerInformation", "apiList",
                                  "supportedFeatures", "requestTestNotification", "websockNotifConfig", "apiInvokerId"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw ProblemDetails.invalid(unknown, "not a member of APIInvokerEnrolmentDetails")
        }
        for refused in ["requestTestNotification", "websockNotifConfig"] where fields[refused] != nil {
            throw ProblemDetails.invalid(refused, "not supported by this gateway")
        }
        if let info = fields["apiInvokerInformation"], info.stringValue == nil {
            throw ProblemDetails.invalid("apiInvokerInformation", "a string")
        }
        let askedForAPIs = fields["apiList"] != nil
        fields["apiInvokerId"] = nil
        fields["apiList"] = ["serviceAPIDescriptions": .array(ExposedAPI.all.map { $0.description(host: host) })]
        fields["supportedFeatures"] = "0"
        let invoker = try await invokers.onboard(enrolment: .object(fields))
        var answer = invoker.enrolment
        var onboarding = information
        onboarding["onboardingSecret"] = .string(invoker.token)
        answer["onboardingInformation"] = .object(onboarding)
        var headers = HTTPFields()
        headers[.location] = link(host: host, path: Self.onboarded + "/" + invoker.id)
        headers[.warning] = Self.keptWarning
        if askedForAPIs {
            headers.append(HTTPField(name: .warning, value: "299 - \"apiList is the gateway's: an onboarded invoker may use every API it lists\""))
        }
        return ExtensionResponse(status: .created, body: answer, headers: headers)
    }

    /// CAPIF discovery: the APIs an invoker may use (all of them), optionally one by name.
    func discover(_ request: Request, user: UserInfo) async throws -> ExtensionResponse {
        let query = request.uri.queryParameters
        for (key, _) in query where !["api-invoker-id", "api-name", "supported-features"].contains(String(key)) {
            throw ProblemDetails.invalid(String(key), "not a filter this gateway offers (api-invoker-id, api-name)")
        }
        guard let id = query.get("api-invoker-id"), !id.isEmpty else {
            throw ProblemDetails.invalid("api-invoker-id", "required")
        }
        if let caller = APIInvokers.invokerID(of: user), caller != id {
            throw ProblemDetails(403, "an invoker discovers its own APIs (api-invoker-id=\(caller))")
        }
        guard try await invokers.invoker(id) != nil else { throw ProblemDetails(404, "no onboarded invoker \"\(id)\"") }
        var apis = ExposedAPI.all
        if let name = query.get("api-name") { apis = apis.filter { $0.apiName == name } }
        return ExtensionResponse(body: ["serviceAPIDescriptions": .array(apis.map { $0.description(host: request.head.authority) })])
    }

    /// Forwards to the access network and brings its answer back, links rewritten to the gateway's.
    func proxy(_ request: Request, path: String, body: [UInt8], host: String?) async throws -> ExtensionResponse {
        var url = accessNetworkURL + path
        if let query = request.uri.query, !query.isEmpty { url += "?" + query }
        var headers: [(String, String)] = []
        if let type = request.headers[.contentType] { headers.append(("Content-Type", type)) }
        let reply: HTTPTransport.Reply
        do {
            reply = try await transport.send(HTTPMethod(rawValue: request.method.rawValue), url,
                                             body: body.isEmpty ? nil : Data(body), headers: headers)
        } catch {
            throw ProblemDetails(503, "the access network did not answer: \(error.message)")
        }
        let base = link(host: host, path: "/apig")
        let rewrite = { (text: String) in text.replacingOccurrences(of: accessNetworkURL, with: base) }
        var fields = HTTPFields()
        if let location = reply.headers.first(name: "Location") { fields[.location] = rewrite(location) }
        if let warning = reply.headers.first(name: "Warning") { fields[.warning] = warning }
        let contentType = reply.headers.first(name: "Content-Type") ?? "application/json"
        let bytes = Array(rewrite(String(decoding: reply.body, as: UTF8.self)).utf8)
        return ExtensionResponse(status: HTTPResponse.Status(code: reply.status), content: .bytes(bytes, contentType: contentType), headers: fields)
    }

    func link(host: String?, path: String) -> String { host.map { "\(scheme)://\($0)\(path)" } ?? path }
}
