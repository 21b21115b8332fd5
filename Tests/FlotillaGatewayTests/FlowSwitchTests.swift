import FlotillaAPI
import NIOCore
import Testing
@testable import FlotillaGateway

/// The data gateway's pure parts: the GTP-U codec, which rule decides a flow (table, with the tie-break), and how a
/// flow's packets are held across a move and released in order.
@Suite struct FlowSwitchTests {
    static let ue = IPv4.parse("10.0.0.7")!
    static let vip = IPv4.parse("198.51.100.10")!
    static let flow = FlowKey(srcAddress: ue, srcPort: 40000, dstAddress: vip, dstPort: 7000)

    @Test func gtpuRoundTripsAndRefusesWhatIsNotAUDPGPDU() {
        var payload = ByteBuffer()
        payload.writeString("FG hello")
        let packet = GTPU.encapsulate(teid: 0xBEEF, flow: Self.flow, payload: payload)
        #expect(packet.readableBytes == GTPU.overheadBytes + 8)
        let decoded = GTPU.decapsulate(packet)
        #expect(decoded?.teid == 0xBEEF)
        #expect(decoded?.flow == Self.flow)
        #expect(decoded?.payload == payload)
        // The IPv4 header checksum verifies (summing the header with it gives 0).
        #expect(GTPU.checksum(packet, at: GTPU.headerBytes, bytes: 20) == 0)
        // Optional fields (S set): sequence number, N-PDU, next extension type 0.
        var withSequence = ByteBuffer(bytes: [0x32, 0xFF])
        withSequence.writeInteger(UInt16(packet.readableBytes - 8 + 4))
        withSequence.writeInteger(UInt32(0xBEEF))
        withSequence.writeBytes([0, 1, 0, 0])
        withSequence.writeBytes(packet.getBytes(at: 8, length: packet.readableBytes - 8)!)
        #expect(GTPU.decapsulate(withSequence)?.payload == payload)

        var echo = packet
        echo.setInteger(UInt8(1), at: 1)  // an Echo Request, not a G-PDU
        #expect(GTPU.decapsulate(echo) == nil)
        var tcp = packet
        tcp.setInteger(UInt8(6), at: 8 + 9)
        #expect(GTPU.decapsulate(tcp) == nil)
        #expect(GTPU.decapsulate(packet.getSlice(at: 0, length: packet.readableBytes - 1)!) == nil)
        #expect(GTPU.decapsulate(ByteBuffer(bytes: [0x30, 0xFF, 0, 0])) == nil)
    }

    struct MatchCase: Sendable, CustomStringConvertible {
        var name: String
        var rules: [CompiledRule]
        var expected: String?
        var description: String { name }
    }

    static func rule(_ key: String, _ priority: Int, src: String? = nil, port: String? = nil, _ action: RuleAction = .drop) -> CompiledRule {
        let filter = TrafficFilter(srcAddress: src.map { [$0] }, dstAddress: ["198.51.100.10"], dstPort: port.map { [$0] }, protocol: ["UDP"])
        return CompiledRule(key: key, priority: priority, filters: [CompiledFilter(filter)], action: action)
    }

    static let matchCases: [MatchCase] = [
        MatchCase(name: "no rule", rules: [], expected: nil),
        MatchCase(name: "lowest priority number wins", rules: [rule("a", 20, src: "10.0.0.7"), rule("b", 10)], expected: "b"),
        MatchCase(name: "a source rule beats a general one of a later priority", rules: [rule("a", 5, src: "10.0.0.7"), rule("b", 10)], expected: "a"),
        MatchCase(name: "equal priorities go by key", rules: [rule("z", 10, src: "10.0.0.7"), rule("m", 10, src: "10.0.0.7")], expected: "m"),
        MatchCase(name: "another UE's rule does not match", rules: [rule("a", 10, src: "10.0.0.8")], expected: nil),
        MatchCase(name: "another port does not match", rules: [rule("a", 10, port: "7001")], expected: nil),
        MatchCase(name: "a filterless rule matches everything", rules: [CompiledRule(key: "all", priority: 255, filters: [], action: .passthrough)],
                  expected: "all"),
    ]

