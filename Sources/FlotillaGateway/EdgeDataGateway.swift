import Logging
import NIOCore
import NIOPosix
import Synchronization

/// A site's edge data gateway: the I/O around `FlowSwitch`. UPFs send it their UEs' user plane as GTP-U G-PDUs; it
/// forwards each flow as its TrafficRule says — decapsulated to the instance holding the UE's session (here or at
/// another site, which costs the one-way inter-site delay each way), as is to another gateway, through to the default
/// route, or held while the session is frozen for a move — and tunnels the instances' answers back to the UPF the
/// flow came from. Each flow talks to its instance from a socket of its own (so answers find their flow without
/// reading the app's protocol), all on the ingress socket's event loop: one gateway is one core's work.
public final class EdgeDataGateway: Sendable {
    public struct Configuration: Sendable {
        public var site: String
        public var host: String
        public var port: Int
        /// One-way delay from this site to another (0 for itself).
        public var oneWayMs: @Sendable (_ toSite: String) -> Double
        /// Where PASSTHROUGH (and flows no rule matches) go, as G-PDUs; nil drops them.
        public var passthrough: SocketAddress?
        public var limits: FlowSwitch<SocketAddress>.Limits
        /// The port for TCP from the UPFs (PROXY v2 first); nil: no TCP.
        public var tcpPort: Int?

        public init(site: String, host: String = "127.0.0.1", port: Int = 0, oneWayMs: @escaping @Sendable (String) -> Double = { _ in 0 },
                    passthrough: SocketAddress? = nil, limits: FlowSwitch<SocketAddress>.Limits = .init(), tcpPort: Int? = nil) {
            self.site = site
            self.host = host
            self.port = port
            self.tcpPort = tcpPort
            self.oneWayMs = oneWayMs
            self.passthrough = passthrough
            self.limits = limits
        }
    }

    public struct Counters: Sendable, Equatable {
        public var uplink = 0
        public var downlink = 0
        public var held = 0
        public var dropped = 0
        public var passedThrough = 0
        public var flows = 0
        /// Holds that waited for their flows' next packet: begun right after one, or at the wait's bound.
        public var holdsAfterPacket = 0
        public var holdsAtBound = 0
        public init() {}
    }

    enum Upstream {
        case opening([(ByteBuffer, SocketAddress, Double)])
        case open(any Channel, DelayedSender)
    }

    struct Shared {
        var upstreams: [FlowKey: Upstream] = [:]
        /// The site of each flow's current instance (for the answers' delay).
        var instanceSite: [FlowKey: String] = [:]
        var lastSeen: [FlowKey: ContinuousClock.Instant] = [:]
        var counters = Counters()
        /// Rules forwarding as is: only then can a G-PDU be an answer relayed back by another gateway.
        var asIs: Set<String> = []
    }

    public let configuration: Configuration
    public let port: Int
    let ingress: any Channel
    let tcpListener: (any Channel)?
    /// Where UPFs open TCP connections (nil: no TCP).
    public let tcpPort: Int?
    let toPeers: DelayedSender
    let core: Mutex<FlowSwitch<SocketAddress>>
    let shared = Mutex(Shared())
    /// Who waits for a rule's pending hold to begin (`holdBegins`), by rule key.
    let holdWaiters = Mutex<[String: [CheckedContinuation<Void, Never>]]>([:])
    public let metrics: GatewayMetrics
    let logger: Logger

