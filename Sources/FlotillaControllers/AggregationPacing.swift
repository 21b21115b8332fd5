import FlotillaRuntime
import Synchronization

/// How often a binding's status is aggregated from its Works' status reports: at most once per `interval`. A
/// placement on 100 clusters brings a few hundred Work reports within seconds; aggregating on each rebuilt the
/// binding's 100 items, wrote the binding (~20 KB) and the template's status every time, and was the binding
/// controller's largest cost at fleet scale. A report that arrives within `interval` of the last aggregation waits
/// for the rest of it, and every report that arrives meanwhile is folded into that one aggregation: the last status
/// is always aggregated, at most `interval` late.
///
/// Pure: the pass hands in the bindings whose Works reported and the time, and gets back which to aggregate now and
/// which to be handed again after `interval` (each waiting binding once).
struct AggregationPacing {
    let interval: Duration
    private var last: [String: Duration] = [:]
    private var waiting: Set<String> = []

    init(interval: Duration) { self.interval = interval }

    /// Splits `bindings` into those to aggregate at `now` and those newly put off (to be handed in again after
    /// `interval`). A binding already waiting is neither: its wait brings it back.
    mutating func split(_ bindings: some Sequence<String>, now: Duration) -> (due: [String], later: [String]) {
        var due: [String] = [], later: [String] = []
        for binding in bindings {
            if let at = last[binding], now - at < interval {
                if waiting.insert(binding).inserted { later.append(binding) }
            } else {
                waiting.remove(binding)
                due.append(binding)
            }
        }
        return (due.sorted(), later.sorted())
    }

    /// Records an aggregation of `binding` (by this pacing or a full sync of the binding). A binding that was waiting
    /// is not any more: a report after this one must be handed back again, whether or not the earlier wait has
    /// ended (a sync of the binding may have aggregated it meanwhile, and the wait's hand-back may find it not due).
    mutating func aggregated(_ binding: String, at now: Duration) {
        last[binding] = now
        waiting.remove(binding)
    }

    /// Forgets bindings not in `live` (on a full pass).
    mutating func retain(_ live: Set<String>) {
        last = last.filter { live.contains($0.key) }
        waiting.formIntersection(live)
    }
}

/// A controller's pacing and the loop it hands put-off bindings back to (the controller is a value; this is what
/// its passes share).
final class PacedAggregations: Sendable {
    let pacing: Mutex<AggregationPacing>
    /// Weak: the loop holds the controller's pass, which holds this; a strong reference kept a stopped loop, its
    /// client and its store alive.
    private struct LoopReference { weak var loop: ControllerLoop? }
    private let reference = Mutex(LoopReference())

    init(interval: Duration) { pacing = Mutex(AggregationPacing(interval: interval)) }

    var loop: ControllerLoop? {
        get { reference.withLock { $0.loop } }
        set { reference.withLock { $0.loop = newValue } }
    }
}
