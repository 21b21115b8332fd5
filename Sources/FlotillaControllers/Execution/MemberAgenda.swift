import FlotillaAPI

/// What a member worker's next pass looks at: pure bookkeeping, no I/O (`MemberAgendaTests`).
///
/// A pass visits only the Works that something touched since the last one: the controller handed over a new
/// version, a member object of theirs had an event, or their last visit failed. A pass over every Work of the
/// cluster is kept for what cannot be attributed to a Work: the controller's full hand-over (its periodic full pass,
/// a new interpreter, a changed Cluster), a relist of a member watch (objects may have gone without an event), a new
/// connection. Visiting every Work on each member event made a placement's cost grow with the Works already on its
/// clusters: at 700 placements over 1,000 sites (70 Works per cluster) the member workers were a fifth of the
/// control plane's CPU (`flotilla bench fleet`).
///
/// A visit says whether the Work's status must be reported (its member objects changed, or everything is reported)
/// and whether its member objects must be compared again with what it asks for (their spec moved since the last
/// comparison).
struct MemberAgenda {
    struct Visit {
        var work: Work
        /// Its status is written again (when it changed).
        var report: Bool
        /// Its member objects are compared with the Work even if its spec version was applied.
        var recheck: Bool
    }

    /// The cluster's Works, by name (they share one execution namespace).
    private(set) var works: [String: Work] = [:]
    /// The next pass visits every Work, and reports every Work.
    private var everything = true
    private var due: Set<String> = []
    private var unreported: Set<String> = []
    private var unverified: Set<String> = []

    /// Whether a pass has something to visit.
    var isEmpty: Bool { !everything && due.isEmpty && unreported.isEmpty && unverified.isEmpty }

    /// The controller's whole list: every Work is visited and reported. Returns the names of Works that left.
    @discardableResult
    mutating func replaceAll(_ list: [Work]) -> [String] {
        let next = Dictionary(list.map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { _, last in last })
        let gone = works.keys.filter { next[$0] == nil }
        works = next
        everything = true
        forget(gone)
        return gone.sorted()
    }

    /// Works the controller saw change (visited and reported), and names of Works gone from the store (forgotten).
    /// Returns the names that were known and left.
    @discardableResult
    mutating func update(changed: [Work], removed: [String]) -> [String] {
        for work in changed {
            let name = work.metadata.name ?? ""
            works[name] = work
            due.insert(name)
            unreported.insert(name)
        }
        let gone = removed.filter { works.removeValue(forKey: $0) != nil }
        forget(gone)
        return gone
    }

    private mutating func forget(_ names: [String]) {
        for name in names {
            due.remove(name)
            unreported.remove(name)
            unverified.remove(name)
        }
    }

    /// A member object of the Work changed (or went): its status is reported again, and when its spec version moved
    /// it is compared with the Work again (a hand edit is put back; a comparison made against a copy that had not yet
    /// seen the worker's own write is made again). An object of a Work not handed over (yet, or any more) is left to
    /// the Work's arrival, which visits and reports it anyway.
    mutating func memberChanged(work name: String, specMoved: Bool) {
        guard works[name] != nil else { return }
        unreported.insert(name)
        if specMoved { unverified.insert(name) }
    }

    /// Visit and report everything on the next pass: a watch relisted, the member connection is new, or the member
    /// could not be reached (what said ClusterUnavailable says otherwise once it answers).
    mutating func visitEverything() { everything = true }

    /// The visits of the next pass, in name order; what they were due for is cleared.
    mutating func takePass() -> [Visit] {
        let names = everything ? Set(works.keys) : due.union(unreported).union(unverified)
        var visits: [Visit] = []
        for name in names.sorted() {
            guard let work = works[name] else { continue }
            let wasUnreported = unreported.remove(name) != nil
            visits.append(Visit(work: work, report: everything || wasUnreported, recheck: unverified.remove(name) != nil))
            due.remove(name)
        }
        everything = false
        return visits
    }

    /// A visit did not finish: the Work is visited again on the next pass, reported and compared again as asked.
    mutating func retry(_ name: String, report: Bool, recheck: Bool) {
        guard works[name] != nil else { return }
        due.insert(name)
        if report { unreported.insert(name) }
        if recheck { unverified.insert(name) }
    }
}
