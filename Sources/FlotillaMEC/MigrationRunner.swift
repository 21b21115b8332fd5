import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Moves one session from its instance to another with the state-transfer protocol, and keeps the record:
///
///     Triggered → (pre-copy) → [rule BUFFER] → freeze+export at source → import at target → resume at target
///       → [rule forwards to the target] → AppSession points at the target (the redirect) → UE callback
///       → release at source → Completed
///
/// The bracketed steps are for apps with a data path (`TrafficSteering`): the gateways hold the UE's packets while
/// the session is frozen and switch its flow the moment the target serves, so the client needs no redirect.
///
/// Any failure before the target resumes rolls back: the target's copy is released and the source resumes, so the
/// session is in exactly one place at every moment (the source until the target resumes, then the target).
public struct MigrationRunner: Sendable {
    let client: any ObjectClient
    let transfer: StateTransferClient
    let transport: HTTPTransport
    let precopy: Bool
    /// How long a frozen source waits to be resumed or released before it decides for itself (`SessionKeeper`).
    let freezeLease: Duration
    /// How long the source's freeze waits for its site's gateway to confirm the hold (apps with a data path).
    let holdConfirmation: Duration
    let metrics: MigrationMetrics?
    let events: EventWriter
    let logger: Logger

    public init(client: any ObjectClient, transport: HTTPTransport, precopy: Bool = false, freezeLease: Duration = .seconds(10),
                holdConfirmation: Duration = .milliseconds(100), metrics: MigrationMetrics? = nil,
                logger: Logger = Logger(label: "flotilla.mobility")) {
        self.client = client
        self.freezeLease = freezeLease
        self.holdConfirmation = holdConfirmation
        self.transport = transport
        self.transfer = StateTransferClient(transport: transport)
        self.precopy = precopy
        self.metrics = metrics
        self.events = EventWriter(client: client, component: "flotilla-mobility")
        self.logger = logger
    }

    public struct Request: Sendable {
        public var session: AppSession
        public var target: EdgeInstance
        public var reason: String
        public var sourceRttMs: Double?
        public var targetRttMs: Double?
        /// When the event that led here arrived (for `decisionMs`).
        public var triggeredAt: ContinuousClock.Instant

        public init(session: AppSession, target: EdgeInstance, reason: String, sourceRttMs: Double? = nil, targetRttMs: Double? = nil,
                    triggeredAt: ContinuousClock.Instant = .now) {
            self.session = session
            self.target = target
            self.reason = reason
            self.sourceRttMs = sourceRttMs
            self.targetRttMs = targetRttMs
            self.triggeredAt = triggeredAt
        }
    }

