/// The paths and headers of Flotilla's app state-transfer protocol (docs/state-transfer.md). An app instance serves
/// them; the mobility service calls them to move one session's state from the source instance to the target.
///
///     POST   /mec/state/v1/sessions/{id}/export?freeze=true|false   → 200, the state (octet-stream), version header
///     PUT    /mec/state/v1/sessions/{id}?stage=precopy|final        → 201 (imported, not yet serving), or a refusal
///     POST   /mec/state/v1/sessions/{id}/resume                     → 200 (serving here)
///     DELETE /mec/state/v1/sessions/{id}                            → 204 (released; later traffic gets 410)
///     GET    /mec/state/v1/sessions/{id}                            → 200 {"phase":…,"version":…,"bytes":…}
public enum StateTransferProtocol {
    public static let basePath = "/mec/state/v1/sessions"
    /// The state's version (a counter the app raises on every change), on export responses and import requests.
    public static let versionHeader = "Flotilla-State-Version"
    /// `frozen` or `released`, on the 409 / 410 answers an instance gives to a session's traffic while it moves.
    public static let sessionHeader = "Flotilla-Session"

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

    public var description: String { "\(status): \(message)" }
}
