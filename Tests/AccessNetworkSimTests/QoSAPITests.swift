import FlotillaAPI
import FlotillaTestSupport
import Testing
@testable import AccessNetworkSim

/// The simulator's NEF over HTTP: AsSessionWithQoS subscriptions, their notifications, and bad requests refused
/// with the member named.
@Suite struct QoSAPITests {
    static let collection = "/3gpp-as-session-with-qos/v1/game-af/subscriptions"

    static func body(_ ue: String, callback: String) -> JSONValue {
        ["ueIpv4Addr": .string(ue), "qosReference": "low-latency", "notificationDestination": .string(callback),
         "flowInfo": [["flowId": 1, "flowDescriptions": ["permit out 17 from any to 127.0.0.1 7000"]]]]
    }

    /// A UE attached to a cell of `rat` now.
    static func ue(on rat: String, _ sim: APITests.Simulator) async throws -> String {
        let (_, list) = try await sim.request(.GET, "/flotilla/v1/ues")
        return try #require(list["items"]?.arrayValue?.first { $0["radio"]?["rat"]?.stringValue == rat }?["address"]?.stringValue)
    }

    @Test func subscriptionsReportTheirAllocationAndEndOnDelete() async throws {
        let receiver = try await APITests.Receiver()
        try await APITests.Simulator.with { sim in
            await sim.runner.step(seconds: 2)
            let cellular = try await Self.ue(on: "5G", sim)
            let (status, created) = try await sim.request(.POST, Self.collection, Self.body(cellular, callback: receiver.url))
            #expect(status == 201, "\(created)")
            #expect(created["qosStatus"] == "GUARANTEED")
            let link = try #require(created["self"]?.stringValue)
            let wifi = try await Self.ue(on: "WiFi", sim)
            let (wifiStatus, notGiven) = try await sim.request(.POST, Self.collection, Self.body(wifi, callback: receiver.url))
            #expect(wifiStatus == 201 && notGiven["qosStatus"] == "NOT_GUARANTEED", "\(notGiven)")
            try await waitUntil("both allocation reports arrive", seconds: 10) {
                let events = Set(receiver.received().compactMap { $0["eventReports"]?.arrayValue?.first?["event"]?.stringValue })
                return events == ["SUCCESSFUL_RESOURCES_ALLOCATION", "FAILED_RESOURCES_ALLOCATION"]
            }
            #expect(receiver.received().contains { $0["transaction"]?.stringValue == link })
            let (_, listed) = try await sim.request(.GET, Self.collection)
            #expect(listed.arrayValue?.count == 2)
            let path = String(link.dropFirst(sim.base.count))
            #expect(try await sim.request(.GET, "/3gpp-as-session-with-qos/v1/another-af/subscriptions/" + (link.split(separator: "/").last.map(String.init) ?? "")).0 == 404)
            #expect(try await sim.request(.PUT, path, Self.body(cellular, callback: receiver.url)).0 == 405)
            #expect(try await sim.request(.DELETE, path).0 == 204)
            #expect(try await sim.request(.GET, path).0 == 404)
            let (_, rtt) = try await sim.request(.GET, "/flotilla/v1/ues/\(cellular)/rtt")
            #expect(rtt["qos"] == nil)
        }
        receiver.task.cancel()
    }

    struct BadCase: Sendable, CustomStringConvertible {
        var change: String
        var param: String
        var description: String { change }
    }

    static let badCases: [BadCase] = [
        BadCase(change: "no ueIpv4Addr", param: "ueIpv4Addr"), BadCase(change: "ueIpv4Addr not an address", param: "ueIpv4Addr"),
        BadCase(change: "an unknown UE", param: "ueIpv4Addr"), BadCase(change: "qosReference unknown", param: "qosReference"),
        BadCase(change: "no flowInfo", param: "flowInfo"), BadCase(change: "a bad flow description", param: "flowInfo[0].flowDescriptions[0]"),
        BadCase(change: "notificationDestination not a URL", param: "notificationDestination"),
        BadCase(change: "usageThreshold", param: "usageThreshold"), BadCase(change: "an unknown member", param: "colour"),
    ]

    @Test(arguments: badCases)
    func badRequestsNameTheirMember(_ c: BadCase) async throws {
        try await APITests.Simulator.with { sim in
            var body = Self.body("10.0.0.1", callback: "http://127.0.0.1:9/qos")
            switch c.change {
            case "no ueIpv4Addr": body["ueIpv4Addr"] = nil
            case "ueIpv4Addr not an address": body["ueIpv4Addr"] = "10.0.0"
            case "an unknown UE": body["ueIpv4Addr"] = "10.250.0.1"
            case "qosReference unknown": body["qosReference"] = "gold"
            case "no flowInfo": body["flowInfo"] = nil
            case "a bad flow description": body["flowInfo"] = [["flowId": 1, "flowDescriptions": ["allow all"]]]
            case "notificationDestination not a URL": body["notificationDestination"] = "here"
            case "usageThreshold": body["usageThreshold"] = ["duration": 60]
            default: body["colour"] = "red"
            }
            let (status, problem) = try await sim.request(.POST, Self.collection, body)
            #expect(status == 400, "\(problem)")
            #expect(problem["invalidParams"]?.arrayValue?.first?["param"]?.stringValue == c.param, "\(problem)")
            let (_, listed) = try await sim.request(.GET, Self.collection)
            #expect(listed.arrayValue?.isEmpty == true)
        }
    }
}
