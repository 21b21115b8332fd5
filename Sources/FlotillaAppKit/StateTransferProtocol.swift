import Foundation

/// The paths and headers of Flotilla's app state-transfer protocol (docs/state-transfer.md). An app instance serves
/// them; the mobility service calls them to move one session's state from the source instance to the target.
///
///     POST   /mec/state/v1/sessions/{id}/export?freeze=true|false   → 200, the state (octet-stream), version header
///     PUT    /mec/state/v1/sessions/{id}?stage=precopy|final        → 201 (imported, not yet serving), or a refusal
///     POST   /mec/state/v1/sessions/{id}/resume                     → 200 (serving here)
///     DELETE /mec/state/v1/sessions/{id}                            → 204 (released; later traffic gets 410)
///     GET    /mec/state/v1/sessions/{id}                            → 200 {"phase":…,"version":…,"bytes":…}
///     PUT    /mec/state/v1/sessions/{id}/standby                    → 200: checkpoint to {endpoint, epoch, intervalMs}
///     POST   /mec/state/v1/checkpoints                              → 200 {"results":[{session, result}]} (at the standby)
///     POST   /mec/state/v1/sessions/{id}/promote?epoch=N            → 200 {"version":…}: the standby serves
public enum StateTransferProtocol {
    public static let basePath = "/mec/state/v1/sessions"
    /// The state's version (a counter the app raises on every change), on export responses and import requests.
    public static let versionHeader = "Flotilla-State-Version"
    /// `frozen` or `released`, on the 409 / 410 answers an instance gives to a session's traffic while it moves.
    public static let sessionHeader = "Flotilla-Session"

    /// Where checkpoints of protected sessions go (a batch per primary and standby instance).
    public static let checkpointsPath = "/mec/state/v1/checkpoints"
    /// The fencing epoch, on promotions (`POST …/{id}/promote?epoch=N`).
    public static let epochHeader = "Flotilla-Epoch"

    public static func sessionPath(_ id: String) -> String { "\(basePath)/\(id)" }
}

/// Where a session stands on one instance.
public enum SessionPhase: String, Sendable, Codable {
    /// Serving the UE's traffic.
    case active = "Active"
    /// Exported with `freeze=true`: holds the state, answers traffic with 409 until resumed or released.
    case frozen = "Frozen"
    /// Received by import, not serving until resumed.
    case imported = "Imported"
    /// A standby copy kept from the primary's checkpoints; serves only once promoted.
    case standby = "Standby"
}

/// Where a primary keeps the standby copy of a session, at which epoch, and how often it sends a checkpoint.
public struct StandbyAssignment: Sendable, Hashable, Codable {
    /// `host:port` of the standby instance.
    public var endpoint: String
    public var epoch: Int
    public var intervalMs: Int

    public init(endpoint: String, epoch: Int, intervalMs: Int) {
        self.endpoint = endpoint
        self.epoch = epoch
        self.intervalMs = intervalMs
    }
}

/// `POST /mec/state/v1/checkpoints`: one or more sessions' checkpoints from a primary to the instance keeping their
/// standby copies, answered with a result per session.
public struct CheckpointBatch: Sendable, Codable {
    public struct Item: Sendable, Codable {
        public var session: String
        public var epoch: Int
        public var version: Int
        /// The state, as the app encodes it (`TransferableState`): base64 in the JSON batch, as is in the binary one.
        public var state: Data

        public init(session: String, epoch: Int, version: Int, state: Data) {
            self.session = session
            self.epoch = epoch
            self.version = version
            self.state = state
        }
    }
    public struct Result: Sendable, Codable {
        public var session: String
        /// `accepted`, `stale`, `fenced` (`SessionTable.CheckpointResult`) or `refused` (with a message).
        public var result: String
        public var message: String?

        public init(session: String, result: String, message: String? = nil) {
            self.session = session
            self.result = result
            self.message = message
        }
    }
    public enum ResultKind {
        public static let accepted = "accepted", stale = "stale", fenced = "fenced", refused = "refused"
    }
    public init(checkpoints: [Item]) { self.checkpoints = checkpoints }
    public var checkpoints: [Item]
}

/// Why an instance refused a state-transfer step; the HTTP status it is sent as.
public struct StateTransferError: Error, Sendable, CustomStringConvertible {
    public var status: Int
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public static func notFound(_ id: String) -> Self { Self(status: 404, "no session \(id) here") }
    public static func conflict(_ message: String) -> Self { Self(status: 409, message) }
    public static func refused(_ message: String) -> Self { Self(status: 422, message) }
    /// A newer epoch holds the session: the caller is an old primary or a stale assignment.
    public static func fenced(_ message: String) -> Self { Self(status: 409, "fenced: " + message) }

    public var description: String { "\(status): \(message)" }
}
