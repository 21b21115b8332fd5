import FlotillaAPI
import FlotillaAppKit
import Foundation
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// `flotilla/echo`: a tiny HTTP service that says which site and pod answered and echoes what it is sent.
/// `GET /` → `{"site":…,"namespace":…,"pod":…}`; `POST /echo` → the request body; `GET /healthz` → `ok`.
/// Its usage model (metrics.k8s.io): 2m CPU and 16Mi idle, plus 1m CPU per request a second over the last 10 s.
public enum EchoWorkload {
    public static let image = WorkloadImage(repository: "flotilla/echo") { context in try await start(context) }

    /// The usage of an echo server answering `rate` requests a second.
    public static func usage(requestsPerSecond rate: Double) -> WorkloadUsage {
        WorkloadUsage(cpu: Quantity(milli: 2 + Int64(rate.rounded(.up))), memory: Quantity(16 * 1_048_576, format: .binarySI))
    }

    struct RunningEcho: RunningWorkload {
        let served: any RunningWorkload
        let meter: RequestMeter
        var port: Int { served.port }
        func stop() async { await served.stop() }
        var usage: WorkloadUsage? { EchoWorkload.usage(requestsPerSecond: meter.rate()) }
    }

    static func start(_ context: WorkloadContext) async throws -> any RunningWorkload {
        let meter = RequestMeter()
        let router = Router()
        router.add(middleware: MeterMiddleware(meter: meter))
        let identity = JSONValue.object([
            "site": .string(context.site), "namespace": .string(context.namespace), "pod": .string(context.pod),
            "image": .string(context.image),
        ])
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: identity.serialized())))
        }
        router.get("/healthz") { _, _ in "ok" }
        router.post("/echo") { request, _ in
            let body = try await request.body.collect(upTo: 1024 * 1024)
            return Response(status: .ok, headers: [.contentType: request.headers[.contentType] ?? "application/octet-stream"],
                body: .init(byteBuffer: body))
        }
        return RunningEcho(served: try await WorkloadServer.start(router: router, name: "flotilla-echo", image: context.image), meter: meter)
    }
}

/// Requests counted per second over the last `window` seconds.
final class RequestMeter: Sendable {
    static let window = 10
    private let counts = Mutex<(second: Int64, buckets: [Int])>((0, Array(repeating: 0, count: window)))

    private static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    private static func advance(_ state: inout (second: Int64, buckets: [Int]), to second: Int64) {
        let steps = min(Int(max(second - state.second, 0)), window)
        for offset in 0..<steps { state.buckets[Int((state.second + 1 + Int64(offset)) % Int64(window))] = 0 }
        state.second = max(state.second, second)
    }

    func record() {
        let second = Self.now
        counts.withLock { state in
            Self.advance(&state, to: second)
            state.buckets[Int(second % Int64(Self.window))] += 1
        }
    }

    /// Requests a second, averaged over the window.
    func rate() -> Double {
        let second = Self.now
        return counts.withLock { state in
            Self.advance(&state, to: second)
            return Double(state.buckets.reduce(0, +)) / Double(Self.window)
        }
    }
}

/// Counts every request the echo server answers.
struct MeterMiddleware<Context: RequestContext>: RouterMiddleware {
    let meter: RequestMeter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        meter.record()
        return try await next(request, context)
    }
}

/// Runs a workload's router on an ephemeral loopback port until the workload is stopped.
public enum WorkloadServer {
    public static func start(router: Router<BasicRequestContext>, name: String, image: String) async throws -> any RunningWorkload {
        do {
            let running = try await AppServer.start(router: router, name: name)
            return ServedWorkload(running: running)
        } catch {
            throw WorkloadError.didNotStart(image)
        }
    }
}

/// A workload whose server `AppServer` runs; stopping stops it (gracefully first) and waits for the listener to close.
public struct ServedWorkload: RunningWorkload {
    let running: AppServer.Running

    public var port: Int { running.port }

    public func stop() async { await running.stop() }
}

public enum WorkloadError: Error, CustomStringConvertible {
    case didNotStart(String)
    public var description: String {
        switch self {
        case .didNotStart(let image): return "workload \(image) did not start listening"
        }
    }
}
