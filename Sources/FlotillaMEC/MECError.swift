/// What goes wrong in the MEC services, with the HTTP status a client should see.
public struct MECError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The UE, app or session does not exist (404).
        case notFound
        /// A dependency (the access network, an instance) cannot answer now (503).
        case unavailable
        /// The request itself is wrong (400).
        case badRequest
        /// An app instance refused a step (its status and message).
        case refused(Int)
    }

    public var kind: Kind
    public var message: String
    /// False when the request certainly never reached the peer: no connection was made (refused or timed out while
    /// connecting), so the step it asked for did not happen. True when it may have (an answer, or a lost one).
    public var mayHaveArrived: Bool

    public init(_ kind: Kind, _ message: String, mayHaveArrived: Bool = true) {
        self.kind = kind
        self.message = message
        self.mayHaveArrived = mayHaveArrived
    }

    public var httpStatus: Int {
        switch kind {
        case .notFound: 404
        case .unavailable: 503
        case .badRequest: 400
        case .refused(let status): status
        }
    }

    /// The peer answered, refusing the step (an HTTP status), so the step did not happen.
    public var isAnswer: Bool {
        if case .refused = kind { return true }
        return false
    }

    public var description: String { message }
}
