import Foundation

/// A session's state as it travels between instances (export and import, checkpoints to a standby copy): bytes the
/// app chooses, opaque to Flotilla. A Codable state travels as JSON by declaring the conformance; a state on a hot
/// path (a game's, checkpointed every 100 ms for every protected player) gives a compact form of its own.
public protocol TransferableState: Sendable {
    func transferBytes() throws -> Data
    init(transferBytes: Data) throws
}

extension TransferableState where Self: Codable {
    public func transferBytes() throws -> Data { try JSONEncoder().encode(self) }
    public init(transferBytes data: Data) throws { self = try JSONDecoder().decode(Self.self, from: data) }
}
