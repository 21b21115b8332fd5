import FlotillaAPI

/// A standing request for notifications: MEC 013 zonal-traffic or user-tracking, or MEC 012 cell-change.
public struct Subscription: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        case zonalTraffic
        case userTracking
        case cellChange

        /// The REST collection it lives in.
        public var collection: String {
            switch self {
            case .zonalTraffic: return "/location/v2/subscriptions/zonalTraffic"
            case .userTracking: return "/location/v2/subscriptions/userTracking"
            case .cellChange: return "/rni/v2/subscriptions"
            }
        }
    }

    /// MEC 013 user event types.
    public enum UserEvent: String, Sendable, CaseIterable { case entering = "Entering", leaving = "Leaving", transferring = "Transferring" }

    public var id: String
    public var kind: Kind
    /// zonalTraffic: the zone watched.
    public var zone: Int?
    /// userTracking and cellChange: the UEs watched (empty for cellChange = every UE).
    public var ues: Set<Int>
    public var userEvents: Set<UserEvent>
    /// cellChange: 1 IN_PREPARATION, 2 IN_EXECUTION, 3 COMPLETED (default), 4 REJECTED, 5 CANCELLED.
    public var hoStatus: Set<Int>
    /// cellChange: only these cells (source or target), by name.
    public var cells: Set<Int>
    public var callbackURL: String
    public var callbackData: String?
    /// Simulated time at which it ends, if it does.
    public var expiresAt: Double?
    /// The subscription as the client sent it, with the server's fields filled in; returned by GET.
    public var representation: JSONValue

    public init(id: String, kind: Kind, zone: Int? = nil, ues: Set<Int> = [], userEvents: Set<UserEvent> = Set(UserEvent.allCases),
                hoStatus: Set<Int> = [3], cells: Set<Int> = [], callbackURL: String, callbackData: String? = nil,
                expiresAt: Double? = nil, representation: JSONValue = [:]) {
        self.id = id
        self.kind = kind
        self.zone = zone
        self.ues = ues
        self.userEvents = userEvents
        self.hoStatus = hoStatus
        self.cells = cells
        self.callbackURL = callbackURL
        self.callbackData = callbackData
        self.expiresAt = expiresAt
        self.representation = representation
    }

    public var href: String { "\(kind.collection)/\(id)" }
}

/// How delivery to a subscription's callback is going.
public struct DeliveryState: Sendable {
    public enum Health: String, Sendable { case active = "Active", failing = "Failing" }
    public var health: Health = .active
    public var delivered = 0
    public var failedAttempts = 0
    public var dropped = 0
    public var lastError: String?
}
