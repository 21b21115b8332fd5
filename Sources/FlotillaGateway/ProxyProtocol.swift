import NIOCore

/// The PROXY protocol v2 header (HAProxy's spec) for TCP over IPv4: how a UPF hands the gateway a UE's TCP connection
/// with the UE's own address and the address it connected to, since the gateway sees only the UPF's socket.
///
///     signature (12) | 0x21 (v2, PROXY) | 0x11 (TCP over IPv4) | length u16 = 12 | src u32 | dst u32 | src port | dst port
public enum ProxyProtocol {
    public static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    public static let ipv4HeaderBytes = 16 + 12

    public static func encode(_ flow: FlowKey, into buffer: inout ByteBuffer) {
        buffer.writeBytes(signature)
        buffer.writeInteger(UInt8(0x21))
        buffer.writeInteger(UInt8(0x11))
        buffer.writeInteger(UInt16(12))
        buffer.writeInteger(flow.srcAddress)
        buffer.writeInteger(flow.dstAddress)
        buffer.writeInteger(flow.srcPort)
        buffer.writeInteger(flow.dstPort)
    }

    public enum Parsed: Equatable {
        /// More bytes are needed.
        case incomplete
        /// Not a PROXY v2 header for TCP over IPv4.
        case invalid
        /// The flow, and how many bytes the header took (any address block beyond IPv4's is skipped).
        case flow(FlowKey, headerBytes: Int)
    }

    public static func parse(_ buffer: ByteBuffer) -> Parsed {
        let start = buffer.readerIndex
        let available = buffer.readableBytes
        let prefix = min(available, signature.count)
        guard buffer.getBytes(at: start, length: prefix) == Array(signature.prefix(prefix)) else { return .invalid }
        guard available >= 16, let length = buffer.getInteger(at: start + 14, as: UInt16.self) else { return .incomplete }
        guard buffer.getInteger(at: start + 12, as: UInt8.self) == 0x21, buffer.getInteger(at: start + 13, as: UInt8.self) == 0x11, length >= 12
        else { return .invalid }
        guard available >= 16 + Int(length), let src = buffer.getInteger(at: start + 16, as: UInt32.self),
              let dst = buffer.getInteger(at: start + 20, as: UInt32.self), let srcPort = buffer.getInteger(at: start + 24, as: UInt16.self),
              let dstPort = buffer.getInteger(at: start + 26, as: UInt16.self) else { return .incomplete }
        return .flow(FlowKey(srcAddress: src, srcPort: srcPort, dstAddress: dst, dstPort: dstPort, proto: 6), headerBytes: 16 + Int(length))
    }
}
