/// Runs `body` over `items` with at most `limit` at once; results in completion order. A pass whose items are
/// independent (one binding each) overlaps their store round trips: on a busy process every hop of a strictly
/// serial pass waits its turn on the executor, and a few hundred of them add up to seconds.
package func concurrently<Item: Sendable, Result: Sendable>(_ items: some Sequence<Item>, limit: Int,
                                                  _ body: @escaping @Sendable (Item) async -> Result) async -> [Result] {
    await withTaskGroup(of: Result.self) { group in
        var results: [Result] = []
        var remaining = items.makeIterator()
        for _ in 0..<max(limit, 1) {
            guard let item = remaining.next() else { break }
            group.addTask { await body(item) }
        }
        while let result = await group.next() {
            results.append(result)
            if let item = remaining.next() { group.addTask { await body(item) } }
        }
        return results
    }
}
