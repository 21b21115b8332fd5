import FlotillaAPI
import Foundation
import KubeClient
import Logging
import ServiceLifecycle

/// Runs `lead` only while this replica holds the Lease (`LeaderElection` decides; this is its I/O). Every
/// `retryPeriod` it reads the Lease and writes it when the election says so. An attempt may take until the renew
/// deadline (a slow store is not a lost lease), and no longer, so a store that stopped answering cannot hold the
/// deadline check up. When leadership is lost, `lead` is
/// cancelled and awaited before the elector tries again; on graceful shutdown it is cancelled and awaited, then the
/// Lease is released so that another replica takes over at once.
public actor LeaderElector: ServiceLifecycle.Service {
    public typealias Observer = @Sendable (_ leading: Bool, _ identity: String) -> Void

    let client: any ObjectClient
    var election: LeaderElection
    let clock: any RuntimeClock
    let lead: @Sendable () async -> Void
    let observer: Observer?
    let logger: Logger
    /// How long the controllers get to stop on their own at shutdown before they are cancelled.
    let shutdownGrace: Duration

    public init(client: any ObjectClient, configuration: LeaderElection.Configuration, clock: any RuntimeClock = SystemRuntimeClock(),
                logger: Logger = Logger(label: "flotilla.leader-election"), observer: Observer? = nil, shutdownGrace: Duration = .seconds(5),
                lead: @escaping @Sendable () async -> Void) {
        self.shutdownGrace = shutdownGrace
        self.client = client
        election = LeaderElection(configuration)
        self.clock = clock
        self.lead = lead
        self.observer = observer
        self.logger = logger
    }

    var configuration: LeaderElection.Configuration { election.configuration }

    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.elect() }
    }

    func elect() async {
        let identity = configuration.identity
        let metadata: Logger.Metadata = ["lease": "\(configuration.namespace)/\(configuration.name)", "identity": "\(identity)"]
        while !Task.isCancelled {
            // Follower: try every retryPeriod (jittered, as client-go) until the Lease is ours.
            while !Task.isCancelled {
                await attempt(within: configuration.renewDeadline)
                if election.isLeading(at: clock.now()) { break }
                try? await clock.sleep(for: configuration.retryPeriod * Double.random(in: 1.0...1.2))
            }
            if Task.isCancelled { break }
            logger.notice("became leader; starting the controllers", metadata: metadata)
            observer?(true, identity)
            let work = Task { await lead() }
            // Leader: renew every retryPeriod until a renewal is overdue or the service stops.
            while !Task.isCancelled {
                try? await clock.sleep(for: configuration.retryPeriod)
                if Task.isCancelled { break }
                await attempt(within: election.renewalDue(at: clock.now()))
                if !election.isLeading(at: clock.now()) { break }
            }
            if Task.isCancelled {
                // Shutting down: the controllers stop gracefully (a loop finishes its pass), but before the renew
                // deadline, after which another replica may start them.
                await LongRunner.finish(work, within: min(shutdownGrace, election.renewalDue(at: clock.now())))
            } else {
                work.cancel()
                await work.value
            }
            election.stepDown()
            observer?(false, identity)
            if Task.isCancelled {
                logger.notice("controllers stopped; releasing the lease", metadata: metadata)
                await Task { await self.release() }.value
                return
            }
            logger.warning("lost the lease (no renewal within the deadline); controllers stopped", metadata: metadata)
        }
    }

    /// One read and, if the election says so, one write; abandoned after `limit`.
    func attempt(within limit: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.tryAcquireOrRenew() }
            group.addTask { [clock] in try? await clock.sleep(for: max(limit, .milliseconds(1))) }
            await group.next()
            group.cancelAll()
        }
    }

    func tryAcquireOrRenew() async {
        let current: Lease?
        do throws(APIError) {
            let json = try await client.get(Lease.descriptor, namespace: configuration.namespace, name: configuration.name)
            guard let lease = try? Lease(json: json) else { return }
            current = lease
        } catch {
            if error.code != 404 {
                logger.debug("cannot read the lease", metadata: ["error": "\(error.message)"])
                return
            }
            current = nil
        }
        let now = clock.now()
        let action = election.decide(current.map { $0.spec ?? LeaseSpec() }, now: now)
        do throws(APIError) {
            switch action {
            case .wait:
                return
            case .create(let spec):
                let lease = Lease(metadata: ObjectMeta(name: configuration.name, namespace: configuration.namespace), spec: spec)
                _ = try await client.create(Lease.descriptor, lease.json())
                election.wrote(spec, at: now)
            case .update(let spec):
                guard var lease = current else { return }
                lease.spec = spec
                _ = try await client.update(Lease.descriptor, lease.json())
                election.wrote(spec, at: now)
            }
        } catch {
            // 409: another replica wrote first; read again next time.
            logger.debug("lease write failed", metadata: ["error": "\(error.message)"])
        }
    }

    func release() async {
        guard let spec = election.release(at: clock.now()) else { return }
        do throws(APIError) {
            let json = try await client.get(Lease.descriptor, namespace: configuration.namespace, name: configuration.name)
            guard var lease = try? Lease(json: json), lease.spec?.holderIdentity == configuration.identity else { return }
            lease.spec = spec
            _ = try await client.update(Lease.descriptor, lease.json())
        } catch {
            logger.notice("could not release the lease; another replica takes it when it expires", metadata: ["error": "\(error.message)"])
        }
    }
}
