import FlotillaAPI

/// Pure: a member's Ready condition from the run of probe outcomes, with Karmada's thresholds. A member that fails is
/// NotReady only once it has kept failing for `failureThreshold` (a flaky edge link must not flap); a NotReady member
/// that answers is Ready again only once it has kept answering for `successThreshold`. A member never seen NotReady
/// is Ready at its first success.
///
/// | outcome | Ready now | run so far | becomes |
/// |---|---|---|---|
/// | success | not False | any | True |
/// | success | False | < successThreshold | unchanged (False) |
/// | success | False | ≥ successThreshold | True |
/// | failure | any | < failureThreshold | unchanged |
/// | failure | any | ≥ failureThreshold | False (ClusterNotReachable, with the error) |
public struct ClusterReadiness: Sendable {
    public enum Outcome: Sendable, Equatable {
        case success
        case failure(String)
    }

    public let failureThreshold: Duration
    public let successThreshold: Duration
    /// The first outcome of the current run of failures, or of successes.
    private(set) var firstFailure: Duration?
    private(set) var firstSuccess: Duration?

    public init(failureThreshold: Duration, successThreshold: Duration) {
        self.failureThreshold = failureThreshold
        self.successThreshold = successThreshold
    }

    /// The conditions after `outcome` at `now` (a monotonic clock's elapsed time; `timestamp`: the same instant as the
    /// API writes it).
    public mutating func observe(_ outcome: Outcome, at now: Duration, conditions current: [Condition],
                                 timestamp: Timestamp) -> [Condition] {
        var conditions = current
        switch outcome {
        case .success:
            firstFailure = nil
            let since = firstSuccess ?? now
            firstSuccess = since
            if conditions[type: "Ready"]?.status != .false || now - since >= successThreshold {
                conditions.set(Condition(type: "Ready", status: .true, reason: "ClusterReady",
                    message: "cluster is healthy and ready to accept workloads"), now: timestamp)
            }
        case .failure(let message):
            firstSuccess = nil
            let since = firstFailure ?? now
            firstFailure = since
            if now - since >= failureThreshold {
                conditions.set(Condition(type: "Ready", status: .false, reason: "ClusterNotReachable",
                    message: "cluster is not reachable: \(message)"), now: timestamp)
            }
        }
        return conditions
    }
}
