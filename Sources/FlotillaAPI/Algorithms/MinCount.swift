extension Sequence {
    /// The `count` first elements in `areInIncreasingOrder` order, in that order, without sorting them all (named as
    /// swift-algorithms names it). A small sorted buffer, O(n·count): for the handful a caller wants out of many —
    /// a UE's best endpoints, the parties that can win one of a few Webster seats.
    @inlinable  // specialized at the caller: unspecialized, the comparisons go through generic witnesses
    public func min(count: Int, sortedBy areInIncreasingOrder: (Element, Element) throws -> Bool) rethrows -> [Element] {
        guard count > 0 else { return [] }
        var best: [Element] = []
        best.reserveCapacity(count + 1)
        for element in self {
            if best.count == count, let last = best.last, try !areInIncreasingOrder(element, last) { continue }
            var position = best.count
            for (index, kept) in best.enumerated() where try areInIncreasingOrder(element, kept) {
                position = index
                break
            }
            best.insert(element, at: position)
            if best.count > count { best.removeLast() }
        }
        return best
    }
}
