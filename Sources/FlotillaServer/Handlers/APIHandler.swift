import FlotillaAPI
import FlotillaAPIExtension
import FlotillaStore
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// The Kubernetes-compatible API: one responder that parses the path, authenticates, authorizes and dispatches.
/// Every failure leaves through `Responses.error`, the one place errors become `Status` objects.
public struct APIHandler: HTTPResponder {
    public typealias Context = FlotillaRequestContext

    /// The Kubernetes API server's request body limit.
    public static let maxBodyBytes = 3 * 1024 * 1024

    let store: any Store
    /// The built-in kinds and those of the stored CustomResourceDefinitions.
    let served: ServedResources
    let authenticator: Authenticator
    let authorizer: Authorizer
    let metrics: ServerMetrics
    let clock: any TimeSource
    let version: VersionInfo
    let isReady: @Sendable () -> Bool
    let bookmarkInterval: Duration
    let serverAddress: String
    let logger: Logger
    /// Requests in flight (watches excepted) beyond which the server answers 429, as kube-apiserver's
    /// max-requests-inflight does, instead of queueing without bound.
    let inflight: InflightLimiter
    let watches: WatchRegistry
    let gate: (any RequestGate)?
    var extensions: [any APIExtension] = []
    /// Answers the Service proxy subresource; without it that path is 404.
    var serviceProxy: (any ServiceProxy)?
    /// Computes the read-only kinds (metrics).
    var computed: (any ComputedResources)?

    public func respond(to request: Request, context: Context) async throws -> Response {
        await gate?.pass()
        let started = ContinuousClock.now
        let label = MetricLabel()
        let response: Response
        do {
            response = try await handle(request, context: context, label: label)
        } catch let error as APIError {
            response = Responses.error(error)
        } catch {
            // Never leak internals to the client; the log has the details.
            logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = Responses.error(.internalError())
        }
        metrics.recordRequest(verb: label.verb, resource: label.resource, code: Int(response.status.code),
            duration: ContinuousClock.now - started)
        return response
    }

