import FlotillaAPI
import Hummingbird
import NIOCore

/// Flotilla's extension (`/flotilla/v1`): what discovery needs and ETSI does not give — the predicted round trip
/// from a UE (or a place) to every edge site, the topology, UE status with radio figures, and a stream of events.
extension AccessNetworkAPI {
    func addExtensionRoutes(to router: Router<BasicRequestContext>) {
        let api = self
        router.get("/flotilla/v1/topology") { _, _ in
            Reply.json(await api.runner.withNetwork { network in api.topology(network) })
        }
        router.get("/flotilla/v1/ues") { request, _ in
            let population = request.uri.queryParameters.get("population")
            let limit = try request.number("limit").map(Int.init) ?? 10_000
            // `rtt=true`: each UE's predicted RTT to every site it can reach, by cluster (a map of every player at once).
            let withRTT = request.uri.queryParameters.get("rtt") == "true"
            let epoch = api.runner.epoch
            let list = await api.runner.withNetwork { network -> [JSONValue] in
                (0..<network.ueCount).lazy.filter { population == nil || network.populationNames[network.populationOf[$0]] == population }
                    .prefix(limit).map { ue in
                        var status = api.ueStatus(ue, network: network, epoch: epoch)
                        if withRTT {
                            let rtt = network.reportedSites(ue: ue).map { (network.topology.sites[$0.site].cluster, ($0.rttMs * 100).rounded() / 100) }
                            status["rttMs"] = .object(JSONObject(Dictionary(rtt, uniquingKeysWith: min).mapValues(JSONValue.double)))
                        }
                        return status
                    }
            }
            return Reply.json(["items": .array(list)])
        }
        router.get("/flotilla/v1/ues/:address") { _, context in
            let address = context.parameters.get("address") ?? ""
            let epoch = api.runner.epoch
            return Reply.json(try await api.runner.withNetwork { network in
                api.ueStatus(try api.ue(address, in: network), network: network, epoch: epoch)
            })
        }
        router.get("/flotilla/v1/ues/:address/rtt") { _, context in
            let address = context.parameters.get("address") ?? ""
            let epoch = api.runner.epoch
            return Reply.json(try await api.runner.withNetwork { network in
                let ue = try api.ue(address, in: network)
                let status = network.status(of: ue)
                var body: JSONObject = [
                    "address": .string(network.addresses[ue]),
                    "timestamp": AccessNetworkAPI.timestamp(network, epoch: epoch),
                    "sites": .array(network.reportedSites(ue: ue).map { api.prediction($0, network: network) }),
                    // Where the UE is and how it moves (MEC 013 LocationInfo), for those who plan ahead of it.
                    "location": AccessNetworkAPI.locationInfo(status.position, frame: network.topology.frame, velocity: status.velocity),
                ]
                if let serving = status.servingCell {
                    body["servingCell"] = .string(network.topology.cells[serving].name)
                    // A low-latency QoS flow the UE holds now (QoS on demand); its access part is in every site's rttMs.
                    if status.lowLatency { body["qos"] = "low-latency" }
                    body["zoneId"] = .string(network.topology.zoneNames[network.topology.cells[serving].zoneIndex])
                } else {
                    body["reason"] = .string(status.handoverTarget != nil ? "InHandover" : "NoCoverage")
                }
                return .object(body)
            })
        }
        router.get("/flotilla/v1/rtt") { request, _ in
            let latitude = try request.number("latitude"), longitude = try request.number("longitude")
            let x = try request.number("x"), y = try request.number("y")
            let cellName = request.uri.queryParameters.get("cell")
            return Reply.json(try await api.runner.withNetwork { network in
                let cell: Int
                if let cellName {
                    cell = try api.cell(cellName, in: network, status: .badRequest)
                } else {
                    let point: Point
                    if let latitude, let longitude {
                        point = network.topology.frame.point(latitude: latitude, longitude: longitude)
                    } else if let x, let y {
                        point = Point(x: x, y: y)
                    } else {
                        throw ProblemDetails.badRequest("give cell=NAME, latitude and longitude, or x and y")
                    }
                    guard let best = network.bestCell(at: point) else {
                        throw ProblemDetails.notFound("no cell covers that place")
                    }
                    cell = best
                }
                let sites = network.rankedSites(cell: cell).map { api.prediction($0, network: network) }
                return ["cell": .string(network.topology.cells[cell].name), "sites": .array(sites),
                        "zoneId": .string(network.topology.zoneNames[network.topology.cells[cell].zoneIndex])]
            })
        }
        router.get("/flotilla/v1/latency-matrix") { _, _ in
            Reply.json(await api.runner.withNetwork { network in AccessNetworkAPI.latencyMatrix(network) })
        }
        router.get("/flotilla/v1/demand") { request, _ in
            guard let app = request.uri.queryParameters.get("app"), !app.isEmpty else {
                throw ProblemDetails.badRequest("give the app: /flotilla/v1/demand?app=NAME")
            }
            let epoch = api.runner.epoch
            return Reply.json(await api.runner.withNetwork { network in
                ["app": .string(app), "timestamp": AccessNetworkAPI.timestamp(network, epoch: epoch),
                 "demand": .array(network.demand(app: app).map { ["area": .string($0.zone), "ues": .integer(Int64($0.ues))] })]
            })
        }
        router.get("/flotilla/v1/events") { request, _ in
            let params = request.uri.queryParameters
            var kinds: Set<EventStreamFilter.Kind> = [.location, .radio]
            if let text = params.get("kinds") {
                kinds = try Set(text.split(separator: ",").map { name in
                    guard let kind = EventStreamFilter.Kind(rawValue: String(name)) else {
                        throw ProblemDetails.badRequest("kinds are location and radio, not \"\(name)\"")
                    }
                    return kind
                })
            }
            let (_, stream) = api.hub.openStream(EventStreamFilter(address: params.get("address"), zone: params.get("zoneId"), kinds: kinds))
            let body = ResponseBody { writer in
                for await line in stream { try await writer.write(ByteBuffer(bytes: line)) }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "application/x-ndjson"], body: body)
        }
    }

    /// The scenario's zones → clusters round trips as a `mec.flotilla.io/v1alpha1` LatencyMatrix, ready for kubectl.
    public static func latencyMatrix(_ network: AccessNetwork) -> JSONValue {
        let areas: [JSONValue] = network.latencyMatrix().map { row in
            ["name": .string(row.zone), "rttMs": .object(JSONObject(row.rttMs.mapValues { JSONValue.double($0) }))]
        }
        return ["apiVersion": "mec.flotilla.io/v1alpha1", "kind": "LatencyMatrix",
                "metadata": ["name": .string(network.topology.scenario.name)], "spec": ["areas": .array(areas)]]
    }

    func prediction(_ p: RTTPrediction, network: AccessNetwork) -> JSONValue {
        let site = network.topology.sites[p.site]
        func ms(_ value: Double) -> JSONValue { .double((value * 100).rounded() / 100) }
        return ["site": .string(site.name), "cluster": .string(site.cluster), "rttMs": ms(p.rttMs), "jitterMs": ms(p.jitterMs),
                "accessMs": ms(p.accessMs), "retransmissionMs": ms(p.retransmissionMs), "backhaulMs": ms(p.backhaulMs)]
    }

    func ueStatus(_ ue: Int, network: AccessNetwork, epoch: Double) -> JSONValue {
        let status = network.status(of: ue)
        var body: JSONObject = [
            "address": .string(status.address),
            "population": .string(status.population),
            "timestamp": AccessNetworkAPI.timestamp(network, epoch: epoch),
            "location": AccessNetworkAPI.locationInfo(status.position, frame: network.topology.frame, velocity: status.velocity),
            // Metres in the scenario's frame, as the topology's cells and sites are given.
            "x": .double((status.position.x * 10).rounded() / 10), "y": .double((status.position.y * 10).rounded() / 10),
        ]
        if let app = status.app { body["app"] = .string(app) }
        func db(_ value: Double?) -> JSONValue { value.map { .double(($0 * 10).rounded() / 10) } ?? .null }
        if let serving = status.servingCell {
            let c = network.topology.cells[serving]
            var radio: JSONObject = [
                "servingCell": .string(c.name), "rat": .string(c.rat.rawValue),
                "operator": .string(network.topology.operatorNames[c.operatorIndex]),
                "zoneId": .string(network.topology.zoneNames[c.zoneIndex]),
                "sinr": db(status.sinrDb), "throughputMbps": db(status.throughputBps.map { $0 / 1e6 }),
            ]
            radio[c.rat == .wifi ? "rssi" : "rsrp"] = db(status.signalDbm)
            if status.lowLatency { radio["qos"] = "low-latency" }
            if c.rat != .wifi { radio["rsrq"] = db(status.rsrqDb) }
            body["radio"] = .object(radio)
            body["state"] = "Connected"
        } else if let target = status.handoverTarget {
            body["state"] = "InHandover"
            body["handoverTarget"] = .string(network.topology.cells[target].name)
        } else {
            body["state"] = "NoCoverage"
        }
        return .object(body)
    }

    func topology(_ network: AccessNetwork) -> JSONValue {
        let t = network.topology
        let area = t.scenario.area
        let cells: [JSONValue] = t.cells.map { c in
            ["name": .string(c.name), "operator": .string(t.operatorNames[c.operatorIndex]), "zone": .string(t.zoneNames[c.zoneIndex]),
             "rat": .string(c.rat.rawValue), "model": .string(c.model.rawValue), "x": .double(c.position.x), "y": .double(c.position.y),
             "location": AccessNetworkAPI.locationInfo(c.position, frame: t.frame), "txPowerDbm": .double(c.txPowerDbm),
             "frequencyGHz": .double(c.frequencyGHz), "bandwidthMHz": .double(c.bandwidthMHz),
             "handoverMode": .string(c.handoverMode.rawValue),
             "coverageRadius": .double(c.coverageRadius(ueHeight: t.environment.ueHeight).rounded())]
        }
        let sites: [JSONValue] = t.sites.map { s in
            ["name": .string(s.name), "cluster": .string(s.cluster), "x": .double(s.position.x), "y": .double(s.position.y),
             "location": AccessNetworkAPI.locationInfo(s.position, frame: t.frame), "zones": .array(s.localZones.map(JSONValue.string))]
        }
        return ["name": .string(t.scenario.name),
                "area": ["latitude": .double(area.latitude), "longitude": .double(area.longitude), "width": .double(area.width),
                         "height": .double(area.height)],
                "operators": .array(t.scenario.operators.map { ["name": .string($0.name), "mcc": .string($0.mcc), "mnc": .string($0.mnc)] }),
                "zones": .array(t.zoneNames.map(JSONValue.string)), "cells": .array(cells), "sites": .array(sites)]
    }
}