    /// Runs the migration to its end and returns the final record (also in the API).
    @discardableResult
    public func migrate(_ request: Request) async throws(APIError) -> SessionMigration {
        let name = request.session.metadata.name ?? ""
        let namespace = request.session.metadata.namespace ?? "default"
        // The caller decided from its cache, which may not have seen the session's last move yet: moving from where
        // the session was would freeze and import it at the instance that holds it now, and lose it. So the move
        // starts from the session as stored, and does not start when the session is already where it would go.
        let session = try AppSession(jsonChecked: try await client.get(AppSession.descriptor, namespace: namespace, name: name))
        guard let source = session.status?.endpoint, let sourceSite = session.status?.site else {
            throw APIError.badRequest("session \(name) has no instance to move from")
        }
        guard source == request.session.status?.endpoint, source != request.target.endpoint else {
            throw APIError(.conflict, "session \(name) is at \(source) now, not where the move was decided from; nothing was moved")
        }
        let started = ContinuousClock.now
        var spec = SessionMigrationSpec(session: name, targetSite: request.target.site, reason: request.reason)
        spec.ue = session.spec.ue
        spec.sourceSite = sourceSite
        spec.sourceEndpoint = source
        spec.targetEndpoint = request.target.endpoint
        spec.sourceRttMs = request.sourceRttMs
        spec.targetRttMs = request.targetRttMs
        var record = SessionMigration(metadata: ObjectMeta(name: "\(name)-\(Self.suffix())", namespace: namespace,
            labels: ["mec.flotilla.io/session": name]), spec: spec)
        record.metadata.ownerReferences = session.metadata.uid.map { [OwnerReference(apiVersion: AppSession.descriptor.apiVersion,
            kind: "AppSession", name: name, uid: $0)] }
        var status = SessionMigrationStatus(phase: "Triggered")
        status.startTime = Self.microTime()
        status.decisionMs = Self.ms(started - request.triggeredAt)
        record.status = status
        record = try SessionMigration(jsonChecked: try await client.create(SessionMigration.descriptor, record.json()))
        record = try await write(record, status)
        var current = try await setSession(session, phase: "Migrating")

        status.phase = "Transferring"
        record = try await write(record, status)
        let transferStarted = ContinuousClock.now
        var frozenAt: ContinuousClock.Instant?
        // Whether the session has a traffic rule to keep in step (apps with a data path).
        var steered = false
        var unconfirmed: MECError?
        do throws(MECError) {
            if precopy {
                let copy = try await transfer.export(from: source, session: name, freeze: false)
                try await transfer.importState(copy, to: request.target.endpoint, session: name, stage: "precopy")
            }
            do throws(APIError) {
                if let hold = try await steering.hold(namespace: namespace, session: name) {
                    steered = true
                    // Freeze only once the gateway the UE's traffic reaches holds the flow: a datagram it still
                    // forwarded would reach a frozen source and be lost. No gateway answering within the limit does
                    // not stop the move.
                    if await !steering.awaitApplied(namespace: namespace, session: name, hold, limit: holdConfirmation) {
                        logger.notice("no gateway confirmed the hold; freezing anyway", metadata: ["session": "\(name)", "site": "\(hold.site)"])
                    }
                }
            } catch {
                steered = true  // unknown whether the session has a rule: steer it after the move all the same
            }
            frozenAt = ContinuousClock.now
            // The freeze is a lease: if this runner dies, the source resumes by itself (or releases, if the target
            // serves the session by then) instead of staying frozen forever.
            let state = try await transfer.export(from: source, session: name, freeze: true, lease: freezeLease, successor: request.target.endpoint)
            status.stateBytes = state.data.count
            // Import and resume stay two steps: an import that arrives late (its runner gone, the move rolled back)
            // leaves a copy that does not serve, which a later import may replace.
            try await transfer.importState(state, to: request.target.endpoint, session: name, stage: "final")
            do throws(MECError) {
                try await transfer.resume(at: request.target.endpoint, session: name)
            } catch where !error.mayHaveArrived || error.isAnswer {
                throw error  // it never reached the target, or the target refused it: not serving there, roll back below
            } catch {
                // The answer may be what was lost.
                switch await settle(at: request.target.endpoint, session: name) {
                case .serving: break  // the move happened
                case .notServing: throw error  // roll back below
                case .unknown:
                    // It may serve or not. Resuming the source could make two live copies, so the source stays
                    // frozen; its lease, or recovery once the target answers, decides.
                    unconfirmed = error
                }
            }
        } catch {
            // Not serving at the target: drop any copy there and let the source go on.
            try? await transfer.release(at: request.target.endpoint, session: name)
            var phase = "RolledBack", message = "rolled back, session continues at \(sourceSite): \(error.message)"
            if frozenAt != nil {
                do throws(MECError) {
                    try await transfer.resume(at: source, session: name)
                } catch let resumeError {
                    phase = "Failed"
                    message = "source \(sourceSite) did not resume after a failed transfer (\(resumeError.message)); \(error.message)"
                }
            }
            if steered { await steer(namespace: namespace, session: name, site: sourceSite, endpoint: source) }
            status.phase = phase
            status.message = message
            status.transferMs = Self.ms(ContinuousClock.now - transferStarted)
            status.completionTime = Self.microTime()
            _ = try? await setSession(current, phase: "Active")
            metrics?.recordMigration(phase, nil)
            logger.info("migration did not complete", metadata: ["session": "\(name)", "phase": "\(phase)", "reason": "\(message)"])
            let final = try await write(record, status)
            events.record((try? current.json()) ?? .null, type: "Warning", reason: phase == "Failed" ? "MigrationFailed" : "MigrationRolledBack",
                message: "\(sourceSite) → \(request.target.site) (\(request.reason)): \(message)")
            return final
        }
        if let unconfirmed {
            status.message = "the target's resume was not confirmed and the target does not answer (\(unconfirmed.message)); "
                + "the source's freeze lease or recovery decides"
            metrics?.recordMigration("Unconfirmed", nil)
            return try await write(record, status)
        }
        let resumedAt = ContinuousClock.now
        status.downtimeMs = frozenAt.map { Self.ms(resumedAt - $0) }
        if steered { await steer(namespace: namespace, session: name, site: request.target.site, endpoint: request.target.endpoint) }
        // The redirect: the session now lives at the target.
        current = try await setSession(current, phase: "Active", site: request.target.site, endpoint: request.target.endpoint,
            rtt: request.targetRttMs, migration: record.metadata.name)
        if let callback = session.spec.callbackUri {
            let body: JSONValue = ["session": .string(name), "site": .string(request.target.site), "endpoint": .string(request.target.endpoint)]
            _ = try? await transport.send(.POST, callback, body: Data(body.serialized()), headers: [("Content-Type", "application/json")])
        }
        do throws(MECError) {
            try await transfer.release(at: source, session: name)
        } catch {
            status.message = "completed; the source did not confirm the release: \(error.message)"
        }
        // The standby copy belonged to the old primary; the new one gets its own (best effort: an orphan copy costs
        // memory, not correctness, since it is never promoted without the AppSession naming it).
        if let standby = session.status?.standbyEndpoint, standby != request.target.endpoint {
            try? await transfer.release(at: standby, session: name)
        }
        status.phase = "Completed"
        status.transferMs = Self.ms(ContinuousClock.now - transferStarted)
        status.completionTime = Self.microTime()
        metrics?.recordMigration("Completed", resumedAt - (frozenAt ?? resumedAt))
        let final = try await write(record, status)
        events.record((try? current.json()) ?? .null, reason: "SessionMigrated",
            message: "\(sourceSite) → \(request.target.site) (\(request.reason)): \(status.stateBytes ?? 0) bytes, downtime \(status.downtimeMs ?? 0) ms")
        return final
    }