    func handle(_ request: Request, context: Context, label: MetricLabel) async throws -> Response {
        var registry = served.registry
        let customMetrics = CustomMetricsHandler.route(request.uri.path)
        if customMetrics == nil, Self.mayNameCustomKind(request.uri.path, registry) {
            // A discovery document, or a path no kind answers yet: a CRD may have been written (through this
            // replica or another), so the served set is rebuilt from the store first.
            registry = try await served.refresh(from: store)
        }
        let route = APIRoute.parse(path: request.uri.path) { group, version, plural in
            registry.descriptor(group: group, version: version, plural: plural)?.namespaced ?? false
        }
        switch route {
        case .version:
            label.set("get", "version")
            return Responses.json(version.json)
        case .health(let name):
            label.set("get", name)
            if name == "readyz", !isReady() { return Responses.plain("[-]store not ready\nreadyz check failed\n", status: .internalServerError) }
            return Responses.plain("ok")
        default:
            break
        }

        let extensionHandler: (any APIExtension)? = if case .notFound = route {
            extensions.first { request.uri.path.hasPrefix($0.pathPrefix) }
        } else {
            nil
        }
        let queryToken = extensionHandler?.acceptsQueryToken == true ? request.uri.queryParameters.get("token") : nil
        guard let user = await authenticator.authenticate(request, channel: context.channel, queryToken: queryToken) else {
            throw APIError(.unauthorized, "Unauthorized")
        }
        let query = RequestOptions(uri: request.uri)
        let verb = Self.verb(method: request.method, route: route, watch: query.isWatch)
        guard verb == "watch" || inflight.enter() else {
            throw APIError(.tooManyRequests, "Too many requests, please try again later.",
                details: StatusDetails(retryAfterSeconds: 1))
        }
        defer { if verb != "watch" { inflight.leave() } }
        label.verb = verb
        if case .resource(let path) = route { label.resource = path.subresource.map { "\(path.plural)/\($0)" } ?? path.plural }
        let resource: GroupResource? = if case .resource(let path) = route {
            GroupResource(group: path.group, resource: path.plural)
        } else if case .values = customMetrics {
            GroupResource(group: CustomMetrics.group, resource: "pods")
        } else {
            nil
        }
        guard authorizer.allows(user, verb: verb, resource: resource, path: request.uri.path) else {
            let target: String
            if case .resource(let path) = route {
                target = "resource \"\(label.resource)\" in API group \"\(path.group)\"" + (path.namespace.map { " in the namespace \"\($0)\"" } ?? "")
            } else {
                target = "path \"\(request.uri.path)\""
            }
            throw APIError.forbidden("\(label.resource.isEmpty ? "path" : label.resource) is forbidden: User \"\(user.name)\" cannot \(verb) \(target)")
        }

        if let handler = extensionHandler {
            label.resource = handler.metricName
            let body = request.method == .get || request.method == .head ? [] : try await RequestBody.bytes(of: request)
            let answer = try await handler.respond(to: request, body: body, user: user)
            var response: Response
            switch answer.content {
            case .json(let value):
                response = Responses.json(value, status: answer.status)
            case .bytes(let bytes, let contentType):
                response = Response(status: answer.status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            case .stream(let chunks, let contentType):
                response = Responses.stream(chunks, status: answer.status, contentType: contentType, channel: context.channel, watches: watches)
            }
            for field in answer.headers { response.headers.append(field) }
            return response
        }
        if let customMetrics {
            label.resource = "custom.metrics"
            return try await CustomMetricsHandler(source: computed).respond(customMetrics, method: request.method, query: query)
        }
        let accept = request.headers[.accept]
        switch route {
        case .metrics:
            return Responses.plain(metrics.exposition(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .openAPIV2:
            // An empty protobuf document: kubectl then trusts the server's validation (see the reference, §3).
            return Response(status: .ok, headers: [.contentType: MediaTypes.openAPIProtobuf], body: .init())
        case .openAPIV3, .notFound:
            throw APIError(.notFound, "the server could not find the requested resource")
        case .coreRoot:
            return Discovery(registry: registry).respondRoot(core: true, accept: accept, serverAddress: serverAddress)
        case .groupsRoot:
            return Discovery(registry: registry).respondRoot(core: false, accept: accept, serverAddress: serverAddress)
        case .group(let group):
            let discovery = Discovery(registry: registry)
            guard discovery.groups.contains(group) else { throw APIError(.notFound, "the server could not find the requested resource") }
            return Responses.json(discovery.groupDocument(group))
        case .groupVersion(let group, let version):
            guard let list = Discovery(registry: registry).resourceList(group: group, version: version) else {
                throw APIError(.notFound, "the server could not find the requested resource")
            }
            return Responses.json(list)
        case .resource(let path) where path.subresource == "proxy":
            return try await proxy(path, request: request)
        case .resource(let path):
            guard MediaTypes.acceptsJSON(accept) else {
                throw APIError(.notAcceptable, "only application/json and application/yaml responses are supported")
            }
            if let known = registry.descriptor(group: path.group, version: path.version, plural: path.plural), known.definition != nil,
               !["get", "list", "watch"].contains(verb) {
                // A write of a custom resource: its CRD must still be there (it may have gone through another replica).
                registry = try await served.refresh(from: store)
            }
            guard let descriptor = registry.descriptor(group: path.group, version: path.version, plural: path.plural),
                path.subresource.map({ descriptor.subresources.contains($0) }) ?? true
            else {
                throw APIError(.notFound, "the server could not find the requested resource")
            }
            if descriptor.createOnly { return try await review(descriptor, path: path, verb: verb, request: request) }
            if descriptor.computed {
                return try await ComputedHandler(descriptor: descriptor, path: path, source: computed, clock: clock)
                    .handle(verb: verb, query: query, accept: accept)
            }
            let handler = ResourceHandler(descriptor: descriptor, path: path, store: store, registry: registry, served: served, clock: clock,
                metrics: metrics, bookmarkInterval: bookmarkInterval, logger: logger, channel: context.channel, watches: watches)
            return try await handler.handle(verb: verb, request: request, query: query, accept: accept)
        case .version, .health:
            throw APIError(.notFound, "the server could not find the requested resource")
        }
    }

    /// The Service proxy subresource: the call goes to the service through `serviceProxy`, its answer comes back as it is.
    func proxy(_ path: ResourcePath, request: Request) async throws -> Response {
        guard path.group == "", path.plural == "services", let namespace = path.namespace, let name = path.name,
            let serviceProxy else {
            throw APIError(.notFound, "the server could not find the requested resource")
        }
        let (service, port) = try ProxiedCall.split(name)
        let body = request.method == .get || request.method == .head ? [] : try await RequestBody.bytes(of: request)
        let call = ProxiedCall(namespace: namespace, service: service, port: port, path: path.proxyPath ?? "/",
            query: request.uri.query, method: request.method.rawValue, contentType: request.headers[.contentType], body: body)
        let answer = try await serviceProxy.forward(call)
        var headers = HTTPFields()
        if let type = answer.contentType { headers[.contentType] = type }
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    /// A create-only review (EndpointReview): admitted like any object, answered by the extension that reviews the kind,
    /// returned with its status and not stored.
    func review(_ descriptor: ResourceDescriptor, path: ResourcePath, verb: String, request: Request) async throws -> Response {
        guard verb == "create", path.name == nil, path.subresource == nil else {
            throw APIError(.methodNotAllowed, "\(descriptor.plural) only support create: the result comes back in status and nothing is stored")
        }
        guard let reviewer = extensions.first(where: { $0.reviewedResources.contains(descriptor.groupResource) }) else {
            throw APIError(.serviceUnavailable, "nothing on this server answers \(descriptor.plural) (it runs without the MEC services)")
        }
        var object = try RequestBody.object(try await RequestBody.bytes(of: request), contentType: request.headers[.contentType])
        if descriptor.namespaced, object.namespace == nil, let namespace = path.namespace { object.setMetadata("namespace", .string(namespace)) }
        if object.name == nil { object.setMetadata("name", .string(object["metadata"]?["generateName"]?.stringValue.map { $0 + "review" } ?? "review")) }
        if descriptor.namespaced, let namespace = path.namespace, object.namespace != namespace {
            throw APIError.badRequest("the namespace of the object (\(object.namespace ?? "")) does not match the namespace on the request (\(namespace))")
        }
        switch descriptor.admit(object) {
        case .success(let admitted):
            return Responses.json(try await reviewer.review(admitted, resource: descriptor.groupResource), status: .created)
        case .failure(let failure):
            throw failure.apiError(descriptor, name: object.name ?? "")
        }
    }

    /// Whether the path is discovery or names a resource the registry does not serve (a group no kind has, or a
    /// plural its group lacks).
    static func mayNameCustomKind(_ path: String, _ registry: ResourceRegistry) -> Bool {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        guard parts.first == "apis" else { return false }
        // /apis, /apis/{group}, /apis/{group}/{version}: discovery.
        guard parts.count > 3 else { return true }
        let group = String(parts[1]), version = String(parts[2])
        // /apis/{group}/{version}/namespaces/{ns}/{plural}... or /apis/{group}/{version}/{plural}...
        let plural = parts[3] == "namespaces" && parts.count > 5 ? String(parts[5]) : String(parts[3])
        return registry.descriptor(group: group, version: version, plural: plural) == nil
    }

    static func verb(method: HTTPRequest.Method, route: APIRoute, watch: Bool) -> String {
        guard case .resource(let path) = route else { return method == .get ? "get" : method.rawValue.lowercased() }
        // Reaching into a service is more than reading the API: viewers may not (as Kubernetes' view role may not).
        if path.subresource == "proxy" { return "proxy" }
        switch method {
        case .get, .head:
            if watch { return "watch" }
            return path.name == nil ? "list" : "get"
        case .post: return "create"
        case .put: return "update"
        case .patch: return "patch"
        case .delete: return path.name == nil ? "deletecollection" : "delete"
        default: return method.rawValue.lowercased()
        }
    }
}

/// What `/version` reports. The minor version decides which bundled kubectl the Google Cloud SDK dispatcher runs.
public struct VersionInfo: Sendable {
    public var major = "1"
    public var minor = "30"
    public var flotillaVersion: String

    public init(flotillaVersion: String) { self.flotillaVersion = flotillaVersion }

    var json: JSONValue {
        ["major": .string(major), "minor": .string(minor), "gitVersion": .string("v\(major).\(minor).0-flotilla.\(flotillaVersion)"),
         "gitCommit": "", "gitTreeState": "clean", "buildDate": "2026-11-28T00:00:00Z", "goVersion": "swift6",
         "compiler": "swiftc", "platform": "linux/amd64"]
    }
}

/// The verb and resource a request is counted under, filled in as the request is understood.
final class MetricLabel: @unchecked Sendable {
    // Only the request's own task touches it, sequentially; no lock is needed.
    var verb = "unknown"
    var resource = ""
    func set(_ verb: String, _ resource: String) {
        self.verb = verb
        self.resource = resource
    }
}

/// Counts requests in flight against a limit.
final class InflightLimiter: Sendable {
    let limit: Int
    private let count = Mutex(0)

    init(limit: Int) { self.limit = limit }

    /// Takes a slot, or returns false when all are taken.
    func enter() -> Bool {
        count.withLock { value in
            guard value < limit else { return false }
            value += 1
            return true
        }
    }

    func leave() { count.withLock { $0 -= 1 } }
}
