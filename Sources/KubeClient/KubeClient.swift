import AsyncHTTPClient
import FlotillaAPI
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// How a `KubeClient` behaves towards one cluster.
public struct ClientPolicy: Sendable {
    public var connectTimeout: Duration
    /// Per request (watches excepted).
    public var requestTimeout: Duration
    /// Attempts after the first on connection errors, 429 and 5xx.
    public var retries: Int
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// Requests per second, with bursts up to `burst`; nil means unlimited.
    public var qps: Double?
    public var burst: Int

    public init(connectTimeout: Duration = .seconds(3), requestTimeout: Duration = .seconds(10), retries: Int = 3,
                initialBackoff: Duration = .milliseconds(100), maxBackoff: Duration = .seconds(5), qps: Double? = 200, burst: Int = 400) {
        self.connectTimeout = connectTimeout
        self.requestTimeout = requestTimeout
        self.retries = retries
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
        self.qps = qps
        self.burst = burst
    }
}

/// An `ObjectClient` for any Kubernetes-compatible API server over HTTP(S), on AsyncHTTPClient: bearer token or
/// client certificate, the cluster's CA (or none, when the kubeconfig says insecure), retries with exponential
/// backoff and full jitter on connection errors, 429 (honouring Retry-After) and 5xx, a QPS limit, and watches
/// streamed line by line.
public final class KubeClient: ObjectClient {
    public let credentials: ClusterCredentials
    public let policy: ClientPolicy
    let http: HTTPClient
    let limiter: RateLimiter?

