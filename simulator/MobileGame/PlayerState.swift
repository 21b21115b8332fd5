import FlotillaAppKit
import Foundation
import NIOCore

/// One player's session on the game server: what moves with the player when the session migrates. Realistic size:
/// the position, score and inventory, the inputs received but not yet applied, and the last 64 applied (for lag
/// compensation and replays) — about 2.6 KB. It travels in a binary form (`transferBytes`): a checkpoint every 100 ms
/// for every protected player is the game's busiest path after the datagrams, and as JSON (with the inputs packed)
/// it took a tenth of two cores at 200 players.
public struct PlayerState: Sendable, Equatable {
    public var x: Double = 0
    public var y: Double = 0
    public var score: UInt32 = 0
    public var inventory: [String] = []
    /// Highest input seq held with none missing below it.
    public var received: UInt32 = 0
    /// Highest input seq applied by the tick.
    public var applied: UInt32 = 0
    public var pending: [GameProtocol.Input] = []
    public var recent: [GameProtocol.Input] = []
    /// Inputs the player sent and saw acknowledged that a promotion lost (the standby copy was older).
    public var lostInputs: UInt32 = 0

    public static let recentLimit = 64
    public static let arena = 1000.0

    public init(inventorySize: Int = 24) {
        inventory = (0..<inventorySize).map { "item-\($0)-" + String(repeating: "•", count: 24) }
    }

    /// Takes the inputs that continue the sequence; duplicates and inputs beyond a hole are ignored (the player
    /// resends them). Returns how many were new.
    @discardableResult
    public mutating func receive(_ inputs: [GameProtocol.Input]) -> Int {
        var taken = 0
        for input in inputs.sorted(by: { $0.seq < $1.seq }) where input.seq == received &+ 1 {
            pending.append(input)
            received = input.seq
            taken += 1
        }
        return taken
    }

    /// When the player's inputs start past what this copy received (after a promotion from a standby copy, or an old
    /// primary's acknowledgements): the player resends only what it has not seen acknowledged, so the sequence
    /// continues from its first input, and what lies between is lost (counted in `lostInputs`). Nothing otherwise.
    public mutating func resynchronize(to inputs: [GameProtocol.Input]) {
        guard let first = inputs.lazy.map(\.seq).min(), first > received &+ 1 else { return }
        lostInputs &+= first - 1 - received
        received = first - 1
        applied = max(applied, received)
    }

    /// The server tick: applies every pending input in order.
    public mutating func tick() {
        for input in pending {
            x = min(Self.arena, max(0, x + Double(input.dx) / 10))
            y = min(Self.arena, max(0, y + Double(input.dy) / 10))
            if input.action == 1 { score &+= 1 }
            if input.action == 2, !inventory.isEmpty { inventory.append(inventory.removeFirst()) }
            recent.append(input)
            applied = input.seq
        }
        pending.removeAll(keepingCapacity: true)
        if recent.count > Self.recentLimit { recent.removeFirst(recent.count - Self.recentLimit) }
    }
}

/// The binary form, big-endian:
///
///     "PS1"  f64 x, f64 y  u32 score, received, applied, lostInputs
///     u16 count × { u16 length, UTF-8 }                       inventory
///     u16 count × { u32 seq, i16 dx, i16 dy, u8 action }      pending, then recent
extension PlayerState: TransferableState {
    static let magic: [UInt8] = Array("PS1".utf8)

    public func transferBytes() throws -> Data {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(64 + inventory.reduce(0) { $0 + 2 + $1.utf8.count } + (pending.count + recent.count) * GameProtocol.Input.wireSize)
        buffer.writeBytes(Self.magic)
        buffer.writeInteger(x.bitPattern)
        buffer.writeInteger(y.bitPattern)
        for value in [score, received, applied, lostInputs] { buffer.writeInteger(value) }
        guard inventory.count <= Int(UInt16.max), pending.count <= Int(UInt16.max), recent.count <= Int(UInt16.max) else {
            throw PlayerStateError.tooLarge
        }
        buffer.writeInteger(UInt16(inventory.count))
        for item in inventory {
            let bytes = Array(item.utf8)
            guard bytes.count <= Int(UInt16.max) else { throw PlayerStateError.tooLarge }
            buffer.writeInteger(UInt16(bytes.count))
            buffer.writeBytes(bytes)
        }
        for inputs in [pending, recent] {
            buffer.writeInteger(UInt16(inputs.count))
            for input in inputs { input.write(to: &buffer) }
        }
        return Data(buffer.readableBytesView)
    }

    public init(transferBytes data: Data) throws {
        var buffer = ByteBuffer(bytes: data)
        func read<T: FixedWidthInteger>(_: T.Type = T.self) throws -> T {
            guard let value = buffer.readInteger(as: T.self) else { throw PlayerStateError.truncated }
            return value
        }
        guard buffer.readBytes(length: Self.magic.count) == Self.magic else { throw PlayerStateError.notAPlayerState }
        self.init(inventorySize: 0)
        x = Double(bitPattern: try read())
        y = Double(bitPattern: try read())
        score = try read()
        received = try read()
        applied = try read()
        lostInputs = try read()
        for _ in 0..<(try read(UInt16.self)) {
            guard let item = buffer.readString(length: Int(try read(UInt16.self))) else { throw PlayerStateError.truncated }
            inventory.append(item)
        }
        for path in [\PlayerState.pending, \PlayerState.recent] {
            let count = Int(try read(UInt16.self))
            guard buffer.readableBytes >= count * GameProtocol.Input.wireSize else { throw PlayerStateError.truncated }
            var inputs: [GameProtocol.Input] = []
            inputs.reserveCapacity(count)
            for _ in 0..<count {
                guard let input = GameProtocol.Input.read(from: &buffer) else { throw PlayerStateError.truncated }
                inputs.append(input)
            }
            self[keyPath: path] = inputs
        }
        guard buffer.readableBytes == 0 else { throw PlayerStateError.trailingBytes }
    }
}

enum PlayerStateError: Error, CustomStringConvertible {
    case notAPlayerState, truncated, trailingBytes, tooLarge
    var description: String {
        switch self {
        case .notAPlayerState: "not a player state (no PS1 header)"
        case .truncated: "the player state ends early"
        case .trailingBytes: "bytes after the player state"
        case .tooLarge: "more than 65,535 items in a list, or an item longer than 65,535 bytes"
        }
    }
}
