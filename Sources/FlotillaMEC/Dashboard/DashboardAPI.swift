import FlotillaAPI
import FlotillaAPIExtension
import Hummingbird

/// The live dashboard the control plane serves (docs/demo.md):
///
///     GET /dashboard/            the page (self-contained: no CDN, no external script), with the current snapshot
///     GET /dashboard/snapshot    the current `DashboardSource` snapshot as JSON
///     GET /dashboard/events      server-sent events: one `snapshot` event now and every `interval` after
///
/// A browser cannot set the Authorization header, so these paths also take the bearer token as `?token=` (the demo
/// prints the URL with the read-only viewer token).
public struct DashboardAPI: APIExtension {
    public let pathPrefix = "/dashboard"
    public let metricName = "dashboard"
    public var acceptsQueryToken: Bool { true }
    let source: DashboardSource
    let interval: Duration

    public init(source: DashboardSource, interval: Duration = .seconds(1)) {
        self.source = source
        self.interval = interval
    }

    public func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
        guard request.method == .get else { throw APIError(.methodNotAllowed, "the dashboard is read-only") }
        switch request.uri.path {
        case "/dashboard", "/dashboard/":
            let page = DashboardPage.html(snapshot: await source.snapshot())
            return ExtensionResponse(content: .bytes(Array(page.utf8), contentType: "text/html; charset=utf-8"))
        case "/dashboard/snapshot":
            return ExtensionResponse(body: await source.snapshot())
        case "/dashboard/events":
            return ExtensionResponse(content: .stream(events(), contentType: "text/event-stream"))
        default:
            throw APIError(.notFound, "the server could not find the requested resource")
        }
    }

    /// A snapshot now and every `interval`, as `event: snapshot` messages, until the client goes away.
    func events() -> AsyncStream<[UInt8]> {
        let (stream, continuation) = AsyncStream<[UInt8]>.makeStream(bufferingPolicy: .bufferingNewest(2))
        let (source, interval) = (self.source, self.interval)
        let producer = Task {
            while !Task.isCancelled {
                var message = Array("event: snapshot\ndata: ".utf8)
                message.append(contentsOf: await source.snapshot().serialized())
                message.append(contentsOf: Array("\n\n".utf8))
                continuation.yield(message)
                try? await Task.sleep(for: interval)
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in producer.cancel() }
        return stream
    }
}
