import FlotillaAPI
import Foundation

/// client-go's leader election on a `coordination.k8s.io/v1` Lease, as pure logic: given the Lease as read (or its
/// absence) and the local time, what to write and whether this replica leads. `LeaderElector` is the I/O shell.
///
/// - A Lease held by another replica is taken only once it has not changed for `leaseDuration`, timed by this
///   replica's own clock from when it last saw the record change (not by the holder's `renewTime`): clocks of
///   different machines are never compared.
/// - The holder renews every `retryPeriod`; when it has not renewed for `renewDeadline` it stops leading, and stops
///   its controllers, before any other replica may take the Lease (`renewDeadline` < `leaseDuration`).
/// - Taking the Lease from another holder sets `acquireTime` and counts one `leaseTransitions`; renewing keeps both.
public struct LeaderElection: Sendable {
    public struct Configuration: Sendable, Equatable {
        public var namespace: String
        public var name: String
        public var identity: String
        public var leaseDuration: Duration
        public var renewDeadline: Duration
        public var retryPeriod: Duration

        /// client-go's defaults, which kube-controller-manager and karmada-controller-manager use: 15 s, 10 s, 2 s.
        public init(namespace: String = "kube-system", name: String = "flotilla-controller-manager", identity: String,
                    leaseDuration: Duration = .seconds(15), renewDeadline: Duration = .seconds(10), retryPeriod: Duration = .seconds(2)) {
            self.namespace = namespace
            self.name = name
            self.identity = identity
            self.leaseDuration = leaseDuration
            self.renewDeadline = renewDeadline
            self.retryPeriod = retryPeriod
        }

        /// client-go refuses these too: a deadline not shorter than the lease lets two leaders overlap.
        public func problems() -> [String] {
            var problems: [String] = []
            if identity.isEmpty { problems.append("the identity must not be empty") }
            if !(leaseDuration > renewDeadline) { problems.append("the lease duration must be greater than the renew deadline") }
            if !(renewDeadline > retryPeriod * 1.2) { problems.append("the renew deadline must be greater than 1.2 × the retry period") }
            if retryPeriod <= .zero { problems.append("the retry period must be positive") }
            return problems
        }
    }

    /// What to do with the Lease now.
    public enum Action: Equatable, Sendable {
        /// Create it, held by this replica.
        case create(LeaseSpec)
        /// Write it (compare-and-swap on the resourceVersion read), held by this replica.
        case update(LeaseSpec)
        /// Another replica holds it and it has not expired: try again after `retryPeriod`.
        case wait(holder: String)
    }

    public let configuration: Configuration
    /// The record last seen and when (local time) it was first seen in that state.
    private(set) var observed: LeaseSpec?
    private(set) var observedAt: Date?
    /// When this replica last wrote the Lease successfully as its holder.
    private(set) var renewedAt: Date?

    public init(_ configuration: Configuration) { self.configuration = configuration }

    /// Whether this replica may run its controllers at `now`: it holds the Lease and renewed it within the deadline.
    public func isLeading(at now: Date) -> Bool {
        guard let renewedAt, observed?.holderIdentity == configuration.identity else { return false }
        return now.timeIntervalSince(renewedAt) < configuration.renewDeadline.inSeconds
    }

    /// How long until the renew deadline passes without a renewal (zero when it has, or this replica never led).
    public func renewalDue(at now: Date) -> Duration {
        guard let renewedAt else { return .zero }
        let left = configuration.renewDeadline.inSeconds - now.timeIntervalSince(renewedAt)
        return left > 0 ? .milliseconds(Int64(left * 1000)) : .zero
    }

    /// Decides from the Lease as read (nil: it does not exist).
    public mutating func decide(_ current: LeaseSpec?, now: Date) -> Action {
        let stamp = Lease.microTime(now)
        let seconds = Int32(max(1, configuration.leaseDuration.inSeconds.rounded()))
        guard let current else {
            return .create(LeaseSpec(holderIdentity: configuration.identity, leaseDurationSeconds: seconds, acquireTime: stamp,
                                     renewTime: stamp, leaseTransitions: 0))
        }
        if current != observed {
            observed = current
            observedAt = now
        }
        let holder = current.holderIdentity ?? ""
        let mine = holder == configuration.identity
        let expired = holder.isEmpty || now.timeIntervalSince(observedAt ?? now) >= configuration.leaseDuration.inSeconds
        if !mine, !expired { return .wait(holder: holder) }
        var next = current
        next.holderIdentity = configuration.identity
        next.leaseDurationSeconds = seconds
        next.renewTime = stamp
        if !mine {
            next.acquireTime = stamp
            next.leaseTransitions = (current.leaseTransitions ?? 0) + 1
        }
        return .update(next)
    }

    /// The write of `decide`'s create or update succeeded.
    public mutating func wrote(_ spec: LeaseSpec, at now: Date) {
        observed = spec
        observedAt = now
        renewedAt = now
    }

    /// The Lease to write when stepping down (client-go's ReleaseOnCancel): no holder, so a successor takes it
    /// at once instead of waiting out the lease. nil when this replica does not hold it.
    public func release(at now: Date) -> LeaseSpec? {
        guard var spec = observed, spec.holderIdentity == configuration.identity else { return nil }
        spec.holderIdentity = nil
        spec.leaseDurationSeconds = 1
        spec.renewTime = Lease.microTime(now)
        return spec
    }

    /// Forgets this replica's renewals (it stopped leading).
    public mutating func stepDown() { renewedAt = nil }
}
