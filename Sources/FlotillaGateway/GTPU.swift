import FlotillaAPI
import NIOCore

/// A flow's 5-tuple as the inner IPv4 header gives it.
public struct FlowKey: Hashable, Sendable, CustomStringConvertible {
    public var srcAddress: UInt32
    public var srcPort: UInt16
    public var dstAddress: UInt32
    public var dstPort: UInt16
    /// IP protocol number: 17 UDP, 6 TCP.
    public var proto: UInt8

    public init(srcAddress: UInt32, srcPort: UInt16, dstAddress: UInt32, dstPort: UInt16, proto: UInt8 = 17) {
        self.srcAddress = srcAddress
        self.srcPort = srcPort
        self.dstAddress = dstAddress
        self.dstPort = dstPort
        self.proto = proto
    }

    public var protocolName: String { proto == 17 ? "UDP" : proto == 6 ? "TCP" : "\(proto)" }

    /// `udp 10.0.0.7:40000→198.51.100.10:7000`.
    public var description: String {
        "\(protocolName.lowercased()) \(IPv4.format(srcAddress)):\(srcPort)→\(IPv4.format(dstAddress)):\(dstPort)"
    }

    /// The answer's flow: the same two ends, the other way.
    public var reversed: FlowKey { FlowKey(srcAddress: dstAddress, srcPort: dstPort, dstAddress: srcAddress, dstPort: srcPort, proto: proto) }
}

/// GTP-U (3GPP TS 29.281) G-PDUs carrying IPv4/UDP, as a UPF hands a UE's user plane to a MEC data plane on N9 (or
/// an S1-U bump in the wire) and takes the answers back:
///
///     GTP-U  0x30 | 0xFF (G-PDU) | length u16 | TEID u32 [| seq u16, N-PDU u8, next ext u8 when E, S or PN is set]
///     IPv4   0x45 | tos | total length | id | flags+offset | ttl | proto 17 | header checksum | src | dst
///     UDP    src port | dst port | length | checksum (0: none, which IPv4 allows)
///
/// Decoding accepts optional fields and extension headers and IPv4 options; anything else (another message type, a
/// fragment, a protocol other than UDP, lengths that do not add up) is not a G-PDU it can forward and decodes to nil.
public enum GTPU {
    public static let headerBytes = 8
    public static let overheadBytes = 8 + 20 + 8
    /// The registered port of GTP-U.
    public static let port = 2152

    public struct Packet: Sendable {
        public var teid: UInt32
        public var flow: FlowKey
        public var payload: ByteBuffer
    }

    public static func encapsulate(teid: UInt32, flow: FlowKey, payload: ByteBuffer, into buffer: inout ByteBuffer) {
        let udpLength = 8 + payload.readableBytes
        let ipLength = 20 + udpLength
        buffer.reserveCapacity(minimumWritableBytes: headerBytes + ipLength)
        buffer.writeInteger(UInt8(0x30))
        buffer.writeInteger(UInt8(0xFF))
        buffer.writeInteger(UInt16(truncatingIfNeeded: ipLength))
        buffer.writeInteger(teid)
        let ipStart = buffer.writerIndex
        buffer.writeInteger(UInt8(0x45))
        buffer.writeInteger(UInt8(0))
        buffer.writeInteger(UInt16(truncatingIfNeeded: ipLength))
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(UInt16(0x4000))  // don't fragment
        buffer.writeInteger(UInt8(64))
        buffer.writeInteger(flow.proto)
        buffer.writeInteger(UInt16(0))
        buffer.writeInteger(flow.srcAddress)
        buffer.writeInteger(flow.dstAddress)
        buffer.setInteger(checksum(buffer, at: ipStart, bytes: 20), at: ipStart + 10)
        buffer.writeInteger(flow.srcPort)
        buffer.writeInteger(flow.dstPort)
        buffer.writeInteger(UInt16(truncatingIfNeeded: udpLength))
        buffer.writeInteger(UInt16(0))
        var payload = payload
        buffer.writeBuffer(&payload)
    }

    public static func encapsulate(teid: UInt32, flow: FlowKey, payload: ByteBuffer) -> ByteBuffer {
        var buffer = ByteBuffer()
        encapsulate(teid: teid, flow: flow, payload: payload, into: &buffer)
        return buffer
    }

    public static func decapsulate(_ buffer: ByteBuffer) -> Packet? {
        let start = buffer.readerIndex
        guard buffer.readableBytes >= headerBytes + 28,
              let flags = buffer.getInteger(at: start, as: UInt8.self), flags >> 5 == 1, flags & 0x10 != 0,
              buffer.getInteger(at: start + 1, as: UInt8.self) == 0xFF,
              let length = buffer.getInteger(at: start + 2, as: UInt16.self), Int(length) == buffer.readableBytes - headerBytes,
              let teid = buffer.getInteger(at: start + 4, as: UInt32.self) else { return nil }
        var offset = start + headerBytes
        if flags & 0x07 != 0 {
            guard var next = buffer.getInteger(at: offset + 3, as: UInt8.self) else { return nil }
            offset += 4
            while flags & 0x04 != 0 && next != 0 {
                // Each extension header: length in 4-byte units, content, next type in its last byte.
                guard let units = buffer.getInteger(at: offset, as: UInt8.self), units > 0,
                      let following = buffer.getInteger(at: offset + Int(units) * 4 - 1, as: UInt8.self) else { return nil }
                offset += Int(units) * 4
                next = following
            }
        }
        let end = start + buffer.readableBytes
        guard end - offset >= 28, let versionIHL = buffer.getInteger(at: offset, as: UInt8.self), versionIHL >> 4 == 4,
              let total = buffer.getInteger(at: offset + 2, as: UInt16.self), offset + Int(total) <= end,
              let fragment = buffer.getInteger(at: offset + 6, as: UInt16.self), fragment & 0x3FFF == 0,
              let proto = buffer.getInteger(at: offset + 9, as: UInt8.self), proto == 17,
              let src = buffer.getInteger(at: offset + 12, as: UInt32.self), let dst = buffer.getInteger(at: offset + 16, as: UInt32.self)
        else { return nil }
        let ihl = Int(versionIHL & 0x0F) * 4
        let udp = offset + ihl
        guard ihl >= 20, udp + 8 <= offset + Int(total),
              let srcPort = buffer.getInteger(at: udp, as: UInt16.self), let dstPort = buffer.getInteger(at: udp + 2, as: UInt16.self),
              let udpLength = buffer.getInteger(at: udp + 4, as: UInt16.self), udpLength >= 8, udp + Int(udpLength) <= offset + Int(total),
              let payload = buffer.getSlice(at: udp + 8, length: Int(udpLength) - 8) else { return nil }
        return Packet(teid: teid, flow: FlowKey(srcAddress: src, srcPort: srcPort, dstAddress: dst, dstPort: dstPort, proto: proto), payload: payload)
    }

    /// The Internet checksum (RFC 1071) of `bytes` bytes at `index`.
    static func checksum(_ buffer: ByteBuffer, at index: Int, bytes: Int) -> UInt16 {
        var sum: UInt32 = 0
        for i in stride(from: index, to: index + bytes, by: 2) { sum &+= UInt32(buffer.getInteger(at: i, as: UInt16.self) ?? 0) }
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(sum)
    }
}
