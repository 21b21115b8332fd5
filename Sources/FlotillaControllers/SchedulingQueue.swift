/// Karmada's scheduling queue (`pkg/scheduler/internal/queue`: active, backoff and unschedulable queues), for a loop
/// that decides in passes: which of the bindings that need a decision a pass takes, in which order, and which wait.
///
/// - **Active**: decided now, highest `spec.schedulePriority.priority` first, then in the order they first arrived.
/// - **Backoff**: a binding whose attempt failed (its write lost a race, the store refused it) waits 1 s, doubling
///   with each consecutive failure up to 10 s.
/// - **Unschedulable**: a binding no cluster fits waits for a cluster change (which may have freed room) or 5 minutes.
///
/// A change to the binding itself makes it active at once (as an update event does in Karmada); a success forgets its
/// history. Pure: the caller passes the time.
struct SchedulingQueue {
    static let initialBackoff = Duration.seconds(1)
    static let maxBackoff = Duration.seconds(10)
    static let unschedulableFlush = Duration.seconds(300)

    struct Candidate {
        var key: String
        var priority: Int64
        /// The binding itself changed since the last pass.
        var changed: Bool
    }

    private var arrival: [String: Int] = [:]
    private var arrivals = 0
    private var backoff: [String: (failures: Int, until: ContinuousClock.Instant)] = [:]
    private var unschedulable: [String: ContinuousClock.Instant] = [:]

    /// The candidates to decide now, in queue order, and how long until the first one held back is due (nil: none).
    mutating func ready(_ candidates: [Candidate], now: ContinuousClock.Instant, clustersChanged: Bool) -> (keys: [String], nextDue: Duration?) {
        var taken: [(key: String, priority: Int64, arrival: Int)] = []
        var nextDue: Duration?
        func due(in wait: Duration) { nextDue = min(nextDue ?? wait, wait) }
        for candidate in candidates {
            let key = candidate.key
            if arrival[key] == nil {
                arrival[key] = arrivals
                arrivals += 1
            }
            if candidate.changed {
                backoff[key] = nil
                unschedulable[key] = nil
            }
            if let held = backoff[key], held.until > now {
                due(in: held.until - now)
                continue
            }
            if let since = unschedulable[key] {
                if clustersChanged || now - since >= Self.unschedulableFlush {
                    unschedulable[key] = nil
                } else {
                    due(in: since + Self.unschedulableFlush - now)
                    continue
                }
            }
            taken.append((key, candidate.priority, arrival[key] ?? 0))
        }
        taken.sort { ($0.priority, -$0.arrival) > ($1.priority, -$1.arrival) }
        return (taken.map(\.key), nextDue)
    }

    /// The binding was decided and written: it starts afresh next time.
    mutating func succeeded(_ key: String) {
        backoff[key] = nil
        unschedulable[key] = nil
    }

    /// No cluster fits: wait for a cluster change.
    mutating func markUnschedulable(_ key: String, now: ContinuousClock.Instant) {
        backoff[key] = nil
        unschedulable[key] = now
    }

    /// The attempt failed: back off, longer after each consecutive failure. Returns the wait.
    @discardableResult
    mutating func failed(_ key: String, now: ContinuousClock.Instant) -> Duration {
        let failures = (backoff[key]?.failures ?? 0) + 1
        var wait = Self.initialBackoff
        for _ in 1..<failures where wait < Self.maxBackoff { wait = wait * 2 }
        wait = min(wait, Self.maxBackoff)
        backoff[key] = (failures, now + wait)
        return wait
    }

    /// The binding is gone: drop what the queue knows of it.
    mutating func forget(_ key: String) {
        arrival[key] = nil
        backoff[key] = nil
        unschedulable[key] = nil
    }

    /// Bindings held back (backoff or unschedulable), for the queue-depth metric.
    var waiting: Int { backoff.count + unschedulable.count }
}
