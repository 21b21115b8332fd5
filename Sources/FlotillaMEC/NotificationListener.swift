import FlotillaAPI
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A small HTTP listener for the access network's notifications (on loopback, an ephemeral port unless told).
/// Each location or radio notification becomes a call to `onUE` with the UE's address, each QoS notification a call to
/// `onQoS`; duplicates and late arrivals are harmless
/// because the mobility service re-evaluates from the current state, not from the notification's content.
public struct NotificationListener: Sendable {
    public let host: String
    public let port: Int

    public init(host: String = "127.0.0.1", port: Int = 0) {
        self.host = host
        self.port = port
    }

    /// Serves until cancelled; `onRunning` gets the notify URL once listening.
    /// `onQoS`: a QoS flow's subscription URL and event (3GPP UserPlaneNotificationData).
    public func run(onRunning: @escaping @Sendable (String) async -> Void, onUE: @escaping @Sendable (String) async -> Void,
                    onQoS: @escaping @Sendable (String, String) async -> Void = { _, _ in }) async throws {
        let router = Router()
        router.post("/notifications") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            guard let value = try? JSONValue.parse(body.readableBytesView) else { return Response(status: .badRequest) }
            if let ue = LocationSubscriptions.address(in: value) {
                await onUE(ue)
            } else if let report = QoSRequests.event(in: value) {
                await onQoS(report.subscription, report.event)
            } else {
                return Response(status: .badRequest)
            }
            return Response(status: .noContent)
        }
        // Stopping cancels the listener, which Hummingbird reports at error level; only worse is worth a line.
        var logger = Logger(label: "flotilla.mobility.notifications")
        logger.logLevel = .critical
        let host = self.host
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port),
            serverName: "flotilla-mobility"), onServerRunning: { channel in
                await onRunning("http://\(host):\(channel.localAddress?.port ?? 0)/notifications")
            }, logger: logger)
        // Stopped by cancellation, served until then: a cancelled server drops connections it has accepted but not
        // yet handled, which NIO treats as a programming error and traps (with notifications arriving all the time,
        // some connection is always that new). So the server runs in a task of its own, out of reach of this task's
        // cancellation, and cancellation shuts it down gracefully: it stops accepting, finishes what it has, and ends.
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        let serving = Task { try await group.run() }
        try await withTaskCancellationHandler {
            try await serving.value
        } onCancel: {
            Task { await group.triggerGracefulShutdown() }
        }
    }
}
