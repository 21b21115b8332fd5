import Foundation
import NIOCore

/// The game's datagram protocol (UDP, big-endian). A player sends its recent unacknowledged inputs every tick — the
/// usual game-netcode redundancy, so a lost datagram costs nothing and inputs stay in order — and the server answers
/// each datagram at once with an acknowledgement that echoes the send time, so the player measures the round trip.
///
///     input datagram:  "FG" 1 | session u32 | sentAtNs u64 | count u8 | count × (seq u32, dx i16, dy i16, action u8)
///     ack datagram:    "FG" 2 | session u32 | sentAtNs u64 | received u32 | applied u32 | status u8 | score u32
///
/// `received` is the highest input seq the server holds with none missing below it; `applied` the highest its
/// 30 Hz tick has applied. `status`: 0 playing, 1 frozen (moving: resend to the new server), 2 released (gone from
/// here), 3 unknown session.
public enum GameProtocol {
    public static let maxInputsPerDatagram = 8

    public struct Input: Sendable, Hashable, Codable {
        public var seq: UInt32
        public var dx: Int16
        public var dy: Int16
        public var action: UInt8

        public init(seq: UInt32, dx: Int16, dy: Int16, action: UInt8) {
            self.seq = seq
            self.dx = dx
            self.dy = dy
            self.action = action
        }

        /// An input on the wire (datagrams and `PlayerState`'s binary form): 9 bytes, seq, dx, dy big-endian, action.
        static let wireSize = 9

        func write(to buffer: inout ByteBuffer) {
            buffer.writeInteger(seq)
            buffer.writeInteger(dx)
            buffer.writeInteger(dy)
            buffer.writeInteger(action)
        }

        /// nil when the buffer ends first.
        static func read(from buffer: inout ByteBuffer) -> Input? {
            guard let seq = buffer.readInteger(as: UInt32.self), let dx = buffer.readInteger(as: Int16.self),
                  let dy = buffer.readInteger(as: Int16.self), let action = buffer.readInteger(as: UInt8.self) else { return nil }
            return Input(seq: seq, dx: dx, dy: dy, action: action)
        }
    }

    public struct InputDatagram: Sendable, Equatable {
        public var session: UInt32
        public var sentAtNs: UInt64
        public var inputs: [Input]

        public init(session: UInt32, sentAtNs: UInt64, inputs: [Input]) {
            self.session = session
            self.sentAtNs = sentAtNs
            self.inputs = inputs
        }
    }

    public enum SessionStatus: UInt8, Sendable {
        case playing = 0, frozen = 1, released = 2, unknown = 3
    }

    public struct Ack: Sendable, Equatable {
        public var session: UInt32
        public var sentAtNs: UInt64
        public var received: UInt32
        public var applied: UInt32
        public var status: SessionStatus
        public var score: UInt32

        public init(session: UInt32, sentAtNs: UInt64, received: UInt32, applied: UInt32, status: SessionStatus, score: UInt32) {
            self.session = session
            self.sentAtNs = sentAtNs
            self.received = received
            self.applied = applied
            self.status = status
            self.score = score
        }
    }

    public static func encode(_ datagram: InputDatagram, into buffer: inout ByteBuffer) {
        buffer.writeBytes([0x46, 0x47, 1])
        buffer.writeInteger(datagram.session)
        buffer.writeInteger(datagram.sentAtNs)
        let inputs = datagram.inputs.prefix(maxInputsPerDatagram)
        buffer.writeInteger(UInt8(inputs.count))
        for input in inputs { input.write(to: &buffer) }
    }

    public static func encode(_ ack: Ack, into buffer: inout ByteBuffer) {
        buffer.writeBytes([0x46, 0x47, 2])
        buffer.writeInteger(ack.session)
        buffer.writeInteger(ack.sentAtNs)
        buffer.writeInteger(ack.received)
        buffer.writeInteger(ack.applied)
        buffer.writeInteger(ack.status.rawValue)
        buffer.writeInteger(ack.score)
    }

    /// Nil for anything that is not a well-formed input datagram (the server drops it).
    public static func decodeInput(_ buffer: ByteBuffer) -> InputDatagram? {
        var buffer = buffer
        guard buffer.readBytes(length: 3) == [0x46, 0x47, 1], let session = buffer.readInteger(as: UInt32.self),
              let sentAt = buffer.readInteger(as: UInt64.self), let count = buffer.readInteger(as: UInt8.self),
              count <= maxInputsPerDatagram else { return nil }
        var inputs: [Input] = []
        for _ in 0..<count {
            guard let input = Input.read(from: &buffer) else { return nil }
            inputs.append(input)
        }
        return InputDatagram(session: session, sentAtNs: sentAt, inputs: inputs)
    }

    public static func decodeAck(_ buffer: ByteBuffer) -> Ack? {
        var buffer = buffer
        guard buffer.readBytes(length: 3) == [0x46, 0x47, 2], let session = buffer.readInteger(as: UInt32.self),
              let sentAt = buffer.readInteger(as: UInt64.self), let received = buffer.readInteger(as: UInt32.self),
              let applied = buffer.readInteger(as: UInt32.self), let raw = buffer.readInteger(as: UInt8.self),
              let status = SessionStatus(rawValue: raw), let score = buffer.readInteger(as: UInt32.self) else { return nil }
        return Ack(session: session, sentAtNs: sentAt, received: received, applied: applied, status: status, score: score)
    }
}