    enum TargetAfterLostAnswer { case serving, notServing, unknown }

    /// After a step at the target whose answer may be what was lost: asks the target, atomically, to drop its copy
    /// unless it serves. A refused connection is an answer too: nothing listening there serves the session.
    func settle(at endpoint: String, session: String) async -> TargetAfterLostAnswer {
        do throws(MECError) {
            return try await transfer.releaseUnlessActive(at: endpoint, session: session) ? .notServing : .serving
        } catch {
            return error.mayHaveArrived ? .unknown : .notServing
        }
    }

    /// Finishes a migration whose runner is gone or whose last step went unanswered, from what the two instances
    /// hold now (`MigrationRecovery`): completes it, rolls it back, or records why it cannot.
    @discardableResult
    public func recover(_ record: SessionMigration) async throws(APIError) -> SessionMigration {
        let name = record.spec.session
        let namespace = record.metadata.namespace ?? "default"
        var status = record.status ?? SessionMigrationStatus()
        guard let source = record.spec.sourceEndpoint, let target = record.spec.targetEndpoint else {
            status.phase = "Failed"
            status.message = "recovery: the record names no source or target endpoint"
            return try await write(record, status)
        }
        let session: AppSession
        do {
            session = try AppSession(jsonChecked: try await client.get(AppSession.descriptor, namespace: namespace, name: name))
        } catch where error.reason == .notFound {
            status.phase = "Failed"
            status.message = "recovery: the session no longer exists"
            return try await write(record, status)
        }
        let sourceHeld = await transfer.held(at: source, session: name)
        var action = MigrationRecovery.decide(source: sourceHeld, target: await transfer.held(at: target, session: name))
        if action == .resumeTarget {
            do throws(MECError) {
                try await transfer.resume(at: target, session: name)
                action = .complete
            } catch {
                action = .fail("recovery could not resume the target's copy: \(error.message)")
            }
        }
        if action == .rollBack {
            switch try? await transfer.releaseUnlessActive(at: target, session: name) {
            case false?: action = .complete  // it started serving meanwhile
            case true?: break
            case nil:
                // The target does not answer. A source that serves again (its lease decided) settles it; a frozen one
                // waits for its lease or for the target.
                guard sourceHeld == .phase("Active") else { return record }
            }
        }
        switch action {
        case .complete:
            await steer(namespace: namespace, session: name, site: record.spec.targetSite, endpoint: target)
            _ = try await setSession(session, phase: "Active", site: record.spec.targetSite, endpoint: target, rtt: record.spec.targetRttMs,
                                     migration: record.metadata.name)
            try? await transfer.release(at: source, session: name)
            status.phase = "Completed"
            status.message = "finished by recovery: the target serves the session"
        case .rollBack:
            try? await transfer.resume(at: source, session: name)
            await steer(namespace: namespace, session: name, site: record.spec.sourceSite ?? session.status?.site ?? "", endpoint: source)
            _ = try await setSession(session, phase: "Active")
            status.phase = "RolledBack"
            status.message = "rolled back by recovery: the session continues at \(record.spec.sourceSite ?? source)"
        case .fail(let why):
            status.phase = "Failed"
            status.message = why
        case .resumeTarget:
            break
        }
        status.completionTime = Self.microTime()
        metrics?.recordMigration(status.phase ?? "Failed", nil)
        events.record((try? session.json()) ?? .null, type: status.phase == "Completed" ? "Normal" : "Warning", reason: "MigrationRecovered",
            message: "\(record.metadata.name ?? ""): \(status.message ?? "")")
        return try await write(record, status)
    }

