/// `--fail-site`: one site loses power mid-game — its API stops answering and its game servers stop for good, with
/// the sessions they held. The demo carries on; the fault's effect is what the players then measure, summed up
/// per strategy after the table.
struct DemoFault {
    let site: String
    /// Seconds into the game.
    let after: Double
    private(set) var injected = false
    /// The sessions that were at the site when it failed, by strategy.
    private(set) var stranded: [Strategy: Set<UInt32>] = [:]

    init(site: String, after: Double) {
        self.site = site
        self.after = after
    }

    mutating func inject(environment: DemoEnvironment, routes: RoutingTable, sessions: [UInt32]) async {
        for session in sessions where routes.entry(session)?.cluster == site {
            stranded[Strategy.of(session: session).strategy, default: []].insert(session)
        }
        await environment.sites.site(named: site)?.stop()
        injected = true
    }

    var announcement: String {
        let counts = Strategy.allCases.map { "\(stranded[$0]?.count ?? 0) \($0.key)" }.joined(separator: ", ")
        return "fault: site \(site) lost power at \(after) s — its API and game servers are gone; sessions there: \(counts)"
    }

    /// One line per strategy with sessions at the site: how many of them ended lost (their state went with the site).
    func effect(lost: Set<UInt32>) -> String {
        var lines = ["Fault: \(site) failed \(after) s into the game."]
        for strategy in Strategy.allCases {
            let there = stranded[strategy] ?? []
            guard !there.isEmpty else { continue }
            let lost = there.intersection(lost).count
            lines.append("  \(strategy.title): \(there.count) sessions were there, \(lost) lost with it"
                + (lost < there.count ? ", \(there.count - lost) carried on elsewhere" : ""))
        }
        if lines.count == 1 { lines.append("  no session was there when it failed") }
        return lines.joined(separator: "\n")
    }
}
