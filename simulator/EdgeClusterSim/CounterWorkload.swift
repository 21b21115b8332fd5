import FlotillaAPI
import FlotillaAppKit
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// `flotilla/counter`: the smallest stateful edge app — each session is a counter the UE advances one tick at a time,
/// plus optional padding to give the state a realistic size. It speaks the state-transfer protocol, so the mobility
/// service can move its sessions, and its answers let a UE prove that nothing was lost or repeated:
///
///     POST /sessions/{id}?paddingBytes=N   open a session here                       → 201
///     POST /sessions/{id}/tick?seq=N        N = counter+1: applied                    → 200 {"counter":N,"applied":true}
///                                           N ≤ counter: already applied (a retry)    → 200 {"counter":c,"applied":false}
///                                           N > counter+1: a gap, refused             → 409
///                                           frozen (moving) → 409, released → 410, unknown → 404 (header Flotilla-Session)
///     POST /admin/imports?accept=false      make this instance refuse imports (fault injection)
///     GET  /  identity, GET /healthz
public enum CounterWorkload {
    public static let image = WorkloadImage(repository: "flotilla/counter") { context in try await start(context) }

    public struct State: Codable, Sendable, TransferableState {
        public var counter: Int
        public var padding: String
    }

    public static func start(_ context: WorkloadContext) async throws -> any RunningWorkload {
        let capacity = context.environment["SESSIONS"].flatMap { Int($0) } ?? .max
        let table = SessionTable<State>(capacity: capacity)
        let router = Router()
        let identity = JSONValue.object(["site": .string(context.site), "pod": .string(context.pod), "image": .string(context.image)])
        router.get("/") { _, _ in json(identity) }
        router.get("/healthz") { _, _ in "ok" }
        router.post("/sessions/:id") { request, context in
            let id = try context.parameters.require("id")
            let padding = min(request.uri.queryParameters.get("paddingBytes").flatMap { Int($0) } ?? 0, 1 << 20)
            do throws(StateTransferError) {
                try table.open(id, state: State(counter: 0, padding: String(repeating: "x", count: padding)))
                return Response(status: .created)
            } catch {
                return Response(status: HTTPResponse.Status(code: error.status), body: .init(byteBuffer: ByteBuffer(string: error.message)))
            }
        }
        router.post("/sessions/:id/tick") { request, context in
            let id = try context.parameters.require("id")
            guard let seq = request.uri.queryParameters.get("seq").flatMap({ Int($0) }) else {
                return Response(status: .badRequest, body: .init(byteBuffer: ByteBuffer(string: "give seq=N")))
            }
            let outcome: (counter: Int, applied: Bool)? = table.update(id) { state in
                if seq == state.counter + 1 { state.counter = seq; return (seq, true) }
                return (state.counter, false)
            }
            guard let outcome else {
                switch table.access(id) {
                case .frozen: return moving("frozen", status: .conflict)
                case .released: return moving("released", status: .gone)
                default: return moving("unknown", status: .notFound)
                }
            }
            if !outcome.applied && seq > outcome.counter + 1 {
                return Response(status: .conflict, body: .init(byteBuffer: ByteBuffer(string: "gap: counter is \(outcome.counter), got \(seq)")))
            }
            return json(["counter": .integer(Int64(outcome.counter)), "applied": .bool(outcome.applied)])
        }
        router.post("/admin/imports") { request, _ in
            table.setRefusesImports(request.uri.queryParameters.get("accept") == "false")
            return Response(status: .ok)
        }
        // Faults for the migration tests: a slow import (time to kill the instance mid-transfer), a resume whose
        // reply comes too late (the resume itself happens), releases whose replies come too late (a successor that
        // is slow, not gone: `releaseReplyDelayMs`, for the next `releaseReplies` releases, all when absent), and the
        // kill itself (`killed=true`: what the instance was doing never completes; it answers 503 until it stops).
        let faults = StateTransferFaults()
        router.post("/admin/faults") { request, _ in
            let query = request.uri.queryParameters
            if query.get("killed") == "true" {
                faults.kill()
            } else {
                faults.set(StateTransferFaults.Delays(importMs: query.get("importDelayMs").flatMap { Int($0) } ?? 0,
                                                      resumeReplyMs: query.get("resumeReplyDelayMs").flatMap { Int($0) } ?? 0,
                                                      releaseReplyMs: query.get("releaseReplyDelayMs").flatMap { Int($0) } ?? 0,
                                                      releaseReplies: query.get("releaseReplies").flatMap { Int($0) } ?? .max))
            }
            return Response(status: .ok)
        }
        router.add(middleware: faults)
        StateTransferRoutes.add(to: router, table: table)
        let served = try await WorkloadServer.start(router: router, name: "flotilla-counter", image: context.image)
        // Protected sessions' checkpoints go to their standby copies (session protection).
        let keeper = SessionKeeper(table: table)
        keeper.start()
        return KeptWorkload(served: served, stopKeeper: { await keeper.stop() }, held: { table.heldCount })
    }

    static func json(_ value: JSONValue) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: value.serialized())))
    }

    static func moving(_ state: String, status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [HTTPField.Name(StateTransferProtocol.sessionHeader)!: state],
                 body: .init(byteBuffer: ByteBuffer(string: "session is \(state) here")))
    }
}

/// A workload that also sends its sessions' checkpoints; stopping stops both.
struct KeptWorkload: RunningWorkload {
    let served: any RunningWorkload
    let stopKeeper: @Sendable () async -> Void
    /// Sessions it holds the serving copy of.
    let held: @Sendable () -> Int

    var port: Int { served.port }
    var busy: Bool { held() > 0 }

    func stop() async {
        await stopKeeper()
        await served.stop()
    }
}

/// Delays on the state-transfer routes, and a kill, set through `/admin/faults`.
final class StateTransferFaults: RouterMiddleware, Sendable {
    typealias Context = BasicRequestContext

    struct Delays {
        var importMs = 0
        var resumeReplyMs = 0
        var releaseReplyMs = 0
        /// How many releases' replies are still to be delayed.
        var releaseReplies = 0
    }

    private let delays = Mutex(Delays())
    private let killed = Mutex(false)

    func set(_ value: Delays) { delays.withLock { $0 = value } }

    /// From now on no state-transfer step completes here, not even one already waiting out its delay: a graceful stop
    /// would finish it, a killed process does not.
    func kill() { killed.withLock { $0 = true } }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix(StateTransferProtocol.basePath) else { return try await next(request, context) }
        let (importMs, resumeReplyMs) = delays.withLock { ($0.importMs, $0.resumeReplyMs) }
        if request.method == .put, importMs > 0 { try? await Task.sleep(for: .milliseconds(importMs)) }
        if killed.withLock({ $0 }) { throw HTTPError(.serviceUnavailable, message: "killed") }
        let response = try await next(request, context)
        if request.method == .post, path.hasSuffix("/resume"), resumeReplyMs > 0 { try? await Task.sleep(for: .milliseconds(resumeReplyMs)) }
        if request.method == .delete {
            let releaseReplyMs = delays.withLock { delays in
                guard delays.releaseReplyMs > 0, delays.releaseReplies > 0 else { return 0 }
                delays.releaseReplies -= 1
                return delays.releaseReplyMs
            }
            if releaseReplyMs > 0 { try? await Task.sleep(for: .milliseconds(releaseReplyMs)) }
        }
        return response
    }
}