    var steering: TrafficSteering { TrafficSteering(client: client) }

    /// Points the session's traffic rule (if it has one) at where it is served now, retrying a few times: a rule
    /// left buffering would hold the UE's packets until the gateways' hold bound drops them.
    func steer(namespace: String, session: String, site: String, endpoint: String) async {
        var wait = Duration.milliseconds(20)
        for _ in 0..<6 {
            do {
                try await steering.forward(namespace: namespace, session: session, site: site, endpoint: endpoint)
                return
            } catch {
                try? await Task.sleep(for: wait)
                wait *= 2
            }
        }
        logger.warning("cannot point the session's traffic rule at its instance", metadata: ["session": "\(session)", "endpoint": "\(endpoint)"])
    }

    func write(_ record: SessionMigration, _ status: SessionMigrationStatus) async throws(APIError) -> SessionMigration {
        var updated = record
        updated.status = status
        return try SessionMigration(jsonChecked: try await client.updateStatus(SessionMigration.descriptor, updated.json()))
    }

    /// Writes the session's status; a move to another site also drops its standby (the new primary gets its own).
    func setSession(_ session: AppSession, phase: String, site: String? = nil, endpoint: String? = nil, rtt: Double? = nil,
                    migration: String? = nil) async throws(APIError) -> AppSession {
        try await updateSession(session, retries: site == nil ? 4 : 10) { status in
            status.phase = phase
            if let site, let endpoint {
                status.site = site
                status.endpoint = endpoint
                status.predictedRttMs = rtt
                status.migrations = (status.migrations ?? 0) + 1
                status.lastMigration = migration
                status.standbySite = nil
                status.standbyEndpoint = nil
            }
        }
    }

    /// Applies `change` to the session's status and writes it: a lost compare-and-swap re-reads and applies it again,
    /// and other failures (the API briefly unreachable) are retried with backoff, `retries` times in all. A session
    /// whose state just moved must not be left pointing at where it was.
    func updateSession(_ session: AppSession, retries: Int = 4, _ change: (inout AppSessionStatus) -> Void) async throws(APIError) -> AppSession {
        var current = session
        var wait = Duration.milliseconds(50)
        for attempt in 0...retries {
            var status = current.status ?? AppSessionStatus()
            change(&status)
            current.status = status
            do {
                return try AppSession(jsonChecked: try await client.updateStatus(AppSession.descriptor, current.json()))
            } catch {
                guard attempt < retries, error.reason != .notFound else { throw error }
                if error.reason != .conflict {
                    try? await Task.sleep(for: wait)
                    wait = min(wait * 2, .seconds(2))
                }
                if let fresh = try? await client.get(AppSession.descriptor, namespace: session.metadata.namespace, name: session.metadata.name ?? ""),
                   let decoded = try? AppSession(json: fresh) {
                    current = decoded
                }
            }
        }
        return current
    }

