import FlotillaAPI
import FlotillaAppKit
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Carries out `SessionGuard`'s actions for protected sessions (`AppProfile.spec.sessionProtection`):
///
/// - **assign**: tells the primary where its standby lives (`PUT …/{id}/standby` {endpoint, epoch, intervalMs}); the
///   primary's `SessionKeeper` sends a full checkpoint at once and every interval after. The AppSession
///   records the standby and the epoch.
/// - **promote**: `POST standby/…/{id}/promote?epoch=N+1`; the AppSession moves to the standby at the new epoch (the
///   UE's redirect, also POSTed to its callback), and a `SessionMigration` with reason `Failover` records it. The old
///   primary, if it ever answers again, is fenced: its next checkpoint is refused and it stops serving.
public struct SessionProtector: Sendable {
    let client: any ObjectClient
    let transport: HTTPTransport
    let runner: MigrationRunner
    let events: EventWriter
    let logger: Logger

    public init(client: any ObjectClient, transport: HTTPTransport, runner: MigrationRunner, logger: Logger) {
        self.client = client
        self.transport = transport
        self.runner = runner
        self.events = EventWriter(client: client, component: "flotilla-mobility")
        self.logger = logger
    }

    func url(_ endpoint: String, _ session: String, _ suffix: String) -> String {
        "http://\(endpoint)\(StateTransferProtocol.sessionPath(session))\(suffix)"
    }

    /// Assigns `standby` to the session's primary and records it.
    func assign(_ session: AppSession, standby: EdgeInstance, intervalMs: Int) async throws(MECError) -> AppSession {
        let name = session.metadata.name ?? ""
        guard let primary = session.status?.endpoint else { return session }
        let epoch = session.status?.epoch ?? 1
        let body = try? JSONEncoder().encode(StandbyAssignment(endpoint: standby.endpoint, epoch: epoch, intervalMs: intervalMs))
        let reply = try await transport.send(.PUT, url(primary, name, "/standby"), body: body, headers: [("Content-Type", "application/json")])
        try StateTransferClient.check(reply, step: "standby assignment", expect: 200)
        // The copy at a standby the session no longer uses is dropped (best effort).
        if let old = session.status?.standbyEndpoint, old != standby.endpoint {
            _ = try? await transport.send(.DELETE, url(old, name, ""))
        }
        do throws(APIError) {
            return try await runner.updateSession(session) { status in
                status.standbySite = standby.site
                status.standbyEndpoint = standby.endpoint
                status.epoch = epoch
            }
        } catch {
            throw MECError(.unavailable, "cannot record the standby of \(name): \(error.message)")
        }
    }

    /// Promotes the standby, moves the session there and records the failover.
    func promote(_ session: AppSession, standby: EdgeInstance, detectedAt: ContinuousClock.Instant) async throws(MECError) -> AppSession {
        let name = session.metadata.name ?? ""
        let epoch = (session.status?.epoch ?? 1) + 1
        let started = ContinuousClock.now
        let reply = try await transport.send(.POST, url(standby.endpoint, name, "/promote?epoch=\(epoch)"))
        try StateTransferClient.check(reply, step: "promote", expect: 200)
        let promotedAt = ContinuousClock.now
        await runner.steer(namespace: session.metadata.namespace ?? "default", session: name, site: standby.site, endpoint: standby.endpoint)
        let record: SessionMigration?
        do throws(APIError) {
            record = try await runner.recordFailover(session, to: standby, epoch: epoch, detectedAt: detectedAt, promotedAt: promotedAt,
                                                     startedAt: started)
        } catch {
            logger.warning("cannot record a failover", metadata: ["session": "\(name)", "error": "\(error)"])
            record = nil
        }
        let moved: AppSession
        do throws(APIError) {
            moved = try await runner.updateSession(session, retries: 10) { status in
                status.phase = "Active"
                status.site = standby.site
                status.endpoint = standby.endpoint
                status.epoch = epoch
                status.standbySite = nil
                status.standbyEndpoint = nil
                status.migrations = (status.migrations ?? 0) + 1
                status.lastMigration = record?.metadata.name ?? status.lastMigration
            }
        } catch {
            throw MECError(.unavailable, "promoted \(name) at \(standby.site) but cannot record it: \(error.message)")
        }
        if let callback = session.spec.callbackUri {
            let body: JSONValue = ["session": .string(name), "site": .string(standby.site), "endpoint": .string(standby.endpoint)]
            _ = try? await transport.send(.POST, callback, body: Data(body.serialized()), headers: [("Content-Type", "application/json")])
        }
        events.record(moved, type: "Warning", reason: "SessionPromoted",
            message: "primary \(session.status?.site ?? "?") lost; standby at \(standby.site) promoted at epoch \(epoch)")
        return moved
    }
}
