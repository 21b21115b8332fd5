/// One player's session on the game server: what moves with the player when the session migrates. Realistic size:
/// the position, score and inventory, the inputs received but not yet applied, and the last 64 applied (for lag
/// compensation and replays) — a few KB as JSON, more with a bigger inventory.
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
