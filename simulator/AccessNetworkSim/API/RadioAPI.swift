import FlotillaAPI
import Hummingbird

/// MEC 012 v2 RNIS queries: RAB information per cell and UE.
extension AccessNetworkAPI {
    func addRadioRoutes(to router: Router<BasicRequestContext>) {
        let api = self
        router.get("/rni/v2/queries/rab_info") { request, _ in
            let params = request.uri.queryParameters
            let cellNames = params.getAll("cell_id").flatMap { $0.split(separator: ",").map(String.init) }
            let addresses = params.getAll("ue_ipv4_address").flatMap { $0.split(separator: ",").map(String.init) }
            let epoch = api.runner.epoch
            let body = try await api.runner.withNetwork { network -> JSONValue in
                let cells = try cellNames.map { try api.cell($0, in: network, status: .badRequest) }
                let ues = try Set(addresses.map { text -> Int in
                    guard let ue = network.ue(address: text) else { throw ProblemDetails.badRequest("no user with address \"\(text)\"") }
                    return ue
                })
                var byCell: [Int: [JSONValue]] = [:]
                for ue in 0..<network.ueCount {
                    guard let serving = network.status(of: ue).servingCell, network.topology.cells[serving].rat != .wifi else { continue }
                    if !cells.isEmpty, !cells.contains(serving) { continue }
                    if !ues.isEmpty, !ues.contains(ue) { continue }
                    byCell[serving, default: []].append(["associateId": [["type": 1, "value": .string(network.addresses[ue])]],
                        "erabInfo": [["erabId": 5, "erabQosParameters": ["qci": 9]]]])
                }
                let cellUserInfo: [JSONValue] = byCell.keys.sorted().map { cell in
                    ["ecgi": Notifications.ecgi(cell, network: network), "ueInfo": .array(byCell[cell] ?? [])]
                }
                return ["timeStamp": AccessNetworkAPI.timestamp(network, epoch: epoch), "cellUserInfo": .array(cellUserInfo)]
            }
            return Reply.json(body)
        }
    }
}
