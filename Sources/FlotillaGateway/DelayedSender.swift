import NIOCore
import Synchronization

/// Sends datagrams on a channel after a delay, in batches: datagrams due within the same quarter millisecond are
/// written together and flushed once, so the kernel sees one vectored send (sendmmsg) instead of one per datagram.
/// A quarter millisecond is well below the jitter the access network model gives any round trip.
public final class DelayedSender: Sendable {
    static let bucketNs: Int64 = 250_000
    public let channel: any Channel
    private let due = Mutex<[Int64: [AddressedEnvelope<ByteBuffer>]]>([:])

    public init(channel: any Channel) { self.channel = channel }

    /// `afterMs` 0 or less writes at once.
    public func send(_ data: ByteBuffer, to address: SocketAddress, afterMs: Double) {
        guard afterMs > 0 else { return sendNow(data, to: address) }
        let delayNs = Int64(max(0, afterMs) * 1_000_000)
        let at = NIODeadline.now() + .nanoseconds(delayNs)
        let bucket = (at.uptimeNanoseconds.asInt64 + Self.bucketNs - 1) / Self.bucketNs
        let first = due.withLock { due in
            let first = due[bucket] == nil
            due[bucket, default: []].append(AddressedEnvelope(remoteAddress: address, data: data))
            return first
        }
        guard first else { return }
        let channel = self.channel
        channel.eventLoop.scheduleTask(deadline: .uptimeNanoseconds(UInt64(bucket * Self.bucketNs))) { [self] in
            let batch = due.withLock { $0.removeValue(forKey: bucket) } ?? []
            for envelope in batch { channel.write(envelope, promise: nil) }
            channel.flush()
        }
    }
}

extension DelayedSender {
    public func sendNow(_ data: ByteBuffer, to address: SocketAddress) {
        channel.writeAndFlush(AddressedEnvelope(remoteAddress: address, data: data), promise: nil)
    }
}

extension UInt64 {
    var asInt64: Int64 { Int64(clamping: self) }
}
