import FlotillaAPI
import Hummingbird

/// MEC 013 v2 Location queries: users, zones, access points, distance.
extension AccessNetworkAPI {
    func addLocationRoutes(to router: Router<BasicRequestContext>) {
        let api = self
        router.get("/location/v2/queries/users") { request, _ in
            let params = request.uri.queryParameters
            let addresses = params.getAll("address").flatMap { $0.split(separator: ",").map(String.init) }
            let zoneName = params.get("zoneId")
            let apName = params.get("accessPointId")
            let epoch = api.runner.epoch
            let root = api.root
            let users = try await api.runner.withNetwork { network -> [JSONValue] in
                let zone = try zoneName.map { try api.zone($0, in: network, status: .badRequest) }
                let cell = try apName.map { try api.cell($0, in: network, status: .badRequest) }
                let selected = addresses.isEmpty
                    ? network.ues(inZone: zone, cell: cell)
                    : try addresses.map { try api.ue($0, in: network) }
                return selected.compactMap { ue in
                    api.userInfo(ue, network: network, epoch: epoch, root: root, zone: zone, cell: cell)
                }
            }
            return Reply.json(["userList": ["user": .array(users), "resourceURL": .string(root + "/location/v2/queries/users")]])
        }
        router.get("/location/v2/queries/zones") { _, _ in
            let root = api.root
            let zones = await api.runner.withNetwork { network in
                network.topology.zoneNames.indices.map { api.zoneInfo($0, network: network, root: root) }
            }
            return Reply.json(["zoneList": ["zone": .array(zones), "resourceURL": .string(root + "/location/v2/queries/zones")]])
        }
        router.get("/location/v2/queries/zones/:zone") { _, context in
            let name = context.parameters.get("zone") ?? ""
            let root = api.root
            let info = try await api.runner.withNetwork { network in
                api.zoneInfo(try api.zone(name, in: network), network: network, root: root)
            }
            return Reply.json(["zoneInfo": info])
        }
        router.get("/location/v2/queries/zones/:zone/accessPoints") { _, context in
            let name = context.parameters.get("zone") ?? ""
            let root = api.root
            let points = try await api.runner.withNetwork { network -> [JSONValue] in
                let zone = try api.zone(name, in: network)
                return network.topology.cells.indices.filter { network.topology.cells[$0].zoneIndex == zone }
                    .map { api.accessPointInfo($0, network: network, root: root) }
            }
            return Reply.json(["accessPointList": ["zoneId": .string(name), "accessPoint": .array(points),
                "resourceURL": .string(root + "/location/v2/queries/zones/\(name)/accessPoints")]])
        }
        router.get("/location/v2/queries/zones/:zone/accessPoints/:ap") { _, context in
            let name = context.parameters.get("zone") ?? ""
            let apName = context.parameters.get("ap") ?? ""
            let root = api.root
            let info = try await api.runner.withNetwork { network in
                let zone = try api.zone(name, in: network)
                let cell = try api.cell(apName, in: network)
                guard network.topology.cells[cell].zoneIndex == zone else {
                    throw ProblemDetails.notFound("access point \"\(apName)\" is not in zone \"\(name)\"")
                }
                return api.accessPointInfo(cell, network: network, root: root)
            }
            return Reply.json(["accessPointInfo": info])
        }
        router.get("/location/v2/queries/distance") { request, _ in
            let addresses = request.uri.queryParameters.getAll("address").flatMap { $0.split(separator: ",").map(String.init) }
            guard !addresses.isEmpty, addresses.count <= 2 else {
                throw ProblemDetails.badRequest("give one address (with latitude and longitude) or two addresses")
            }
            let latitude = try request.number("latitude"), longitude = try request.number("longitude")
            let epoch = api.runner.epoch
            let distance = try await api.runner.withNetwork { network -> Double in
                let first = network.positions[try api.ue(addresses[0], in: network)]
                if addresses.count == 2 { return first.distance(to: network.positions[try api.ue(addresses[1], in: network)]) }
                guard let latitude, let longitude else {
                    throw ProblemDetails.badRequest("with one address, latitude and longitude are required")
                }
                return first.distance(to: network.topology.frame.point(latitude: latitude, longitude: longitude))
            }
            let now = await api.runner.withNetwork { AccessNetworkAPI.timestamp($0, epoch: epoch) }
            return Reply.json(["terminalDistance": ["distance": .integer(Int64(distance.rounded())), "timestamp": now]])
        }
    }

    func userInfo(_ ue: Int, network: AccessNetwork, epoch: Double, root: String, zone: Int?, cell: Int?) -> JSONValue? {
        let status = network.status(of: ue)
        var info: JSONObject = [
            "address": .string(status.address),
            "resourceURL": .string(root + "/location/v2/queries/users?address=\(status.address)"),
            "timestamp": Self.timestamp(network, epoch: epoch),
            "locationInfo": Self.locationInfo(status.position, frame: network.topology.frame, velocity: status.velocity),
        ]
        if let serving = status.servingCell {
            let c = network.topology.cells[serving]
            if let zone, c.zoneIndex != zone { return nil }
            if let cell, serving != cell { return nil }
            info["accessPointId"] = .string(c.name)
            info["zoneId"] = .string(network.topology.zoneNames[c.zoneIndex])
        } else if zone != nil || cell != nil {
            return nil
        }
        return .object(info)
    }

    func zoneInfo(_ zone: Int, network: AccessNetwork, root: String) -> JSONValue {
        let name = network.topology.zoneNames[zone]
        let cells = network.topology.cells.indices.filter { network.topology.cells[$0].zoneIndex == zone }
        let users = cells.reduce(0) { $0 + network.attachedCount[$1] }
        return ["zoneId": .string(name), "numberOfAccessPoints": .integer(Int64(cells.count)), "numberOfUnserviceableAccessPoints": 0,
                "numberOfUsers": .integer(Int64(users)), "resourceURL": .string(root + "/location/v2/queries/zones/\(name)")]
    }

    func accessPointInfo(_ cell: Int, network: AccessNetwork, root: String) -> JSONValue {
        let c = network.topology.cells[cell]
        let zone = network.topology.zoneNames[c.zoneIndex]
        let connectionType: String
        switch (c.rat, c.model) {
        case (.wifi, _): connectionType = "Wifi"
        case (_, .umi): connectionType = c.rat == .lte ? "LTE-smallcell" : "Smallcell"
        default: connectionType = "Macro"
        }
        return ["accessPointId": .string(c.name), "connectionType": .string(connectionType), "operationStatus": "Serviceable",
                "numberOfUsers": .integer(Int64(network.attachedCount[cell])), "interestRealm": .string(zone),
                "locationInfo": Self.locationInfo(c.position, frame: network.topology.frame),
                "rat": .string(c.rat.rawValue), "operator": .string(network.topology.operatorNames[c.operatorIndex]),
                "resourceURL": .string(root + "/location/v2/queries/zones/\(zone)/accessPoints/\(c.name)")]
    }
}