    /// `group`: where the gateway's sockets live (all on one of its event loops).
    public static func start(_ configuration: Configuration, metrics: GatewayMetrics = GatewayMetrics(),
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
                             logger: Logger = Logger(label: "flotilla.gateway")) async throws -> EdgeDataGateway {
        let holder = Mutex<EdgeDataGateway?>(nil)
        let channel = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .readingInBatches()
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler { envelope in holder.withLock { $0 }?.ingress(envelope) })
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        var tcp: (any Channel)?
        if let tcpPort = configuration.tcpPort {
            do {
                tcp = try await bindTCP(host: configuration.host, port: tcpPort, on: channel.eventLoop) { holder.withLock { $0 } }
            } catch {
                try? await channel.close()
                throw error
            }
        }
        let gateway = EdgeDataGateway(configuration: configuration, channel: channel, tcp: tcp, metrics: metrics, logger: logger)
        holder.withLock { $0 = gateway }
        channel.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) { task in
            guard channel.isActive else { return task.cancel() }
            gateway.expire()
        }
        return gateway
    }

    init(configuration: Configuration, channel: any Channel, tcp: (any Channel)?, metrics: GatewayMetrics, logger: Logger) {
        self.configuration = configuration
        self.port = channel.localAddress?.port ?? 0
        self.ingress = channel
        self.tcpListener = tcp
        self.tcpPort = tcp?.localAddress?.port
        self.toPeers = DelayedSender(channel: channel)
        self.core = Mutex(FlowSwitch(limits: configuration.limits))
        self.metrics = metrics
        self.logger = logger
    }

    public var counters: Counters {
        var counters = shared.withLock { $0.counters }
        counters.flows = core.withLock { $0.flowCount }
        return counters
    }

    /// Installs a rule or its new version; held packets it releases leave at once.
    public func apply(_ rule: CompiledRule) {
        shared.withLock { shared in
            if case .forward(_, _, _, false) = rule.action { shared.asIs.insert(rule.key) } else { shared.asIs.remove(rule.key) }
        }
        let (outputs, pending) = core.withLock { core in (core.set(rule, now: .now), core.pendingHolds[rule.key]?.deadline) }
        perform(outputs)
        // A hold waiting for its flows' next packet begins at its deadline if none comes.
        if let pending {
            ingress.eventLoop.scheduleTask(in: TimeAmount(max(.zero, ContinuousClock.now.duration(to: pending)))) { [self] in
                perform(core.withLock { $0.beginDueHolds(now: .now) })
            }
        }
    }

    /// Returns once the rule's hold is in force: at once unless a hold waits for its flows' next packet (`FlowSwitch`),
    /// then when that packet has passed or the wait's bound is reached.
    public func holdBegins(rule key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // Registered under the core's lock, so a hold that begins meanwhile finds its waiter.
            let waiting = core.withLock { core in
                guard core.pendingHolds[key] != nil else { return false }
                holdWaiters.withLock { $0[key, default: []].append(continuation) }
                return true
            }
            if !waiting { continuation.resume() }
        }
    }

    func holdBegan(_ key: String) {
        for waiter in holdWaiters.withLock({ $0.removeValue(forKey: key) ?? [] }) { waiter.resume() }
    }

    public func remove(rule key: String) {
        shared.withLock { _ = $0.asIs.remove(key) }
        let outputs = core.withLock { $0.remove(rule: key) }
        perform(outputs)
    }

    public var rules: [String: CompiledRule] { core.withLock { $0.table.rules } }

    func ingress(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let packet = GTPU.decapsulate(envelope.data) else {
            metrics.malformed.increment()
            return
        }
        let now = ContinuousClock.now
        // An answer relayed back by the gateway a flow was forwarded to as is: on to the flow's UPF.
        let uplinkKey = packet.flow.reversed
        if shared.withLock({ !$0.asIs.isEmpty }), let tunnel = core.withLock({ $0.tunnel(of: uplinkKey) }), tunnel.peer != envelope.remoteAddress {
            shared.withLock { $0.counters.downlink += 1 }
            metrics.flow(uplinkKey).downlink.increment()
            toPeers.sendNow(envelope.data, to: tunnel.peer)
            return
        }
        let output = core.withLock {
            $0.uplink(FlowSwitch.Packet(peer: envelope.remoteAddress, teid: packet.teid, flow: packet.flow, payload: packet.payload,
                                        original: envelope.data, at: now))
        }
        perform([output])
    }

    func perform(_ outputs: [FlowSwitch<SocketAddress>.Output]) {
        for output in outputs {
            switch output {
            case .send(let packet, let rule, let action):
                metrics.flow(packet.flow).uplink.increment()
                if let rule { metrics.rule(rule.key, action.name).increment() }
                send(packet, action: action, destination: rule?.destination)
            case .sendThenHold(let packet, let rule, let action):
                metrics.flow(packet.flow).uplink.increment()
                metrics.rule(rule.key, action.name).increment()
                metrics.holdAligned.increment()
                shared.withLock { $0.counters.holdsAfterPacket += 1 }
                send(packet, action: action, destination: rule.destination)
                holdBegan(rule.key)
            case .pendingHoldEnded(let rule):
                metrics.holdUnaligned.increment()
                shared.withLock { $0.counters.holdsAtBound += 1 }
                holdBegan(rule)
            case .held(let flow, let rule):
                shared.withLock {
                    $0.counters.held += 1
                    $0.lastSeen[flow] = .now
                }
                metrics.rule(rule, "BUFFER").increment()
                metrics.flow(flow).held.increment()
            case .dropped(let flow, let rule, let reason):
                shared.withLock { $0.counters.dropped += 1 }
                metrics.dropped(reason.rawValue).increment()
                if let rule, reason == .rule { metrics.rule(rule, "DROP").increment() }
                metrics.flow(flow).dropped.increment()
            }
        }
    }

    func send(_ packet: FlowSwitch<SocketAddress>.Packet, action: RuleAction, destination: SocketAddress?) {
        switch action {
        case .forward(_, _, let site, let decapsulated):
            guard let address = destination else {
                shared.withLock { $0.counters.dropped += 1 }
                metrics.dropped("bad-destination").increment()
                return
            }
            let delay = site == configuration.site ? 0 : configuration.oneWayMs(site)
            if decapsulated {
                toInstance(packet.flow, packet.payload, address: address, delayMs: delay, site: site, at: packet.at)
            } else {
                shared.withLock {
                    $0.counters.uplink += 1
                    $0.lastSeen[packet.flow] = packet.at
                }
                toPeers.send(packet.original, to: address, afterMs: delay)
            }
        case .passthrough:
            guard let route = configuration.passthrough else {
                shared.withLock { $0.counters.dropped += 1 }
                metrics.dropped("no-route").increment()
                return
            }
            shared.withLock {
                $0.counters.passedThrough += 1
                $0.lastSeen[packet.flow] = packet.at
            }
            toPeers.sendNow(packet.original, to: route)
        case .buffer, .drop:
            break
        }
    }

    /// The payload to the instance, from the flow's own socket (opened on first use).
    func toInstance(_ flow: FlowKey, _ payload: ByteBuffer, address: SocketAddress, delayMs: Double, site: String, at: ContinuousClock.Instant) {
        enum Next { case send(DelayedSender), queued, open }
        let next: Next = shared.withLock { shared in
            shared.counters.uplink += 1
            shared.lastSeen[flow] = at
            if shared.instanceSite[flow] != site { shared.instanceSite[flow] = site }
            switch shared.upstreams[flow] {
            case .open(_, let sender)?: return .send(sender)
            case .opening(var pending)?:
                pending.append((payload, address, delayMs))
                shared.upstreams[flow] = .opening(pending)
                return .queued
            case nil:
                shared.upstreams[flow] = .opening([(payload, address, delayMs)])
                return .open
            }
        }
        switch next {
        case .send(let sender): sender.send(payload, to: address, afterMs: delayMs)
        case .queued: break
        // Outside the lock: on the gateway's own event loop the bind may complete (and flush the queue) at once.
        case .open: openUpstream(flow)
        }
    }

    func openUpstream(_ flow: FlowKey) {
        // One datagram per read: a flow's socket holds its instance's answer to one datagram at a time, so a second
        // read would only find the socket empty (a system call per answer for nothing).
        let bound = DatagramBootstrap(group: ingress.eventLoop)
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DatagramHandler { [self] envelope in answer(flow, envelope.data) })
                }
            }
            .bind(host: configuration.host, port: 0)
        bound.whenComplete { [self] result in
            switch result {
            case .success(let channel):
                let sender = DelayedSender(channel: channel)
                let pending = shared.withLock { shared -> [(ByteBuffer, SocketAddress, Double)] in
                    guard case .opening(let pending)? = shared.upstreams[flow] else { return [] }
                    shared.upstreams[flow] = .open(channel, sender)
                    return pending
                }
                for (payload, address, delay) in pending { sender.send(payload, to: address, afterMs: delay) }
            case .failure(let error):
                logger.warning("cannot open a socket for a flow", metadata: ["flow": "\(flow)", "error": "\(error)"])
                shared.withLock { $0.upstreams[flow] = nil }
            }
        }
    }

    /// An instance's answer on a flow: back through the tunnel the flow came in, after the inter-site delay.
    func answer(_ flow: FlowKey, _ payload: ByteBuffer) {
        guard let tunnel = core.withLock({ $0.tunnel(of: flow) }) else { return }
        let site = shared.withLock { shared in
            shared.counters.downlink += 1
            return shared.instanceSite[flow] ?? configuration.site
        }
        metrics.flow(flow).downlink.increment()
        let delay = site == configuration.site ? 0 : configuration.oneWayMs(site)
        toPeers.send(GTPU.encapsulate(teid: tunnel.teid, flow: flow.reversed, payload: payload), to: tunnel.peer, afterMs: delay)
    }

    func expire() {
        let now = ContinuousClock.now
        let seen = shared.withLock { $0.lastSeen }
        let (outputs, live) = core.withLock { core in (core.expire(now: now) { seen[$0] }, core.flowKeys) }
        perform(outputs)
        // Flows forgotten as idle give back their sockets.
        let closing: [any Channel] = shared.withLock { shared in
            guard shared.lastSeen.count > live.count else { return [] }
            var closing: [any Channel] = []
            for key in Array(shared.lastSeen.keys) where !live.contains(key) {
                shared.lastSeen[key] = nil
                shared.instanceSite[key] = nil
                if case .open(let channel, _)? = shared.upstreams.removeValue(forKey: key) { closing.append(channel) }
            }
            return closing
        }
        for channel in closing { channel.close(promise: nil) }
    }

    public func stop() async {
        let channels: [any Channel] = shared.withLock { shared in
            shared.upstreams.values.compactMap { if case .open(let channel, _) = $0 { channel } else { nil } }
        }
        for channel in channels { try? await channel.close() }
        try? await tcpListener?.close()
        try? await ingress.close()
    }
}

/// Hands each datagram to a closure on the event loop.
public final class DatagramHandler: ChannelInboundHandler, Sendable {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let receive: @Sendable (AddressedEnvelope<ByteBuffer>) -> Void

    public init(_ receive: @escaping @Sendable (AddressedEnvelope<ByteBuffer>) -> Void) { self.receive = receive }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) { receive(unwrapInboundIn(data)) }
}