    public init(credentials: ClusterCredentials, policy: ClientPolicy = ClientPolicy()) throws {
        self.credentials = credentials
        self.policy = policy
        var tls = TLSConfiguration.makeClientConfiguration()
        // Closing a connection (a cancelled watch, the client shutting down) waits this long for the server's
        // close_notify before closing anyway. NIOSSL's default is 5 s, and a server still streaming a watch does not
        // answer: each such close took 5 s, so a control plane with members, or `flotilla gateway`, took 5 s to exit.
        // The client has read all it wants by then; nothing is lost by not waiting.
        tls.shutdownTimeout = .milliseconds(200)
        if credentials.insecureSkipTLSVerify {
            tls.certificateVerification = .none
        } else if let ca = credentials.caPEM {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(ca.utf8)))
        }
        if let certificate = credentials.clientCertificatePEM, let key = credentials.clientKeyPEM {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(certificate.utf8)).map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(key.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout = .init(connect: .nanoseconds(policy.connectTimeout.nanoseconds))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 8)
        // Our own retry loop decides; AHC should not retry connection failures for the whole connect timeout. Its
        // retries also back off per pool (to a minute), so a member that was down for a while stayed unreachable
        // for tens of seconds after it came back.
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.httpVersion = .http1Only
        self.http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.limiter = policy.qps.map { RateLimiter(perSecond: $0, burst: policy.burst) }
    }

    /// From a kubeconfig file and context.
    public convenience init(kubeconfig path: String, context: String? = nil, policy: ClientPolicy = ClientPolicy()) throws {
        try self.init(credentials: try KubeconfigFile.load(path: path, context: context), policy: policy)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    // MARK: ObjectClient

    public func get(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> JSONValue {
        try await send(.GET, path(resource, namespace: namespace, name: name))
    }

    public func list(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery) async throws(APIError) -> ListResult {
        let list = try await send(.GET, path(resource, namespace: namespace) + query(options, extra: []))
        return ListResult(items: list["items"]?.arrayValue ?? [], resourceVersion: list["metadata"]?["resourceVersion"]?.stringValue ?? "")
    }

    public func create(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await send(.POST, path(resource, namespace: object.namespace), body: object)
    }

    public func update(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await send(.PUT, path(resource, namespace: object.namespace, name: object.name ?? ""), body: object)
    }

    public func updateStatus(_ resource: ResourceDescriptor, _ object: JSONValue) async throws(APIError) -> JSONValue {
        try await send(.PUT, path(resource, namespace: object.namespace, name: object.name ?? "", subresource: "status"), body: object)
    }

    public func mergePatch(_ resource: ResourceDescriptor, namespace: String?, name: String, _ patch: JSONValue) async throws(APIError)
        -> JSONValue
    {
        try await send(.PATCH, path(resource, namespace: namespace, name: name), body: patch, contentType: "application/merge-patch+json")
    }

    public func delete(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) {
        _ = try await send(.DELETE, path(resource, namespace: namespace, name: name))
    }

    /// POST of a JSON body to a non-resource path (an API extension such as MEC discovery); the JSON answer.
    public func post(_ path: String, _ body: JSONValue) async throws(APIError) -> JSONValue {
        try await send(.POST, path, body: body)
    }

    /// Raw GET of a path such as `/readyz` or `/version`: the body as text, or the error.
    /// `retries` overrides the policy (a health probe wants one attempt).
    public func raw(_ path: String, timeout: Duration? = nil, retries: Int? = nil) async throws(APIError) -> String {
        let (status, body) = try await execute(.GET, path, body: nil, contentType: nil, timeout: timeout ?? policy.requestTimeout,
            retries: retries ?? policy.retries)
        let text = String(decoding: body, as: UTF8.self)
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: body, server: credentials.server) }
        return text
    }

    public func watch(_ resource: ResourceDescriptor, namespace: String?, options: ListQuery, resourceVersion: String) async throws(APIError)
        -> AsyncThrowingStream<ObjectEvent, any Error>
    {
        let url = credentials.server + path(resource, namespace: namespace)
            + query(options, extra: [("watch", "true"), ("allowWatchBookmarks", "true"), ("resourceVersion", resourceVersion),
                                     ("timeoutSeconds", "300")])
        var request = HTTPClientRequest(url: url)
        authorize(&request)
        let response: HTTPClientResponse
        do {
            await limiter?.acquire()
            response = try await http.execute(request, timeout: .seconds(330))
        } catch {
            throw APIError(.unreachable, "cannot reach \(credentials.server): \(error)")
        }
        guard response.status == .ok else {
            let body = (try? await response.body.collect(upTo: 1 << 20)).map { Array($0.readableBytesView) } ?? []
            throw Self.error(status: Int(response.status.code), body: body, server: credentials.server)
        }
        let (stream, continuation) = AsyncThrowingStream<ObjectEvent, any Error>.makeStream()
        let task = Task {
            var lines = LineSplitter()
            do {
                for try await chunk in response.body {
                    for line in lines.append(chunk.readableBytesView) {
                        guard let event = try Self.decodeWatchLine(line) else { continue }
                        continuation.yield(event)
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    static func decodeWatchLine(_ line: [UInt8]) throws(APIError) -> ObjectEvent? {
        guard !line.isEmpty else { return nil }
        let value: JSONValue
        do { value = try JSONValue.parse(line) } catch { throw APIError(.internalError, "watch sent a line that is not JSON: \(error)") }
        guard let type = value["type"]?.stringValue, let object = value["object"] else {
            throw APIError(.internalError, "watch sent an event without type or object")
        }
        if type == "ERROR" {
            let status = try? ObjectDecoder().decode(Status.self, from: object)
            let code = status?.code ?? 500
            throw APIError(StatusReason(status?.reason ?? "InternalError", code: code), status?.message ?? "watch failed")
        }
        guard let kind = ObjectEvent.Kind(rawValue: type) else { return nil }
        return ObjectEvent(kind: kind, object: object)
    }

    // MARK: Requests

    func path(_ resource: ResourceDescriptor, namespace: String?, name: String? = nil, subresource: String? = nil) -> String {
        var path = resource.group.isEmpty ? "/api/\(resource.version)" : "/apis/\(resource.group)/\(resource.version)"
        if resource.namespaced, let namespace { path += "/namespaces/\(Self.escape(namespace))" }
        path += "/\(resource.plural)"
        if let name { path += "/\(Self.escape(name))" }
        if let subresource { path += "/\(subresource)" }
        return path
    }

    func query(_ options: ListQuery, extra: [(String, String)]) -> String {
        var items = extra
        if let label = options.labelSelector, !label.isEmpty { items.append(("labelSelector", label)) }
        if let field = options.fieldSelector, !field.isEmpty { items.append(("fieldSelector", field)) }
        guard !items.isEmpty else { return "" }
        return "?" + items.map { "\($0.0)=\(Self.escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? text
    }

    func authorize(_ request: inout HTTPClientRequest) {
        if let token = credentials.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "flotilla-kubeclient")
    }

    func send(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil, contentType: String = "application/json") async throws(APIError)
        -> JSONValue
    {
        let (status, bytes) = try await execute(method, path, body: body, contentType: contentType, timeout: policy.requestTimeout,
            retries: policy.retries)
        guard (200..<300).contains(status) else { throw Self.error(status: status, body: bytes, server: credentials.server) }
        do {
            return try JSONValue.parse(bytes)
        } catch {
            throw APIError(.internalError, "\(credentials.server) answered \(method) \(path) with a body that is not JSON: \(error)")
        }
    }

    /// One request with the retry policy: connection errors, 429 and 5xx are retried with exponential backoff and
    /// full jitter (a Retry-After header sets the minimum wait); anything else is returned to the caller.
    func execute(_ method: HTTPMethod, _ path: String, body: JSONValue?, contentType: String?, timeout: Duration, retries: Int) async throws(APIError)
        -> (Int, [UInt8])
    {
        var attempt = 0
        var backoff = policy.initialBackoff
        while true {
            var request = HTTPClientRequest(url: credentials.server + path)
            request.method = method
            authorize(&request)
            if let body {
                request.headers.add(name: "Content-Type", value: contentType ?? "application/json")
                request.body = .bytes(ByteBuffer(bytes: body.serialized()))
            }
            var retryAfter: Duration?
            let failure: APIError
            do {
                await limiter?.acquire()
                let response = try await http.execute(request, timeout: .nanoseconds(timeout.nanoseconds))
                let collected = try await response.body.collect(upTo: 64 << 20)
                let status = Int(response.status.code)
                let bytes = Array(collected.readableBytesView)
                guard status == 429 || status >= 500 else { return (status, bytes) }
                failure = Self.error(status: status, body: bytes, server: credentials.server)
                retryAfter = response.headers.first(name: "Retry-After").flatMap { Int($0) }.map { Duration.seconds($0) }
            } catch {
                if Task.isCancelled { throw APIError(.unreachable, "request to \(credentials.server) was cancelled") }
                failure = APIError(.unreachable, "cannot reach \(credentials.server): \(error)")
            }
            guard attempt < retries else { throw failure }
            attempt += 1
            let jittered = Duration.nanoseconds(Int64.random(in: 0...max(backoff.nanoseconds, 1)))
            do { try await Task.sleep(for: max(jittered, retryAfter ?? .zero)) } catch { throw failure }
            backoff = min(backoff * 2, policy.maxBackoff)
        }
    }

    /// A Kubernetes `Status` body becomes its reason and message; anything else keeps the HTTP code.
    static func error(status: Int, body: [UInt8], server: String) -> APIError {
        if let value = try? JSONValue.parse(body), value["kind"]?.stringValue == "Status",
            let parsed = try? ObjectDecoder().decode(Status.self, from: value) {
            return APIError(StatusReason(parsed.reason ?? "Unknown", code: parsed.code ?? status), parsed.message ?? "", details: parsed.details)
        }
        let text = String(decoding: body.prefix(200), as: UTF8.self)
        let reason: StatusReason = switch status {
        case 404: .notFound
        case 409: .conflict
        case 401: .unauthorized
        case 403: .forbidden
        case 429: .tooManyRequests
        case 503: .serviceUnavailable
        default: StatusReason(status >= 500 ? "InternalError" : "BadRequest", code: status)
        }
        return APIError(reason, "\(server) answered \(status): \(text)")
    }
}

extension Duration {
    var nanoseconds: Int64 { components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000 }
}

/// Splits a byte stream into newline-terminated lines.
struct LineSplitter {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: some Collection<UInt8>) -> [[UInt8]] {
        var lines: [[UInt8]] = []
        for byte in bytes {
            if byte == 0x0A {
                lines.append(pending)
                pending.removeAll(keepingCapacity: true)
            } else {
                pending.append(byte)
            }
        }
        return lines
    }
}

extension KubeClient {
    /// A custom.metrics.k8s.io query: the values of one metric for the pods it names.
    public func customMetrics(_ query: CustomMetricQuery, timeout: Duration? = nil) async throws(APIError) -> [MetricValue] {
        let parameters = [("labelSelector", query.labelSelector), ("metricLabelSelector", query.metricLabelSelector)]
            .compactMap { name, value in value.flatMap { $0.isEmpty ? nil : "\(name)=\(Self.escape($0))" } }
        let path = CustomMetrics.path(query) + (parameters.isEmpty ? "" : "?" + parameters.joined(separator: "&"))
        let text = try await raw(path, timeout: timeout)
        do {
            return CustomMetrics.items(of: try JSONValue.parse(Array(text.utf8)))
        } catch {
            throw APIError(.internalError, "\(credentials.server) answered \(path) with something not JSON")
        }
    }
}
