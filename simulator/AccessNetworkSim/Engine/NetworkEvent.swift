/// Something that happened to a UE's attachment, in simulated seconds. The engine's only output besides its
/// state; location and radio notifications are derived from these.
public struct NetworkEvent: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// Attached with no previous cell (start, or re-attach after coverage loss).
        case attached
        /// Left `from` for `to`; traffic stops until `handoverCompleted` (at once for make-before-break).
        case handoverStarted
        case handoverCompleted
        /// The radio link failed with no usable cell to go to.
        case coverageLost
    }

    public var time: Double
    public var ue: Int
    public var kind: Kind
    public var from: Int?
    public var to: Int?
    public var interruptionMs: Double

    public var description: String {
        let format = { (value: Int?) in value.map(String.init) ?? "-" }
        return "t=\(time) ue=\(ue) \(kind.rawValue) \(format(from))→\(format(to)) \(interruptionMs)ms"
    }
}

/// A handover waiting for its interruption to end.
struct PendingCompletion: Comparable {
    var time: Double
    var sequence: Int
    var ue: Int
    var from: Int
    var to: Int
    var interruptionMs: Double

    static func < (a: Self, b: Self) -> Bool { (a.time, a.sequence) < (b.time, b.sequence) }
    static func == (a: Self, b: Self) -> Bool { a.sequence == b.sequence }
}

/// How long traffic stops for a change of cell: by the target's RAT procedure, none for 5G make-before-break,
/// and a detach/attach when the operator changes.
enum HandoverInterruption {
    static func milliseconds(from source: CompiledCell, to target: CompiledCell, parameters: HandoverParameters,
                             rng: inout SplitMix64) -> Double {
        if source.operatorIndex != target.operatorIndex {
            return rng.uniform(parameters.interOperatorMs.lowerBound, parameters.interOperatorMs.upperBound)
        }
        if source.rat == .nr, target.rat == .nr, target.handoverMode == .daps { return 0 }
        let range = target.profile.interruptionMs
        return rng.uniform(range.lowerBound, range.upperBound)
    }
}
