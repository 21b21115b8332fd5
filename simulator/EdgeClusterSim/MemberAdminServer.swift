import FlotillaAPI
import Foundation
import Hummingbird
import Logging
import NIOCore

/// The fault-injection endpoint of `flotilla member`, on loopback only:
///
///     GET  /sites                                      every site, its port, state and faults
///     POST /sites/{site}/down | up                     stop listening (connection refused) / listen again
///     POST /sites/{site}/power-cut                     down, and every workload of the site stops too (up restarts them)
///     POST /sites/{site}/latency?ms=N                  add N ms to every API request (0 removes it)
///     POST /sites/{site}/partition | heal              hold every request until healed / release them
///     POST /sites/{site}/pods/{namespace}/{pod}/crash  crash the pod's containers (the kubelet restarts them)
///     POST /sites/{site}/nodes/{node}/drain | uncordon cordon and evict / make schedulable again
///
/// Answers are JSON: the site's summary, or `{"error": …}` with 400, 404 or 409.
public struct MemberAdminServer: Sendable {
    public let host: SiteHost

    public init(host: SiteHost) { self.host = host }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        let host = self.host
        router.get("/sites") { _, _ in
            Self.json(.array(await host.summary().map(\.json)))
        }
        router.post("/sites/:site/:action") { request, context in
            let site = try Self.site(context, host)
            let action = context.parameters.get("action") ?? ""
            switch action {
            case "down": await site.down()
            case "power-cut": await site.down(powerCut: true)
            case "up":
                do { try await site.up() } catch { return Self.error(.conflict, "\(error)") }
            case "partition": site.faults.partition()
            case "heal": site.faults.heal()
            case "latency":
                guard let text = request.uri.queryParameters.get("ms"), let ms = Int64(text), (0...600_000).contains(ms) else {
                    return Self.error(.badRequest, "latency needs ?ms=N with N between 0 and 600000")
                }
                site.faults.setLatency(.milliseconds(ms))
            default:
                return Self.error(.notFound, "unknown action \"\(action)\"; use down, power-cut, up, latency, partition or heal")
            }
            return await Self.summary(of: site, in: host)
        }
        // What a pod uses, for metrics.k8s.io: ?cpu=400m&memory=128Mi (either; a missing one keeps the pod's own).
        // DELETE clears the override.
        router.post("/sites/:site/namespaces/:namespace/pods/:pod/usage") { request, context in
            let site = try Self.site(context, host)
            let query = request.uri.queryParameters
            let parse = { (name: String) -> Result<Quantity?, HTTPError> in
                guard let text = query.get(name) else { return .success(nil) }
                guard let quantity = try? Quantity(parsing: text), quantity.sign >= 0 else {
                    return .failure(HTTPError(.badRequest, message: "\(name)=\(text) is not a non-negative quantity"))
                }
                return .success(quantity)
            }
            let cpu: Quantity?, memory: Quantity?
            switch (parse("cpu"), parse("memory")) {
            case (.success(let c), .success(let m)): (cpu, memory) = (c, m)
            case (.failure(let error), _), (_, .failure(let error)): return Self.error(.badRequest, error.body ?? "bad quantity")
            }
            guard cpu != nil || memory != nil else { return Self.error(.badRequest, "usage needs ?cpu=…, ?memory=… or both") }
            let usage = WorkloadUsage(cpu: cpu ?? SiteMetrics.idle.cpu, memory: memory ?? SiteMetrics.idle.memory)
            await site.setUsage(namespace: context.parameters.get("namespace") ?? "", pod: context.parameters.get("pod") ?? "", usage: usage)
            return await Self.summary(of: site, in: host)
        }
        router.delete("/sites/:site/namespaces/:namespace/pods/:pod/usage") { _, context in
            let site = try Self.site(context, host)
            await site.setUsage(namespace: context.parameters.get("namespace") ?? "", pod: context.parameters.get("pod") ?? "", usage: nil)
            return await Self.summary(of: site, in: host)
        }
        router.post("/sites/:site/pods/:namespace/:pod/crash") { _, context in
            let site = try Self.site(context, host)
            do {
                try await site.crashPod(namespace: context.parameters.get("namespace") ?? "", name: context.parameters.get("pod") ?? "")
            } catch {
                return Self.failure(error)
            }
            return await Self.summary(of: site, in: host)
        }
        router.post("/sites/:site/nodes/:node/:action") { _, context in
            let site = try Self.site(context, host)
            let node = context.parameters.get("node") ?? ""
            do {
                switch context.parameters.get("action") {
                case "drain":
                    let evicted = try await site.drainNode(node)
                    return Self.json(["node": .string(node), "evicted": .integer(Int64(evicted))])
                case "uncordon":
                    try await site.uncordonNode(node)
                    return Self.json(["node": .string(node), "unschedulable": false])
                default:
                    return Self.error(.notFound, "unknown node action; use drain or uncordon")
                }
            } catch {
                return Self.failure(error)
            }
        }
        return router
    }

    static func site(_ context: BasicRequestContext, _ host: SiteHost) throws -> EdgeSite {
        let name = context.parameters.get("site") ?? ""
        guard let site = host.site(named: name) else { throw HTTPError(.notFound, message: "no site named \"\(name)\"") }
        return site
    }

    static func summary(of site: EdgeSite, in host: SiteHost) async -> Response {
        let summary = await host.summary().first { $0.name == site.name }
        return json(summary?.json ?? .null)
    }

    static func failure(_ error: any Error) -> Response {
        guard let error = error as? APIError else { return Self.error(.internalServerError, "\(error)") }
        return Self.error(error.reason == .notFound ? .notFound : (error.reason == .badRequest ? .badRequest : .conflict), error.message)
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": .string(message)], status: status)
    }
}
