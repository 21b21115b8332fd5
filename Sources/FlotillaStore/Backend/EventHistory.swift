/// The most recent committed events, oldest first, so that a watch can start from a past revision.
package struct EventHistory {
    private var events: [BackendEvent] = []
    private var head = 0
    package let capacity: Int
    /// Watches must start after this revision; anything older has been dropped.
    package private(set) var compactedRevision: Int64

    package init(capacity: Int, startRevision: Int64) {
        self.capacity = max(1, capacity)
        self.compactedRevision = startRevision
    }

    package mutating func append(_ event: BackendEvent) {
        events.append(event)
        if events.count - head > capacity { dropOldest() }
        // Reclaim the dropped prefix now and then rather than shifting on every append.
        if head > capacity { events.removeFirst(head); head = 0 }
    }

    private mutating func dropOldest() {
        compactedRevision = events[head].revision
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
