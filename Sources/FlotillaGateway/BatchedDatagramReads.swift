import NIOCore
import NIOPosix

extension DatagramBootstrap {
    /// Reads up to `messages` datagrams per system call (recvmmsg on Linux) instead of one, each up to
    /// `maxDatagramBytes` (NIO's default receive buffer for a datagram channel is 2048 bytes, so that limit is the same
    /// as before). For sockets that many peers send to: a gateway's ingress, a game server, the demo's players.
    public func readingInBatches(of messages: Int = 16, maxDatagramBytes: Int = 2048) -> DatagramBootstrap {
        channelOption(.datagramVectorReadMessageCount, value: messages)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: messages * maxDatagramBytes))
    }
}
