/// What a frozen session whose lease ended does with its successor's answer to `DELETE …/{id}?unlessActive=true`.
/// Pure: `SessionKeeper` asks and carries the action out.
///
/// The rule is that the two copies never both serve. The successor's answer is atomic, so an answer settles it:
///
/// | successor's answer | action |
/// |---|---|
/// | 409 (its copy serves) | release here |
/// | 204 (released there, or never there), or 404 (no state-transfer endpoint there) | resume here |
/// | no successor named | resume here |
/// | the connection was never made (refused, connect timeout): nothing of the ask reached it | resume here |
/// | anything else (no reply in time, a reset, a 5xx): the ask may have arrived, and the copy there may serve | ask again after `retry`, up to `maximumAsks` asks in all; then resume here |
///
/// A successor that is slow rather than gone (a stalled machine) is the last row's case: resuming at once would let
/// a copy that serves there serve here too. Asking again is safe because the ask is idempotent (a released copy
/// answers 204 again; a serving one 409). Only a successor that takes connections and answers none of
/// `maximumAsks` asks is taken for gone: that is the one case left in which two copies could serve.
public enum LeaseSettlement {
    public enum Answer: Equatable, Sendable {
        /// No successor was named at the freeze.
        case noSuccessor
        /// An HTTP status came back.
        case status(Int)
        /// No connection was made (`HTTPDelivery.neverConnected`).
        case neverConnected
        /// The ask left, and no answer came.
        case noAnswer
    }

    public enum Action: Equatable, Sendable {
        case resume
        case release
        case askAgain(after: Duration)
    }

    /// How long to wait between asks, and how many asks a successor that never answers gets before it counts as gone.
    public static let retry: Duration = .seconds(1)
    public static let maximumAsks = 5

    /// `asks`: how many asks this answer ends, counting this one (≥ 1).
    public static func decide(_ answer: Answer, asks: Int) -> Action {
        switch answer {
        case .noSuccessor, .neverConnected:
            return .resume
        case .status(409):
            return .release
        case .status(204), .status(404):
            return .resume
        case .status, .noAnswer:
            return asks < maximumAsks ? .askAgain(after: retry) : .resume
        }
    }
}
