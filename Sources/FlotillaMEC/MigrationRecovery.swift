/// Pure: how to finish a migration whose runner is gone (the mobility service restarted, or a step's answer was
/// lost), from what the two instances say of the session now (`GET …/{id}`: its phase, absent when the instance
/// does not hold it, unknown when it does not answer).
///
/// | target | source | action |
/// |---|---|---|
/// | Active | any | **complete**: the move happened; point the AppSession at the target, release the source |
/// | not Active | Active or Frozen | **roll back**: release the target's copy unless it serves (atomic at the target), then resume the source |
/// | Imported (final) | gone or unreachable | **resume the target**: the source and its state are gone, the import is the newest copy |
/// | otherwise | | **fail**: neither instance holds the session |
///
/// The target is asked first and rolled back only through its atomic "release unless active", so a target that
/// resumed in the meantime is never released, and the source is never resumed beside it.
public enum MigrationRecovery {
    public enum Held: Equatable, Sendable {
        case phase(String)
        /// The instance answered that it does not hold the session.
        case absent
        /// No answer.
        case unknown
    }

    public enum Action: Equatable, Sendable {
        case complete
        case rollBack
        case resumeTarget
        case fail(String)
    }

    public static func decide(source: Held, target: Held) -> Action {
        if target == .phase("Active") { return .complete }
        if source == .phase("Active") || source == .phase("Frozen") { return .rollBack }
        if target == .phase("Imported"), source == .absent || source == .unknown { return .resumeTarget }
        return .fail("neither instance holds the session (source: \(describe(source)), target: \(describe(target)))")
    }

    static func describe(_ held: Held) -> String {
        switch held {
        case .phase(let phase): phase
        case .absent: "not there"
        case .unknown: "no answer"
        }
    }
}