    /// The record of a promotion: a Completed SessionMigration with reason `Failover`, from the lost primary to the
    /// promoted standby. `downtimeMs` runs from when the primary was seen gone to the standby's promotion.
    func recordFailover(_ session: AppSession, to standby: EdgeInstance, epoch: Int, detectedAt: ContinuousClock.Instant,
                        promotedAt: ContinuousClock.Instant, startedAt: ContinuousClock.Instant) async throws(APIError) -> SessionMigration {
        let name = session.metadata.name ?? ""
        var spec = SessionMigrationSpec(session: name, targetSite: standby.site, reason: "Failover")
        spec.ue = session.spec.ue
        spec.sourceSite = session.status?.site
        spec.sourceEndpoint = session.status?.endpoint
        spec.targetEndpoint = standby.endpoint
        var record = SessionMigration(metadata: ObjectMeta(name: "\(name)-\(Self.suffix())", namespace: session.metadata.namespace ?? "default",
            labels: ["mec.flotilla.io/session": name]), spec: spec)
        record.metadata.ownerReferences = session.metadata.uid.map { [OwnerReference(apiVersion: AppSession.descriptor.apiVersion,
            kind: "AppSession", name: name, uid: $0)] }
        record = try SessionMigration(jsonChecked: try await client.create(SessionMigration.descriptor, record.json()))
        var status = SessionMigrationStatus(phase: "Completed")
        status.message = "primary at \(session.status?.site ?? "?") lost; standby promoted at epoch \(epoch)"
        status.decisionMs = Self.ms(startedAt - detectedAt)
        status.transferMs = Self.ms(promotedAt - startedAt)
        status.downtimeMs = Self.ms(promotedAt - detectedAt)
        status.startTime = Self.microTime()
        status.completionTime = Self.microTime()
        metrics?.recordMigration("Promoted", promotedAt - detectedAt)
        return try await write(record, status)
    }

    static func ms(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 1000).rounded() / 1000
    }

    /// Now as Kubernetes' MicroTime (RFC 3339 with microseconds), so migrations within one second still order.
    static func microTime(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let text = formatter.string(from: date)  // milliseconds: 2026-11-28T11:50:35.123Z
        let micros = Int((date.timeIntervalSince1970 * 1_000_000).truncatingRemainder(dividingBy: 1000))
        return text.replacingOccurrences(of: "Z", with: String(format: "%03dZ", micros < 0 ? 0 : micros))
    }

    /// The date a `microTime` names (nil for anything else).
    public static func date(microTime text: String) -> Date? {
        guard text.hasSuffix("Z") else { return nil }
        let body = text.dropLast()
        let parts = body.split(separator: ".", maxSplits: 1)
        guard let whole = ISO8601DateFormatter().date(from: parts[0] + "Z") else { return nil }
        guard parts.count == 2, let digits = Double("0." + parts[1]) else { return whole }
        return whole.addingTimeInterval(digits)
    }

    static func suffix() -> String {
        String(UInt32.random(in: 0...UInt32.max), radix: 36)
    }
}

/// What the mobility service reports (`flotilla serve` wires these to Prometheus).
public struct MigrationMetrics: Sendable {
    /// The final phase, and the downtime of a completed migration.
    public var recordMigration: @Sendable (String, Duration?) -> Void

    public init(recordMigration: @escaping @Sendable (String, Duration?) -> Void) { self.recordMigration = recordMigration }
}

extension APIObject {
    /// Decodes an object the API just returned; a shape it cannot decode is the server's fault.
    init(jsonChecked value: JSONValue) throws(APIError) {
        do {
            self = try Self(json: value)
        } catch {
            throw APIError.internalError("cannot decode \(Self.descriptor.kind): \(error)")
        }
    }
}
