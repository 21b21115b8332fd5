/// The most recent committed events, oldest first, so that a watch can start from a past revision.
///
/// Bounded by count and, where the writer knows each event's size, by bytes: a count alone let the history hold
/// 50,000 versions of whatever was written last, and at fleet scale that was bindings with a status from each of
/// their 100 clusters (~66 KB of JSON each, a few hundred KB in memory), most of the control plane's memory beyond
/// the objects themselves. A watch that asks for a revision the history no longer holds is told it expired and
/// lists again, as against Kubernetes' watch cache.
package struct EventHistory {
    private var events: [BackendEvent] = []
    /// The size each event was counted at, by position in `events`.
    private var sizes: [Int] = []
    private var head = 0
    package let capacity: Int
    /// Bytes of serialized values the history may hold (nil: no limit).
    package let byteLimit: Int?
    /// Bytes of the events held.
    package private(set) var bytes = 0
    /// Watches must start after this revision; anything older has been dropped.
    package private(set) var compactedRevision: Int64

    /// - Parameters:
    ///   - capacity: the most events held.
    ///   - byteLimit: the most bytes held, as counted by `append` (the newest event stays even when larger).
    package init(capacity: Int, byteLimit: Int? = nil, startRevision: Int64) {
        self.capacity = max(1, capacity)
        self.byteLimit = byteLimit
        self.compactedRevision = startRevision
    }

    package var count: Int { events.count - head }

    /// - Parameter bytes: the event's size (its value's serialized length); 0 when unknown.
    package mutating func append(_ event: BackendEvent, bytes size: Int = 0) {
        events.append(event)
        sizes.append(size)
        bytes += size
        while count > capacity || (byteLimit.map { bytes > $0 } ?? false) && count > 1 { dropOldest() }
        // Reclaim the dropped prefix now and then rather than shifting on every append.
        if head > capacity / 2, head > 64 {
            events.removeFirst(head)
            sizes.removeFirst(head)
            head = 0
        }
    }

    private mutating func dropOldest() {
        compactedRevision = events[head].revision
        bytes -= sizes[head]
        // The dropped slot keeps no value alive until the prefix is reclaimed.
        events[head] = BackendEvent(kind: .delete, current: KeyValue(key: events[head].current.key, value: .null,
            createRevision: 0, modRevision: events[head].revision), previous: nil)
        head += 1
    }

    package mutating func compact(through revision: Int64) {
        while head < events.count, events[head].revision <= revision { dropOldest() }
        compactedRevision = max(compactedRevision, revision)
    }

    /// Events with revision > `after`, in order.
    package func events(after revision: Int64) -> ArraySlice<BackendEvent> {
        var low = head
        var high = events.count
        while low < high {
            let mid = (low + high) / 2
            if events[mid].revision <= revision { low = mid + 1 } else { high = mid }
        }
        return events[low...]
    }
}
