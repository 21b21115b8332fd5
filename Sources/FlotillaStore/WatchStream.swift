import FlotillaAPI

/// The events of one watch: the initial ADDED events (for a watch without a revision), then the backend's changes
/// translated through the filter. Selector transitions follow Kubernetes: an object that stops matching arrives
/// as DELETED, one that starts matching as ADDED. Ending the iteration (or cancelling its task) ends the watch.
public struct WatchStream: AsyncSequence, Sendable {
    public typealias Element = WatchEvent

    let initial: [WatchEvent]
    let base: AsyncStream<[BackendEvent]>
    let filter: ObjectFilter
    let materialize: @Sendable (KeyValue) -> JSONValue

    public struct AsyncIterator: AsyncIteratorProtocol {
        var initial: IndexingIterator<[WatchEvent]>
        var base: AsyncStream<[BackendEvent]>.AsyncIterator
        let filter: ObjectFilter
        let materialize: @Sendable (KeyValue) -> JSONValue
        /// The backend's current batch (one commit's changes) and the next change in it.
        var batch: [BackendEvent] = []
        var position = 0

        public mutating func next() async -> WatchEvent? {
            if let event = initial.next() { return event }
            while true {
                while position < batch.count {
                    let change = batch[position]
                    position += 1
                    if let event = translate(change) { return event }
                }
                guard let next = await base.next() else { return nil }
                (batch, position) = (next, 0)
            }
        }

        func translate(_ change: BackendEvent) -> WatchEvent? {
            let current = materialize(change.current)
            let revision = change.revision
            switch change.kind {
            case .delete:
                let wasMatching = change.previous.map { filter.matches($0.value) } ?? false
                return wasMatching ? WatchEvent(type: .deleted, object: current, revision: revision) : nil
            case .put:
                let nowMatching = filter.matches(change.current.value)
                guard let previous = change.previous else {
                    return nowMatching ? WatchEvent(type: .added, object: current, revision: revision) : nil
                }
                let wasMatching = filter.matches(previous.value)
                switch (wasMatching, nowMatching) {
                case (true, true): return WatchEvent(type: .modified, object: current, revision: revision)
                case (false, true): return WatchEvent(type: .added, object: current, revision: revision)
                case (true, false): return WatchEvent(type: .deleted, object: current, revision: revision)
                case (false, false): return nil
                }
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(initial: initial.makeIterator(), base: base.makeAsyncIterator(), filter: filter, materialize: materialize)
    }
}
