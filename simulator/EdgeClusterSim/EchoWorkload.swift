import FlotillaAPI
import FlotillaAppKit
import Foundation
import Hummingbird
import Logging
import NIOCore

/// `flotilla/echo`: a tiny HTTP service that says which site and pod answered and echoes what it is sent.
/// `GET /` → `{"site":…,"namespace":…,"pod":…}`; `POST /echo` → the request body; `GET /healthz` → `ok`.
public enum EchoWorkload {
    public static let image = WorkloadImage(repository: "flotilla/echo") { context in try await start(context) }

    static func start(_ context: WorkloadContext) async throws -> any RunningWorkload {
        let router = Router()
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
        return try await WorkloadServer.start(router: router, name: "flotilla-echo", image: context.image)
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
