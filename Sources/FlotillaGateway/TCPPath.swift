import NIOCore
import NIOPosix

/// TCP through the data gateway. A UPF opens one TCP connection per UE connection and starts it with a PROXY v2 header
/// naming the UE's address and the app's; the gateway matches that flow (protocol TCP) against the rules and splices the
/// connection to the rule's instance. A connection stays with the instance it was spliced to (a TCP stream cannot move:
/// the app's state for it is in the instance's socket); a rule change applies to the next connection. While the rule
/// says BUFFER, a new connection waits (its first bytes kept) until the rule forwards, up to the hold bound; DROP,
/// PASSTHROUGH and no rule close it.
extension EdgeDataGateway {
    static func bindTCP(host: String, port: Int, on eventLoop: any EventLoop, gateway: @escaping @Sendable () -> EdgeDataGateway?) async throws -> any Channel {
        try await ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let gateway = gateway() else { throw ChannelError.ioOnClosedChannel }
                    try channel.pipeline.syncOperations.addHandler(TCPIngressHandler(gateway: gateway))
                }
            }
            .bind(host: host, port: port).get()
    }

    /// The rule deciding a TCP flow now.
    func match(_ flow: FlowKey) -> CompiledRule? { core.withLock { $0.table.match(flow) } }

    func countConnection(_ flow: FlowKey, rule: CompiledRule?, action: String) {
        metrics.flow(flow).uplink.increment()
        if let rule { metrics.rule(rule.key, action).increment() }
    }
}

/// Reads the PROXY header, waits out a BUFFER rule, connects to the instance and hands both channels to `GlueHandler`.
final class TCPIngressHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    enum State { case header, waiting(FlowKey, since: NIODeadline), connecting, spliced }

    let gateway: EdgeDataGateway
    var state = State.header
    var buffered = ByteBuffer()

    init(gateway: EdgeDataGateway) { self.gateway = gateway }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        buffered.writeBuffer(&bytes)
        guard case .header = state else { return }
        switch ProxyProtocol.parse(buffered) {
        case .incomplete: return
        case .invalid:
            gateway.metrics.malformed.increment()
            context.close(promise: nil)
        case .flow(let flow, let headerBytes):
            buffered.moveReaderIndex(forwardBy: headerBytes)
            decide(context: context, flow: flow, since: .now())
        }
    }

    func decide(context: ChannelHandlerContext, flow: FlowKey, since: NIODeadline) {
        let rule = gateway.match(flow)
        switch rule?.action {
        case .forward?:
            guard let destination = rule?.destination else { return refuse(context: context, flow: flow, rule: rule, reason: "bad-destination") }
            gateway.countConnection(flow, rule: rule, action: rule?.action.name ?? "")
            connect(context: context, to: destination)
        case .buffer?:
            let limit = gateway.configuration.limits.maxHold
            guard NIODeadline.now() - since < .nanoseconds(Int64(limit.components.seconds) * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000) else {
                return refuse(context: context, flow: flow, rule: rule, reason: FlowSwitch<SocketAddress>.DropReason.holdExpired.rawValue)
            }
            if case .header = state { gateway.countConnection(flow, rule: rule, action: "BUFFER") }
            state = .waiting(flow, since: since)
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            context.eventLoop.scheduleTask(in: .milliseconds(2)) {
                let (handler, context) = bound.value
                guard context.channel.isActive else { return }
                handler.decide(context: context, flow: flow, since: since)
            }
        case .drop?:
            refuse(context: context, flow: flow, rule: rule, reason: "rule")
        case .passthrough?, nil:
            refuse(context: context, flow: flow, rule: rule, reason: "no-route")
        }
    }

    func refuse(context: ChannelHandlerContext, flow: FlowKey, rule: CompiledRule?, reason: String) {
        gateway.metrics.dropped(reason).increment()
        gateway.metrics.flow(flow).dropped.increment()
        gateway.shared.withLock { $0.counters.dropped += 1 }
        context.close(promise: nil)
    }

    func connect(context: ChannelHandlerContext, to destination: SocketAddress) {
        state = .connecting
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        ClientBootstrap(group: context.eventLoop)
            .connectTimeout(.seconds(3))
            .connect(to: destination)
            .whenComplete { result in
                let (handler, context) = bound.value
                switch result {
                case .success(let upstream):
                    handler.splice(context: context, upstream: upstream)
                case .failure:
                    handler.gateway.metrics.dropped("connect-failed").increment()
                    context.close(promise: nil)
                }
            }
    }

    func splice(context: ChannelHandlerContext, upstream: any Channel) {
        state = .spliced
        let (local, remote) = GlueHandler.pair()
        do {
            try upstream.pipeline.syncOperations.addHandler(remote)
            try context.pipeline.syncOperations.addHandler(local, position: .after(self))
        } catch {
            upstream.close(promise: nil)
            context.close(promise: nil)
            return
        }
        if buffered.readableBytes > 0 { upstream.writeAndFlush(buffered, promise: nil) }
        buffered = ByteBuffer()
        context.pipeline.syncOperations.removeHandler(self, promise: nil)
        if !context.channel.isActive { upstream.close(promise: nil) }
    }
}

/// Two channels on one event loop glued together (NIO's connect-proxy example): what one reads the other writes, reads
/// pause while the other cannot write, and a close on either side closes both.
final class GlueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    var partner: GlueHandler?
    var context: ChannelHandlerContext?
    var pendingRead = false

    static func pair() -> (GlueHandler, GlueHandler) {
        let first = GlueHandler(), second = GlueHandler()
        first.partner = second
        second.partner = first
        return (first, second)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { partner?.context?.write(data, promise: nil) }

    func channelReadComplete(context: ChannelHandlerContext) { partner?.context?.flush() }

    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let partner, partner.pendingRead {
            partner.pendingRead = false
            partner.context?.read()
        }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.context?.channel.isWritable ?? false {
            context.read()
        } else {
            pendingRead = true
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}
