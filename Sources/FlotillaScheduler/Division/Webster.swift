import FlotillaAPI

/// Webster / Sainte-Laguë apportionment, as Karmada (≥ v1.16) divides replicas among clusters.
///
/// Each cluster is a party with `votes` (its weight) and `seats` (replicas it already holds). New seats are handed
/// out one at a time to the party with the highest priority `votes / (2·seats + 1)`, recomputed after each win.
///
/// Tie-break for equal priority (Karmada's dispenser, `pkg/util/helper/binding.go`): fewer current seats first;
/// then by name, **ascending** when the binding UID is empty or its FNV-1a-32 hash is even, **descending** when it
/// is odd — stable for one workload, varied across workloads.
///
/// Worked example: 5 seats, votes a=2, b=1, no initial seats, UID "" (ascending).
/// priorities a=2/1, b=1/1 → a (seats a1); a=2/3, b=1 → b (b1); a=2/3, b=1/3 → a (a2); a=2/5, b=1/3 → a (a3);
/// a=2/7≈0.29, b=1/3≈0.33 → b (b2). Result a=3, b=2.
public enum Webster {
    public struct Party: Sendable, Hashable {
        public var name: String
        public var votes: Int64
        public var seats: Int

        public init(name: String, votes: Int64, seats: Int = 0) {
            self.name = name
            self.votes = votes
            self.seats = seats
        }
    }

    /// Hands out `seats` new seats. Parties with zero votes keep their seats but never win one. Returns every party
    /// with its final seats, sorted by name (zero-seat parties included). When no party has votes, nothing is
    /// handed out.
    public static func apportion(_ seats: Int, among parties: [Party], bindingUID: String = "") -> [Party] {
        let ascending = ascending(bindingUID)
        var heap = BinaryHeap<Party> { a, b in beats(a, b, ascending: ascending) }
        var idle: [Party] = []
        for party in parties {
            if party.votes > 0 { heap.push(party) } else { idle.append(party) }
        }
        if !heap.isEmpty {
            for _ in 0..<max(seats, 0) {
                var winner = heap.pop()!
                winner.seats += 1
                heap.push(winner)
            }
        }
        return (heap.elements + idle).sorted { $0.name < $1.name }
    }

    /// The parties that end with seats, sorted by name: the same answer as `apportion` without its zero-seat parties.
    ///
    /// When no party holds seats yet, only the first `seats` parties in the order of the first seat (votes
    /// descending, then the name tie-break) can win any: a party behind `seats` others that each beat it at zero
    /// seats could only win after every one of them had won one, which takes all the seats. So the division runs
    /// over those few, not over every cluster — O(n log s) for a handful of replicas over a thousand clusters.
    public static func seated(_ seats: Int, among parties: [Party], bindingUID: String = "") -> [Party] {
        var contenders = parties
        if seats < parties.count, parties.allSatisfy({ $0.seats == 0 }) {
            let ascending = ascending(bindingUID)
            contenders = parties.filter { $0.votes > 0 }.min(count: seats) { beats($0, $1, ascending: ascending) }
        }
        return apportion(seats, among: contenders, bindingUID: bindingUID).filter { $0.seats > 0 }
    }

    /// The name tie-break's direction for a binding: ascending when its UID is empty or hashes (FNV-1a-32) even.
    static func ascending(_ bindingUID: String) -> Bool { bindingUID.isEmpty || FNV1a.hash32(bindingUID) % 2 == 0 }

    /// Whether `a` gets the next seat before `b`.
    static func beats(_ a: Party, _ b: Party, ascending: Bool) -> Bool {
        // Compare a.votes/(2a.seats+1) with b.votes/(2b.seats+1) exactly, by cross-multiplying.
        let left = a.votes * Int64(2 * b.seats + 1)
        let right = b.votes * Int64(2 * a.seats + 1)
        if left != right { return left > right }
        if a.seats != b.seats { return a.seats < b.seats }
        return ascending ? a.name < b.name : a.name > b.name
    }
}

/// A binary max-heap by a "comes first" predicate.
struct BinaryHeap<Element> {
    private(set) var elements: [Element] = []
    let first: (Element, Element) -> Bool

    init(first: @escaping (Element, Element) -> Bool) { self.first = first }

    var isEmpty: Bool { elements.isEmpty }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard first(elements[child], elements[parent]) else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Element? {
        guard !elements.isEmpty else { return nil }
        elements.swapAt(0, elements.count - 1)
        let top = elements.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var best = parent
            if left < elements.count, first(elements[left], elements[best]) { best = left }
            if right < elements.count, first(elements[right], elements[best]) { best = right }
            if best == parent { break }
            elements.swapAt(parent, best)
            parent = best
        }
        return top
    }
}
