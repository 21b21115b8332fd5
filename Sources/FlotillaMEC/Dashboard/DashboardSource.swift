import FlotillaAPI
import Foundation
import KubeClient

/// What the dashboard shows, gathered on demand: the access network's cells and players (their positions and the
/// predicted RTT to the site holding their session), the member clusters (readiness, CPU in use, sessions), and the
/// latest session migrations. The topology is read once; everything else is read fresh, at most once per `maxAge`:
/// every open page asks once a second, and ten viewers should cost one gathering, not ten.
public actor DashboardSource {
    let client: any ObjectClient
    let network: AccessNetworkClient?
    /// Migrations listed on the page, newest first.
    let recentMigrations: Int
    let maxAge: Duration
    private var topology: JSONValue?
    private var latest: (at: ContinuousClock.Instant, snapshot: JSONValue)?
    /// The players' last known places: shown (and the page told so) when the access network misses one answer.
    private var lastUEs: [String: JSONValue] = [:]

    public init(client: any ObjectClient, network: AccessNetworkClient?, recentMigrations: Int = 15, maxAge: Duration = .milliseconds(500)) {
        self.client = client
        self.network = network
        self.recentMigrations = recentMigrations
        self.maxAge = maxAge
    }

    public func snapshot() async -> JSONValue {
        if let latest, ContinuousClock.now - latest.at < maxAge { return latest.snapshot }
        let snapshot = await gather()
        latest = (ContinuousClock.now, snapshot)
        return snapshot
    }

    private func gather() async -> JSONValue {
        var problems: [String] = []
        let clusters = await listed(Cluster.descriptor, &problems).compactMap { try? Cluster(json: $0) }
        let sessions = await listed(AppSession.descriptor, &problems).compactMap { try? AppSession(json: $0) }
        let migrations = await listed(SessionMigration.descriptor, &problems).compactMap { try? SessionMigration(json: $0) }
        let profiles = await listed(AppProfile.descriptor, &problems).compactMap { try? AppProfile(json: $0) }

        var ues = lastUEs
        if let network {
            do {
                if topology == nil { topology = try await network.document("/flotilla/v1/topology") }
                let listed = try await network.document("/flotilla/v1/ues?rtt=true")
                ues = [:]
                for ue in listed["items"]?.arrayValue ?? [] {
                    if let address = ue["address"]?.stringValue { ues[address] = ue }
                }
                lastUEs = ues
            } catch {
                problems.append("access network: \(error.message)" + (ues.isEmpty ? "" : " (players at their last known places)"))
            }
        } else {
            problems.append("no access network configured: cells and players are not shown")
        }

        let budgets = Dictionary(profiles.map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0.spec.latencyBudgetMs) },
                                 uniquingKeysWith: { first, _ in first })
        var players: [JSONValue] = []
        var sessionsAt: [String: Int] = [:]
        for session in sessions {
            guard let site = session.status?.site else { continue }
            sessionsAt[site, default: 0] += 1
            let ue = ues[session.spec.ue]
            var player: JSONObject = [
                "session": .string(session.metadata.name ?? ""), "ue": .string(session.spec.ue), "app": .string(session.spec.app),
                "site": .string(site), "phase": .string(session.status?.phase ?? ""),
                "migrations": .integer(Int64(session.status?.migrations ?? 0)),
            ]
            if let x = ue?["x"], let y = ue?["y"] { player["x"] = x; player["y"] = y }
            if let rtt = ue?["rttMs"]?[site] { player["rttMs"] = rtt }
            if let budget = budgets["\(session.metadata.namespace ?? "")/\(session.spec.app)"] ?? nil { player["budgetMs"] = .double(budget) }
            if let state = ue?["state"] { player["radio"] = state }
            if let rat = ue?["radio"]?["rat"] { player["rat"] = rat }
            players.append(.object(player))
        }

        let positions = Dictionary((topology?["sites"]?.arrayValue ?? []).compactMap { site in
            site["cluster"]?.stringValue.map { ($0, site) }
        }, uniquingKeysWith: { first, _ in first })
        let sites: [JSONValue] = clusters.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }.map { cluster in
            let name = cluster.metadata.name ?? ""
            let summary = cluster.status?.resourceSummary
            var site: JSONObject = [
                "name": .string(name), "ready": .bool(cluster.isReady), "region": .string(cluster.spec.region ?? ""),
                "sessions": .integer(Int64(sessionsAt[name] ?? 0)),
                "cpuAllocated": .double(summary?.allocated?["cpu"]?.doubleValue ?? 0),
                "cpuAllocatable": .double(summary?.allocatable?["cpu"]?.doubleValue ?? 0),
            ]
            if let position = positions[name] { site["x"] = position["x"]; site["y"] = position["y"] }
            return .object(site)
        }

        let ordered = migrations.sorted { ($0.status?.startTime ?? "", $0.metadata.name ?? "") > ($1.status?.startTime ?? "", $1.metadata.name ?? "") }
        let recent: [JSONValue] = ordered.prefix(recentMigrations).map { migration in
            var item: JSONObject = [
                "name": .string(migration.metadata.name ?? ""), "session": .string(migration.spec.session),
                "from": .string(migration.spec.sourceSite ?? ""), "to": .string(migration.spec.targetSite),
                "reason": .string(migration.spec.reason), "phase": .string(migration.status?.phase ?? "Triggered"),
                "time": .string(migration.status?.startTime ?? ""),
            ]
            if let downtime = migration.status?.downtimeMs { item["downtimeMs"] = .double(downtime) }
            return .object(item)
        }
        let cells: [JSONValue] = (topology?["cells"]?.arrayValue ?? []).map { cell in
            ["name": cell["name"] ?? .null, "x": cell["x"] ?? .null, "y": cell["y"] ?? .null, "rat": cell["rat"] ?? .null,
             "operator": cell["operator"] ?? .null]
        }
        let completed = migrations.filter { $0.status?.phase == "Completed" }.count
        return [
            "time": .string(Timestamp(Date()).rfc3339),
            "scenario": topology?["name"] ?? .null,
            "area": ["width": topology?["area"]?["width"] ?? .null, "height": topology?["area"]?["height"] ?? .null],
            "cells": .array(cells),
            "sites": .array(sites),
            "players": .array(players),
            "migrations": .array(recent),
            "totals": ["players": .integer(Int64(players.count)), "migrations": .integer(Int64(migrations.count)),
                       "completed": .integer(Int64(completed)), "clusters": .integer(Int64(clusters.count)),
                       "ready": .integer(Int64(clusters.filter(\.isReady).count))],
            "problems": .array(problems.map(JSONValue.string)),
        ]
    }

    /// Every object of a kind, or none and a line in `problems`.
    private func listed(_ descriptor: ResourceDescriptor, _ problems: inout [String]) async -> [JSONValue] {
        do {
            return try await client.list(descriptor, namespace: nil, options: .everything).items
        } catch {
            problems.append("\(descriptor.plural): \(error.message)")
            return []
        }
    }
}