    @Test(arguments: matchCases)
    func decidesWhichRuleMatches(_ c: MatchCase) {
        #expect(TrafficRuleTable(c.rules).match(Self.flow)?.key == c.expected)
    }

    @Test func removingARuleTakesItOutOfItsIndex() {
        var table = TrafficRuleTable([Self.rule("a", 10, src: "10.0.0.7"), Self.rule("b", 20)])
        table.remove("a")
        #expect(table.match(Self.flow)?.key == "b")
        table.set(Self.rule("b", 20, src: "10.0.0.9"))
        #expect(table.match(Self.flow) == nil)
    }

    func packet(_ n: UInt8, at: ContinuousClock.Instant = .now) -> FlowSwitch<Int>.Packet {
        FlowSwitch.Packet(peer: 1, teid: 7, flow: Self.flow, payload: ByteBuffer(bytes: [n]), original: ByteBuffer(bytes: [n]), at: at)
    }

    static let atA = RuleAction.forward(host: "127.0.0.1", port: 1000, site: "a", decapsulated: true)
    static let atB = RuleAction.forward(host: "127.0.0.1", port: 2000, site: "b", decapsulated: true)

    func sent(_ outputs: [FlowSwitch<Int>.Output]) -> [(UInt8, RuleAction)] {
        outputs.compactMap { if case .send(let p, _, let action) = $0 { (p.payload.getInteger(at: 0)!, action) } else { nil } }
    }

    @Test func aMoveHoldsTheFlowThenReleasesItInOrderToTheTarget() {
        var core = FlowSwitch<Int>(table: TrafficRuleTable([Self.rule("s", 10, src: "10.0.0.7", Self.atA)]))
        #expect(sent([core.uplink(packet(1))]).map(\.1) == [Self.atA])
        #expect(core.tunnel(of: Self.flow)?.teid == 7)
        // Freeze: the rule buffers; packets queue.
        #expect(core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer)).isEmpty)
        for n: UInt8 in 2...4 { if case .held = core.uplink(packet(n)) {} else { Issue.record("packet \(n) not held") } }
        #expect(core.heldCount == 3)
        // Resume at the target: everything held leaves, in order, to the target.
        let released = sent(core.set(Self.rule("s", 10, src: "10.0.0.7", Self.atB)))
        #expect(released.map(\.0) == [2, 3, 4])
        #expect(released.allSatisfy { $0.1 == Self.atB })
        #expect(sent([core.uplink(packet(5))]).map(\.1) == [Self.atB])
        #expect(core.heldCount == 0)
    }

