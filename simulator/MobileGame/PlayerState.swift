import Foundation

/// One player's session on the game server: what moves with the player when the session migrates. Realistic size:
/// the position, score and inventory, the inputs received but not yet applied, and the last 64 applied (for lag
/// compensation and replays) — about 1.5 KB as JSON, more with a bigger inventory. The inputs travel packed (9 bytes
/// each, base64): a checkpoint every 100 ms for every protected player is the game's busiest path, and decoding
/// 64 keyed objects per checkpoint took a third of two cores at 200 players.
public struct PlayerState: Codable, Sendable {
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

    enum CodingKeys: String, CodingKey { case x, y, score, inventory, received, applied, pending, recent, lostInputs }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        x = try container.decode(Double.self, forKey: .x)
        y = try container.decode(Double.self, forKey: .y)
        score = try container.decode(UInt32.self, forKey: .score)
        inventory = try container.decode([String].self, forKey: .inventory)
        received = try container.decode(UInt32.self, forKey: .received)
        applied = try container.decode(UInt32.self, forKey: .applied)
        lostInputs = try container.decodeIfPresent(UInt32.self, forKey: .lostInputs) ?? 0
        for (key, path) in [(CodingKeys.pending, \PlayerState.pending), (.recent, \PlayerState.recent)] {
            guard let inputs = GameProtocol.Input.unpack(try container.decode(String.self, forKey: key)) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "not packed inputs")
            }
            self[keyPath: path] = inputs
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(x, forKey: .x)
        try container.encode(y, forKey: .y)
        try container.encode(score, forKey: .score)
        try container.encode(inventory, forKey: .inventory)
        try container.encode(received, forKey: .received)
        try container.encode(applied, forKey: .applied)
        try container.encode(GameProtocol.Input.pack(pending), forKey: .pending)
        try container.encode(GameProtocol.Input.pack(recent), forKey: .recent)
        try container.encode(lostInputs, forKey: .lostInputs)
    }

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

    /// After a promotion from a standby copy: the player resends only what it has not seen acknowledged, so the
    /// sequence continues from its first input, and what lies between is lost (counted in `lostInputs`).
    public mutating func resynchronize(to inputs: [GameProtocol.Input]) {
        guard let first = inputs.map(\.seq).min(), first > received &+ 1 else { return }
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
