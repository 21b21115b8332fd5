import Foundation
import NIOCore

/// A checkpoint batch's binary form, what `SessionKeeper` sends (`Content-Type: application/vnd.flotilla.checkpoints`).
/// JSON would carry each state as base64 inside a document that the standby has to scan; this is the states' bytes
/// between length fields. All integers are big-endian:
///
///     "FCK1"  u32 count
///     count × { u16 session length, session (UTF-8), i64 epoch, i64 version, u32 state length, state }
///
/// The route takes the JSON form too (`Content-Type: application/json`), for hand-written clients. It answers a batch in
/// the form it came in: the binary answer (`application/vnd.flotilla.checkpoint-results`) is
///
///     "FCR1"  u32 count
///     count × { u16 session length, session (UTF-8), u8 result (0 accepted, 1 stale, 2 fenced, 3 refused),
///               u16 message length, message (UTF-8) }
extension CheckpointBatch {
    public static let binaryContentType = "application/vnd.flotilla.checkpoints"
    static let magic: [UInt8] = Array("FCK1".utf8)

    public func binary() -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(8 + checkpoints.reduce(0) { $0 + 22 + $1.session.utf8.count + $1.state.count })
        buffer.writeBytes(Self.magic)
        buffer.writeInteger(UInt32(checkpoints.count))
        for item in checkpoints {
            let session = Array(item.session.utf8.prefix(Int(UInt16.max)))
            buffer.writeInteger(UInt16(session.count))
            buffer.writeBytes(session)
            buffer.writeInteger(Int64(item.epoch))
            buffer.writeInteger(Int64(item.version))
            buffer.writeInteger(UInt32(item.state.count))
            buffer.writeBytes(item.state)
        }
        return buffer
    }

    /// nil when the bytes are not a whole batch (truncated, trailing bytes, another format).
    public init?(binary: ByteBuffer) {
        var buffer = binary
        guard buffer.readBytes(length: 4) == Self.magic, let count = buffer.readInteger(as: UInt32.self) else { return nil }
        var items: [Item] = []
        // Each item takes at least 22 bytes: a count beyond what the body can hold is a lie, not a reservation.
        items.reserveCapacity(min(Int(count), buffer.readableBytes / 22))
        for _ in 0..<count {
            guard let sessionLength = buffer.readInteger(as: UInt16.self),
                  let session = buffer.readString(length: Int(sessionLength)),
                  let epoch = buffer.readInteger(as: Int64.self),
                  let version = buffer.readInteger(as: Int64.self),
                  let stateLength = buffer.readInteger(as: UInt32.self),
                  let state = buffer.readBytes(length: Int(stateLength))
            else { return nil }
            items.append(Item(session: session, epoch: Int(epoch), version: Int(version), state: Data(state)))
        }
        guard buffer.readableBytes == 0 else { return nil }
        self.init(checkpoints: items)
    }
}

extension CheckpointBatch.Result {
    public static let binaryContentType = "application/vnd.flotilla.checkpoint-results"
    static let magic: [UInt8] = Array("FCR1".utf8)
    static let kinds = [CheckpointBatch.ResultKind.accepted, CheckpointBatch.ResultKind.stale, CheckpointBatch.ResultKind.fenced,
                        CheckpointBatch.ResultKind.refused]

    /// The binary answer to a binary batch.
    public static func binary(_ results: [Self]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeBytes(magic)
        buffer.writeInteger(UInt32(results.count))
        for result in results {
            let session = Array(result.session.utf8.prefix(Int(UInt16.max)))
            buffer.writeInteger(UInt16(session.count))
            buffer.writeBytes(session)
            buffer.writeInteger(UInt8(kinds.firstIndex(of: result.result) ?? 3))
            let message = Array((result.message ?? "").utf8.prefix(Int(UInt16.max)))
            buffer.writeInteger(UInt16(message.count))
            buffer.writeBytes(message)
        }
        return buffer
    }

    /// nil when the bytes are not a whole answer (truncated, trailing bytes, an unknown result).
    public static func results(binary: ByteBuffer) -> [Self]? {
        var buffer = binary
        guard buffer.readBytes(length: 4) == magic, let count = buffer.readInteger(as: UInt32.self) else { return nil }
        var results: [Self] = []
        // Each result takes at least 5 bytes: a count beyond what the body can hold is a lie.
        results.reserveCapacity(min(Int(count), buffer.readableBytes / 5))
        for _ in 0..<count {
            guard let sessionLength = buffer.readInteger(as: UInt16.self),
                  let session = buffer.readString(length: Int(sessionLength)),
                  let kind = buffer.readInteger(as: UInt8.self), Int(kind) < kinds.count,
                  let messageLength = buffer.readInteger(as: UInt16.self),
                  let message = buffer.readString(length: Int(messageLength))
            else { return nil }
            results.append(.init(session: session, result: kinds[Int(kind)], message: message.isEmpty ? nil : message))
        }
        guard buffer.readableBytes == 0 else { return nil }
        return results
    }
}