    /// A flow that keeps a pace (a packet every 33 ms): the hold waits for its next packet, which still goes to the
    /// source, and holds from then on; the target's rule then finds nothing held when the move fits in the gap.
    @Test func aHoldOfAPacedFlowBeginsRightAfterItsNextPacket() {
        var core = FlowSwitch<Int>(table: TrafficRuleTable([Self.rule("s", 10, src: "10.0.0.7", Self.atA)]))
        let start = ContinuousClock.now
        for n: UInt8 in 0...3 { _ = core.uplink(packet(n, at: start + .milliseconds(33 * Int(n)))) }
        // The hold comes 10 ms after packet 3; packet 4 is due at 132 ms.
        let holdAt = start + .milliseconds(109)
        #expect(core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer), now: holdAt).isEmpty)
        let pending = core.pendingHolds["s"]
        #expect(pending != nil)
        // Bounded by half a gap past the due time (132 + 16.5 ms), within holdAlignment (50 ms) of the hold.
        #expect(pending.map { $0.deadline - start } == .microseconds(148_500))
        // The same hold again (its status written) keeps waiting as it was.
        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer), now: holdAt + .milliseconds(5))
        #expect(core.pendingHolds["s"]?.deadline == pending?.deadline)
        // Packet 4 goes to the source, and the hold begins behind it.
        guard case .sendThenHold(let p4, let rule, let action) = core.uplink(packet(4, at: start + .milliseconds(132))) else {
            Issue.record("packet 4 did not begin the hold")
            return
        }
        #expect(p4.payload.getInteger(at: 0) == UInt8(4))
        #expect(rule.key == "s" && action == Self.atA)
        #expect(core.pendingHolds.isEmpty)
        if case .held = core.uplink(packet(5, at: start + .milliseconds(165))) {} else { Issue.record("packet 5 not held") }
        #expect(sent(core.set(Self.rule("s", 10, src: "10.0.0.7", Self.atB), now: start + .milliseconds(170))).map(\.0) == [5])
    }

    struct PendingCase: Sendable, CustomStringConvertible {
        var name: String
        /// Packet times (ms) before the hold.
        var packets: [Int]
        var holdAtMs: Int
        var alignment: Duration = .milliseconds(50)
        /// The pending hold's deadline (ms from the first packet), or nil when the hold begins at once.
        var deadlineMs: Double?
        var description: String { name }
    }

    static let pendingCases: [PendingCase] = [
        PendingCase(name: "one packet is no pace yet", packets: [0], holdAtMs: 10, deadlineMs: nil),
        PendingCase(name: "a paced flow waits for its next packet", packets: [0, 33, 66], holdAtMs: 70, deadlineMs: 115.5),
        PendingCase(name: "at most holdAlignment", packets: [0, 100, 200], holdAtMs: 210, deadlineMs: 260),
        PendingCase(name: "a flow already half a gap late holds at once", packets: [0, 33, 66], holdAtMs: 120, deadlineMs: nil),
        PendingCase(name: "no alignment: holds at once", packets: [0, 33, 66], holdAtMs: 70, alignment: .zero, deadlineMs: nil),
    ]

    @Test(arguments: pendingCases)
    func whenAHoldBegins(_ c: PendingCase) {
        var core = FlowSwitch<Int>(table: TrafficRuleTable([Self.rule("s", 10, src: "10.0.0.7", Self.atA)]),
                                   limits: .init(holdAlignment: c.alignment))
        let start = ContinuousClock.now
        for (n, ms) in c.packets.enumerated() { _ = core.uplink(packet(UInt8(n), at: start + .milliseconds(ms))) }
        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer), now: start + .milliseconds(c.holdAtMs))
        #expect(core.pendingHolds["s"].map { Double(($0.deadline - start).components.attoseconds) / 1e15 + Double(($0.deadline - start).components.seconds) * 1000 }
                == c.deadlineMs)
    }

    /// No packet by the bound: the hold begins then. A new version before that ends the wait too.
    @Test func aPendingHoldEndsAtItsBoundOrWithANewVersion() {
        var core = FlowSwitch<Int>(table: TrafficRuleTable([Self.rule("s", 10, src: "10.0.0.7", Self.atA)]))
        let start = ContinuousClock.now
        for n: UInt8 in 0...2 { _ = core.uplink(packet(n, at: start + .milliseconds(33 * Int(n)))) }
        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer), now: start + .milliseconds(70))
        #expect(core.beginDueHolds(now: start + .milliseconds(100)).isEmpty)
        let ended = core.beginDueHolds(now: start + .milliseconds(116))
        guard case .pendingHoldEnded(let rule)? = ended.first else {
            Issue.record("the hold did not begin at its bound")
            return
        }
        #expect(rule == "s" && ended.count == 1)
        if case .held = core.uplink(packet(3, at: start + .milliseconds(120))) {} else { Issue.record("packet 3 not held") }

        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", Self.atA), now: start + .milliseconds(130))
        for n: UInt8 in 4...5 { _ = core.uplink(packet(n, at: start + .milliseconds(120 + 33 * Int(n - 3)))) }
        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer), now: start + .milliseconds(190))
        #expect(core.pendingHolds["s"] != nil)
        let replaced = core.set(Self.rule("s", 10, src: "10.0.0.7", Self.atB), now: start + .milliseconds(195))
        guard case .pendingHoldEnded("s")? = replaced.first else {
            Issue.record("a new version did not end the wait")
            return
        }
        #expect(sent([core.uplink(packet(6, at: start + .milliseconds(219)))]).map(\.1) == [Self.atB])
    }

    /// Idle flows are forgotten (looked for once a second) with their index entries: a hold of the UE's rule then
    /// finds no paced flow and begins at once; another UE's flows never count for it.
    @Test func idleFlowsAreForgottenAndAHoldLooksOnlyAtItsUEsFlows() {
        var core = FlowSwitch<Int>(table: TrafficRuleTable([Self.rule("s", 10, src: "10.0.0.7", Self.atA)]))
        let other = FlowKey(srcAddress: IPv4.parse("10.0.0.8")!, srcPort: 40000, dstAddress: Self.vip, dstPort: 7000)
        let start = ContinuousClock.now
        for n in 0..<3 {
            _ = core.uplink(FlowSwitch.Packet(peer: 1, teid: 8, flow: other, payload: ByteBuffer(bytes: [0]), original: ByteBuffer(bytes: [0]),
                                              at: start + .milliseconds(33 * n)))
        }
        // Only the other UE keeps a pace: the hold begins at once.
        _ = core.uplink(packet(1, at: start))
        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", .buffer), now: start + .milliseconds(70))
        #expect(core.pendingHolds.isEmpty)
        #expect(core.bySource.keys.sorted() == [Self.ue, other.srcAddress].sorted())
        _ = core.set(Self.rule("s", 10, src: "10.0.0.7", Self.atA), now: start + .milliseconds(71))

        let seen: [FlowKey: ContinuousClock.Instant] = [Self.flow: start, other: start + .seconds(5)]
        _ = core.expire(now: start + .seconds(6), idle: .seconds(3)) { seen[$0] }
        #expect(core.flowKeys == [other])
        #expect(core.bySource[Self.ue] == nil)
        // Within the second, nothing more is forgotten; after it, the other flow goes too.
        _ = core.expire(now: start + .seconds(6.5), idle: .seconds(1)) { seen[$0] }
        #expect(core.flowCount == 1)
        _ = core.expire(now: start + .seconds(7.1), idle: .seconds(1)) { seen[$0] }
        #expect(core.flowCount == 0 && core.bySource.isEmpty)
    }

    @Test func aHoldIsBoundedInPacketsAndTime() {
        var core = FlowSwitch<Int>(table: TrafficRuleTable([Self.rule("s", 10, src: "10.0.0.7", .buffer)]),
                                   limits: .init(maxHeldPackets: 2, maxHold: .milliseconds(100)))
        let start = ContinuousClock.now
        _ = core.uplink(packet(1, at: start))
        _ = core.uplink(packet(2, at: start + .milliseconds(80)))
        guard case .dropped(_, _, .holdFull) = core.uplink(packet(3, at: start + .milliseconds(90))) else {
            Issue.record("a third packet went past the bound")
            return
        }
        let expired = core.expire(now: start + .milliseconds(150)) { _ in start }
        #expect(expired.count == 1)
        #expect(core.heldCount == 1)
        // A rule that now drops drops what was held; no rule at all passes it through.
        #expect(sent(core.remove(rule: "s")).map(\.1) == [.passthrough])
    }

    @Test func flowsNoRuleMatchesPassThroughAndDropRulesDrop() {
        var core = FlowSwitch<Int>()
        #expect(sent([core.uplink(packet(1))]).map(\.1) == [.passthrough])
        _ = core.set(Self.rule("d", 10))
        if case .dropped(_, let rule, .rule) = core.uplink(packet(2)) { #expect(rule == "d") } else { Issue.record("not dropped") }
    }
}
