import FlotillaAPI
import FlotillaRuntime
import KubeClient
import Logging

/// Follows every AppSession's UE and moves the session when `MobilityPolicy` says so. Evaluates a UE's sessions as
/// soon as the access network notifies a change (`notify`), and all sessions every `interval` (for dwell times, and
/// for access networks that cannot notify). One migration per session at a time; a session whose migration is in
/// flight is not evaluated. Before moving, it makes sure the target has a ready instance with room (else it waits
/// for the scheduler to place one — demand is what drives that, see `DemandReporter`).
public actor MobilityService {
    public struct Configuration: Sendable {
        public var policy: MobilityPolicy
        public var interval: Duration
        /// The access network's base URL for subscriptions; nil runs on the periodic evaluation alone.
        public var subscriptionsURL: String?
        /// How often session demand per area is written to DemandWeighted AppProfiles' status.
        public var demandInterval: Duration
        /// How far ahead demand looks (`DemandForecast`): a moving UE's session also counts in the area it will be
        /// in by then. Capacity takes about this long to appear: the report's period, scheduling and rollout, and
        /// the pod's startup. Zero: demand is where the UEs are now.
        public var demandLookahead: Duration
        /// With notifications, a session nothing is happening to is looked at again after this long.
        public var staleAfter: Duration

        public init(policy: MobilityPolicy = MobilityPolicy(), interval: Duration = .milliseconds(200), subscriptionsURL: String? = nil,
                    demandInterval: Duration = .seconds(1), demandLookahead: Duration = .seconds(8), staleAfter: Duration = .seconds(2)) {
            self.demandLookahead = demandLookahead
            self.policy = policy
            self.staleAfter = staleAfter
            self.interval = interval
            self.subscriptionsURL = subscriptionsURL
            self.demandInterval = demandInterval
        }
    }

    let client: any ObjectClient
    let informers: SharedInformers?
    let rtt: any SiteRTTSource
    let instances: any InstanceSource
    let runner: MigrationRunner
    let configuration: Configuration
    let logger: Logger
    let subscriptions: LocationSubscriptions?
    let protector: SessionProtector
    /// The access network's NEF, for `AppProfile.spec.qosOnDemand`.
    let qos: QoSRequests?

    private var sessions: [String: AppSession] = [:]
    private var profiles: [String: AppProfile] = [:]
    private var trackers: [String: MobilityPolicy.Tracker] = [:]
    private var migrating: Set<String> = []
    private var evaluating: Set<String> = []
    private var again: Set<String> = []
    private var subscribed: [String: [String]] = [:]
    private var notifyURL: String?
    private var migrationTasks: [String: Task<Void, Never>] = [:]
    /// The access area each session's UE was last seen in, and where it was going.
    private var zones: [String: String] = [:]
    private var motions: [String: UEMotion] = [:]
    /// Protected sessions with a standby assignment or promotion in flight.
    private var guarding: Set<String> = []
    /// Unfinished SessionMigrations seen by the recovery pass: the resourceVersion seen and since when.
    private var unfinishedSeen: [String: (version: String, since: ContinuousClock.Instant)] = [:]
    private var recoveryPasses = 0
    /// When each protected session's primary was first seen gone.
    private var primaryLost: [String: ContinuousClock.Instant] = [:]
    private var guardTasks: [String: Task<Void, Never>] = [:]
    /// Protected sessions whose client reported the primary gone and whose primary did not answer a probe.
    private var reportedLost: Set<String> = []
    /// QoS flows asked for, by "namespace/app|ue": the NEF subscription's URL. Apps whose earlier flows (a previous
    /// leader's) have been looked up, and flows with a request or release in flight.
    private var qosFlows: [String: String] = [:]
    private var qosAdopted: Set<String> = []
    private var qosBusy: Set<String> = []
    public private(set) var promotions = 0
    public private(set) var evaluations = 0

    /// `informers`: the process's shared informers; without them the service watches through `client` on its own.
    public init(client: any ObjectClient, rtt: any SiteRTTSource, instances: any InstanceSource, runner: MigrationRunner,
                configuration: Configuration = Configuration(), informers: SharedInformers? = nil,
                logger: Logger = Logger(label: "flotilla.mobility")) {
        self.client = client
        self.informers = informers
        self.rtt = rtt
        self.instances = instances
        self.runner = runner
        self.configuration = configuration
        self.logger = logger
        self.subscriptions = configuration.subscriptionsURL.map { LocationSubscriptions(baseURL: $0, transport: runner.transport) }
        self.qos = configuration.subscriptionsURL.map { QoSRequests(baseURL: $0, transport: runner.transport) }
        self.protector = SessionProtector(client: client, transport: runner.transport, runner: runner, logger: logger)
    }

    /// Runs until cancelled: informers on AppSessions and AppProfiles, the notification listener, the periodic pass.
    public func run() async {
        // A replica that leads again starts as after a restart: migrations left by the last leader are its to finish.
        recoveryPasses = 0
        unfinishedSeen = [:]
        let informers = self.informers ?? SharedInformers(client: client, logger: logger)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await informers.run(AppSession.descriptor) { [weak self] event in await self?.apply(event) } }
            group.addTask { await informers.run(AppProfile.descriptor) { [weak self] event in await self?.applyProfile(event) } }
            if subscriptions != nil {
                let logger = self.logger
                group.addTask { [weak self] in
                    do {
                        try await NotificationListener().run(onRunning: { [weak self] url in await self?.listening(at: url) },
                                                             onUE: { [weak self] ue in await self?.notify(ue: ue) },
                                                             onQoS: { [weak self] url, event in await self?.qosNotified(url, event: event) })
                    } catch {
                        logger.error("notification listener stopped", metadata: ["error": "\(error)"])
                    }
                }
            }
            group.addTask { [weak self, interval = configuration.interval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    await self?.evaluateAll()
                }
            }
            // Migrations left unfinished (a restart, an unanswered step): at start, then every 2 s (see recoverUnfinished).
            group.addTask { [weak self] in
                while !Task.isCancelled {
                    await self?.recoverUnfinished()
                    try? await Task.sleep(for: .seconds(2))
                }
            }
            // Session protection: standbys assigned, and promoted when a primary is lost, looked at every 100 ms.
            group.addTask { [weak self] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(100))
                    await self?.protectAll()
                }
            }
            group.addTask { [weak self, interval = configuration.demandInterval] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    await self?.reportDemand()
                }
            }
            await group.next()
            group.cancelAll()
        }
        if self.informers == nil { await informers.stop() }
        for task in migrationTasks.values { await task.value }
        for task in guardTasks.values { await task.value }
        if let subscriptions {
            for urls in subscribed.values { for url in urls { await subscriptions.unsubscribe(url) } }
        }
    }

    func listening(at url: String) async {
        notifyURL = url
        for session in sessions.values { await subscribe(session.spec.ue) }
    }

    func apply(_ event: InformerEvent) async {
        switch event {
        case .synced(let items):
            sessions = [:]
            for item in items { if let session = try? AppSession(json: item) { sessions[Self.key(session)] = session } }
        case .added(let item), .modified(let item):
            guard let session = try? AppSession(json: item) else { return }
            sessions[Self.key(session)] = session
            await subscribe(session.spec.ue)
        case .deleted(let item):
            guard let session = try? AppSession(json: item) else { return }
            sessions[Self.key(session)] = nil
            trackers[Self.key(session)] = nil
            zones[Self.key(session)] = nil
            motions[Self.key(session)] = nil
            await unsubscribeIfUnused(session.spec.ue)
            await releaseQoSIfUnused(namespace: session.metadata.namespace ?? "default", app: session.spec.app, ue: session.spec.ue)
            await runner.steering.remove(namespace: session.metadata.namespace ?? "default", session: session.metadata.name ?? "")
        }
    }

    func applyProfile(_ event: InformerEvent) {
        switch event {
        case .synced(let items):
            profiles = [:]
            for item in items { if let profile = try? AppProfile(json: item) { profiles[Self.key(profile)] = profile } }
        case .added(let item), .modified(let item):
            if let profile = try? AppProfile(json: item) { profiles[Self.key(profile)] = profile }
        case .deleted(let item):
            if let profile = try? AppProfile(json: item) { profiles[Self.key(profile)] = nil }
        }
    }

    func subscribe(_ ue: String) async {
        guard let subscriptions, let notifyURL, subscribed[ue] == nil else { return }
        subscribed[ue] = []
        do {
            subscribed[ue] = try await subscriptions.subscribe(ue: ue, notifyURL: notifyURL)
        } catch {
            subscribed[ue] = nil
            logger.warning("cannot subscribe to the UE's moves; periodic evaluation only", metadata: ["ue": "\(ue)", "error": "\(error)"])
        }
    }

    func unsubscribeIfUnused(_ ue: String) async {
        guard let subscriptions, !sessions.values.contains(where: { $0.spec.ue == ue }), let urls = subscribed.removeValue(forKey: ue) else { return }
        for url in urls { await subscriptions.unsubscribe(url) }
    }

    /// Whether the service follows the session: its informer has seen it with an instance assigned.
    public func follows(namespace: String, name: String) -> Bool { sessions["\(namespace)/\(name)"]?.status?.endpoint != nil }

    /// The access network says the UE moved: evaluate its sessions now.
    public func notify(ue: String) async {
        let now = ContinuousClock.now
        for (key, session) in sessions where session.spec.ue == ue { await evaluate(key, session, triggeredAt: now) }
    }

    /// The timer's pass: the sessions whose decision is in progress (a dwell, a broken budget, a climb), and any not
    /// looked at for `staleAfter` — the rest wait for the access network to say their UE moved.
    func evaluateAll() async {
        let now = ContinuousClock.now
        for (key, session) in sessions
        where trackers[key]?.wantsAnotherLook(now: now, stale: configuration.staleAfter) ?? true || configuration.subscriptionsURL == nil {
            await evaluate(key, session, triggeredAt: now)
        }
    }

    /// Evaluates a session, one evaluation per session at a time: the actor is re-entered at every await, so a
    /// second notification during an evaluation only asks for one more round afterwards (with fresh RTTs).
    func evaluate(_ key: String, _ session: AppSession, triggeredAt: ContinuousClock.Instant) async {
        guard !evaluating.contains(key) else {
            again.insert(key)
            return
        }
        evaluating.insert(key)
        await decide(key, session, triggeredAt: triggeredAt)
        while again.remove(key) != nil, let current = sessions[key] { await decide(key, current, triggeredAt: triggeredAt) }
        evaluating.remove(key)
    }

    func decide(_ key: String, _ session: AppSession, triggeredAt: ContinuousClock.Instant) async {
        guard !migrating.contains(key), session.metadata.deletionTimestamp == nil, let site = session.status?.site,
              session.status?.endpoint != nil else { return }
        let namespace = session.metadata.namespace ?? "default"
        guard let profile = profiles["\(namespace)/\(session.spec.app)"], profile.spec.serviceContinuity != false else { return }
        // A session whose primary is gone cannot be moved (its state cannot be exported): promotion, if it is
        // protected, is `protectAll`'s business.
        let candidates = await loaded(namespace: namespace, app: session.spec.app)
        guard candidates.contains(where: { $0.endpoint == session.status?.endpoint && $0.ready }), !guarding.contains(key) else { return }
        evaluations += 1
        let observed: UESiteRTT
        do {
            observed = try await rtt.rtt(ue: session.spec.ue)
        } catch {
            return
        }
        if let zone = observed.zone { zones[key] = zone }
        motions[key] = observed.motion
        // A site being drained (cordon, or a NoExecute taint still tolerated) is left before its workloads are
        // evicted: the best other site takes the session now, whatever the policy's dwell times say.
        if candidates.contains(where: { $0.endpoint == session.status?.endpoint && $0.draining }) {
            let others = candidates.filter { $0.site != site }
            guard let target = EdgeRanking.rank(others, rttMs: observed.rttMs, budgetMs: profile.spec.latencyBudgetMs, limit: 1).ranked.first?.instance
            else { return }
            start(key, MigrationRunner.Request(session: sessions[key] ?? session, target: target, reason: "Drain",
                                               sourceRttMs: observed.rttMs[site], targetRttMs: observed.rttMs[target.site], triggeredAt: triggeredAt))
            return
        }
        // Sites that could take the session (a ready instance with room), plus the current one.
        var rttMs: [String: Double] = [:]
        for instance in candidates where instance.ready && (!instance.full || instance.site == site) {
            if let value = observed.rttMs[instance.site] { rttMs[instance.site] = value }
        }
        if rttMs[site] == nil, let value = observed.rttMs[site] { rttMs[site] = value }
        var tracker = trackers[key] ?? MobilityPolicy.Tracker()
        let decision = configuration.policy.observe(&tracker, current: site, rttMs: rttMs, budgetMs: profile.spec.latencyBudgetMs,
                                                    now: ContinuousClock.now)
        trackers[key] = tracker
        guard let decision else {
            await considerQoS(session, profile: profile, rttMs: observed.rttMs[site])
            return
        }
        let ranked = EdgeRanking.rank(candidates.filter { $0.site == decision.target }, rttMs: observed.rttMs,
                                      budgetMs: profile.spec.latencyBudgetMs, limit: 1).ranked
        guard let target = ranked.first?.instance else { return }
        start(key, MigrationRunner.Request(session: sessions[key] ?? session, target: target, reason: decision.reason,
            sourceRttMs: decision.sourceRttMs, targetRttMs: decision.targetRttMs, triggeredAt: triggeredAt))
    }

    /// QoS on demand (`AppProfile.spec.qosOnDemand`): asks for the UE's flow or gives it back, as `QoSOnDemandPolicy`
    /// says, recording either as an Event on the session. The first time for an app, the flows an earlier leader asked
    /// for are looked up at the NEF (one AF id per app), kept for UEs with sessions and given back for the others.
    func considerQoS(_ session: AppSession, profile: AppProfile, rttMs: Double?) async {
        guard let qos, let wanted = profile.spec.qosOnDemand, let budget = profile.spec.latencyBudgetMs, let notifyURL,
              let endpoint = session.status?.endpoint else { return }
        let namespace = session.metadata.namespace ?? "default"
        let app = "\(namespace)/\(session.spec.app)"
        let scsAsId = QoSOnDemandPolicy.scsAsId(namespace: namespace, app: session.spec.app)
        if !qosAdopted.contains(app) {
            guard let found = try? await qos.existing(scsAsId: scsAsId) else { return }
            qosAdopted.insert(app)
            for (ue, url) in found where qosFlows["\(app)|\(ue)"] == nil {
                qosFlows["\(app)|\(ue)"] = url
                await releaseQoSIfUnused(namespace: namespace, app: session.spec.app, ue: ue)
            }
        }
        let flow = "\(app)|\(session.spec.ue)"
        guard !qosBusy.contains(flow) else { return }
        let action = QoSOnDemandPolicy.decide(held: qosFlows[flow] != nil, rttMs: rttMs, budgetMs: budget,
                                              withinMs: wanted.withinMs ?? QoSOnDemand.defaultWithinMs)
        guard action != .none else { return }
        qosBusy.insert(flow)
        defer { qosBusy.remove(flow) }
        let object = (try? session.json()) ?? .null
        do {
            if action == .request {
                let granted = try await qos.request(ue: session.spec.ue, reference: wanted.qosReference, endpoint: endpoint,
                                                    scsAsId: scsAsId, notifyURL: notifyURL)
                qosFlows[flow] = granted.url
                runner.events.record(object, type: granted.guaranteed ? "Normal" : "Warning",
                    reason: granted.guaranteed ? "QoSRequested" : "QoSNotGuaranteed",
                    message: "\(wanted.qosReference) for \(session.spec.ue) at \(rttMs.map { "\($0)" } ?? "?") ms against a \(budget) ms budget")
            } else if let url = qosFlows[flow] {
                try await qos.release(url)
                qosFlows[flow] = nil
                runner.events.record(object, reason: "QoSReleased", message: "\(session.spec.ue) at \(rttMs.map { "\($0)" } ?? "?") ms")
            }
        } catch {
            logger.warning("QoS on demand", metadata: ["ue": "\(session.spec.ue)", "error": "\(error)"])
        }
    }

    /// Gives back a UE's flow for an app once none of its sessions of that app is left.
    func releaseQoSIfUnused(namespace: String, app: String, ue: String) async {
        let flow = "\(namespace)/\(app)|\(ue)"
        guard let qos, let url = qosFlows[flow], !qosBusy.contains(flow),
              !sessions.values.contains(where: { $0.spec.ue == ue && $0.spec.app == app && $0.metadata.namespace == namespace }) else { return }
        qosBusy.insert(flow)
        defer { qosBusy.remove(flow) }
        do {
            try await qos.release(url)
            qosFlows[flow] = nil
        } catch {
            logger.warning("cannot give back a QoS flow; it is retried when the app is looked at again", metadata: ["url": "\(url)", "error": "\(error)"])
        }
    }

    /// The access network says a flow was lost or restored: an Event on a session of that UE says so.
    func qosNotified(_ url: String, event: String) {
        guard let flow = qosFlows.first(where: { $0.value == url })?.key, let bar = flow.lastIndex(of: "|") else { return }
        let app = flow[..<bar], ue = String(flow[flow.index(after: bar)...])
        guard let session = sessions.values.first(where: { $0.spec.ue == ue && "\($0.metadata.namespace ?? "default")/\($0.spec.app)" == app }),
              ["QOS_NOT_GUARANTEED", "QOS_GUARANTEED", "FAILED_RESOURCES_ALLOCATION"].contains(event) else { return }
        runner.events.record((try? session.json()) ?? .null, type: event == "QOS_GUARANTEED" ? "Normal" : "Warning",
            reason: event == "QOS_GUARANTEED" ? "QoSGuaranteed" : "QoSNotGuaranteed", message: "the access network reports \(event) for \(ue)")
    }

    /// Runs one migration of the session in the background; the session is not evaluated meanwhile.
    func start(_ key: String, _ request: MigrationRunner.Request) {
        migrating.insert(key)
        let runner = self.runner
        migrationTasks[key] = Task {
            let outcome = try? await runner.migrate(request)
            self.finished(key, phase: outcome?.status?.phase)
        }
    }

    /// Session protection's pass: every protected session gets a standby, and a session whose primary is gone is
    /// promoted at its standby (`SessionGuard`, carried out by `SessionProtector`, one action per session at a time).
    func protectAll() async {
        // Each app's instances once per pass (with load counted from every session), not once per session.
        var instancesOf: [String: [EdgeInstance]] = [:]
        for (key, session) in sessions where !migrating.contains(key) && !guarding.contains(key) {
            let namespace = session.metadata.namespace ?? "default"
            let app = "\(namespace)/\(session.spec.app)"
            guard session.metadata.deletionTimestamp == nil, session.status?.endpoint != nil,
                  let protection = profiles[app]?.spec.sessionProtection, protection.standby else { continue }
            var instances: [EdgeInstance]
            if let known = instancesOf[app] {
                instances = known
            } else {
                instances = await loaded(namespace: namespace, app: session.spec.app)
                instancesOf[app] = instances
            }
            if reportedLost.contains(key) {
                // The client said so and a probe agreed: this session's primary counts as lost.
                for index in instances.indices where instances[index].endpoint == session.status?.endpoint { instances[index].ready = false }
            }
            if instances.contains(where: { $0.endpoint == session.status?.endpoint && $0.ready }) {
                primaryLost[key] = nil
            } else if primaryLost[key] == nil {
                primaryLost[key] = .now
            }
            // The standby is the next-best site for the UE, as discovery ranks it: RTTs only when one is to be chosen.
            var rttMs: [String: Double] = [:]
            if SessionGuard.needsStandby(session, instances: instances) {
                guard let observed = try? await rtt.rtt(ue: session.spec.ue) else { continue }
                rttMs = observed.rttMs
            }
            let action = SessionGuard.decide(session, instances: instances, rttMs: rttMs)
            let protector = self.protector, interval = protection.intervalMilliseconds ?? 100, lost = primaryLost[key] ?? .now
            switch action {
            case .none: continue
            case .assignStandby(let standby):
                guarding.insert(key)
                guardTasks[key] = Task {
                    let updated = try? await protector.assign(session, standby: standby, intervalMs: interval)
                    self.guarded(key, updated, promoted: false)
                }
            case .promote(let standby):
                guarding.insert(key)
                guardTasks[key] = Task {
                    do {
                        let updated = try await protector.promote(session, standby: standby, detectedAt: lost)
                        self.guarded(key, updated, promoted: true)
                    } catch {
                        self.logger.warning("promotion failed", metadata: ["session": "\(key)", "error": "\(error)"])
                        self.guarded(key, nil, promoted: false)
                    }
                }
            }
        }
    }

    /// A client reports that its session's server stopped answering. A UE's radio can fail while the server is
    /// fine, so the report alone decides nothing: the primary is probed (`GET …/{id}` over the state-transfer
    /// protocol), and only a primary that does not answer, or no longer holds the session, makes a protected session
    /// promoted at its standby. Returns what was decided, for the reporting client.
    public func report(namespace: String, name: String) async -> String {
        let key = "\(namespace)/\(name)"
        guard let session = sessions[key], let endpoint = session.status?.endpoint else { return "unknown session \(key)" }
        guard profiles["\(namespace)/\(session.spec.app)"]?.spec.sessionProtection?.standby == true else {
            return "session \(key) is not protected (its AppProfile has no sessionProtection Standby)"
        }
        switch await StateTransferClient(transport: runner.transport).held(at: endpoint, session: name) {
        case .phase("Active"), .phase("Frozen"):
            return "the primary at \(endpoint) answers and holds the session: nothing to do"
        case .phase, .absent, .unknown:
            reportedLost.insert(key)
            if primaryLost[key] == nil { primaryLost[key] = .now }
            return session.status?.standbyEndpoint == nil ? "the primary is lost and there is no standby yet"
                : "the primary at \(endpoint) is lost: promoting the standby at \(session.status?.standbySite ?? "?")"
        }
    }

    /// Every SessionMigration not in a final phase whose session this service is not moving now and whose runner is
    /// gone: at start (the service restarted), every such record; after that, only records unchanged for longer than
    /// the runner's freeze lease. A live runner (a manual one, or this service's own) writes each step well within
    /// that time, so recovery never races it. `MigrationRunner.recover` finishes or rolls the record back.
    func recoverUnfinished() async {
        guard let records = try? await client.list(SessionMigration.descriptor, namespace: nil, options: .everything).items else { return }
        let atStart = recoveryPasses == 0
        recoveryPasses += 1
        var seen: [String: (version: String, since: ContinuousClock.Instant)] = [:]
        for object in records {
            guard let record = try? SessionMigration(json: object), ["Triggered", "Transferring"].contains(record.status?.phase ?? "Triggered"),
                  record.metadata.deletionTimestamp == nil else { continue }
            let id = "\(record.metadata.namespace ?? "")/\(record.metadata.name ?? "")"
            let version = record.metadata.resourceVersion ?? ""
            let since = unfinishedSeen[id].flatMap { $0.version == version ? $0.since : nil } ?? .now
            seen[id] = (version, since)
            guard atStart || ContinuousClock.now - since >= runner.freezeLease else { continue }
            let key = "\(record.metadata.namespace ?? "")/\(record.spec.session)"
            guard !migrating.contains(key), !guarding.contains(key) else { continue }
            migrating.insert(key)
            let outcome = try? await runner.recover(record)
            migrating.remove(key)
            if let phase = outcome?.status?.phase, phase != record.status?.phase {
                logger.notice("recovered a migration", metadata: ["migration": "\(record.metadata.name ?? "")", "phase": "\(phase)"])
            }
        }
        unfinishedSeen = seen
    }

    func guarded(_ key: String, _ updated: AppSession?, promoted: Bool) {
        guarding.remove(key)
        guardTasks[key] = nil
        if let updated, sessions[key] != nil { sessions[key] = updated }
        if promoted {
            promotions += 1
            primaryLost[key] = nil
            reportedLost.remove(key)
            trackers[key, default: MobilityPolicy.Tracker()].migrated(at: .now)
        }
    }

    func finished(_ key: String, phase: String?) {
        migrating.remove(key)
        migrationTasks[key] = nil
        // Completed or not, hold still for a while: a failed target should not be retried on every tick.
        trackers[key, default: MobilityPolicy.Tracker()].migrated(at: .now)
    }

    /// Writes where each DemandWeighted app's sessions are, and where they are heading (`DemandForecast`), as
    /// sessions per access area to its AppProfile's `status.demand`, when that changed. The scheduler divides the
    /// app's replicas by it, so a site whose area sessions are heading to gets a replica before they arrive, and a
    /// site no session is at or heading to gets none — the "make sure the target has an instance" half of mobility,
    /// done through the API like any other placement.
    func reportDemand() async {
        let weighted = Set(profiles.filter { $0.value.spec.placement?.replicaDivision == "DemandWeighted" }.keys)
        guard !weighted.isEmpty else { return }
        let lookahead = configuration.demandLookahead.inSeconds
        var now: [String: [String: String]] = [:], ahead: [String: [String: String]] = [:]
        for (key, session) in sessions {
            let app = "\(session.metadata.namespace ?? "")/\(session.spec.app)"
            guard weighted.contains(app), let zone = zones[key] else { continue }
            now[app, default: [:]][key] = zone
            guard lookahead > 0, let motion = motions[key], motion.speedMps >= DemandForecast.movingMps else { continue }
            let place = motion.projected(seconds: lookahead)
            if let zone = try? await rtt.rtt(at: .coordinates(latitude: place.latitude, longitude: place.longitude)).zone {
                ahead[app, default: [:]][key] = zone
            }
        }
        for key in weighted.sorted() {
            guard let profile = profiles[key] else { continue }
            let demand = DemandForecast.demand(now: now[key] ?? [:], ahead: ahead[key] ?? [:])
            let wanted = demand.sorted { $0.key < $1.key }.map { AreaDemand(area: $0.key, ues: $0.value) }
            guard !wanted.isEmpty || profile.status?.demand != nil, (profile.status?.demand ?? []) != wanted else { continue }
            var updated = profile
            var status = profile.status ?? AppProfileStatus()
            status.demand = wanted
            status.observedTime = MigrationRunner.microTime()
            updated.status = status
            do {
                let written = try await client.updateStatus(AppProfile.descriptor, updated.json())
                if let decoded = try? AppProfile(json: written) { profiles[key] = decoded }
            } catch {
                // A conflict means someone else wrote it; the next round writes again from the fresh copy.
                logger.debug("cannot write demand", metadata: ["profile": "\(key)", "error": "\(error)"])
            }
        }
    }

    /// The app's instances with load counted from the sessions this service knows.
    func loaded(namespace: String, app: String) async -> [EdgeInstance] {
        var list = await instances.app(namespace: namespace, name: app)?.instances ?? []
        var load: [String: Int] = [:]
        for session in sessions.values where session.spec.app == app && session.metadata.namespace == namespace {
            if let endpoint = session.status?.endpoint { load[endpoint, default: 0] += 1 }
        }
        for index in list.indices { list[index].load = load[list[index].endpoint] ?? 0 }
        return list
    }

    static func key(_ object: some APIObject) -> String { "\(object.metadata.namespace ?? "")/\(object.metadata.name ?? "")" }
}
