import AsyncHTTPClient
import FlotillaAPI
import FlotillaTestSupport
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import Synchronization
import Testing
@testable import AccessNetworkSim

/// The simulator's HTTP API end to end: a paused demo city stepped by the test, a callback receiver on loopback,
/// subscriptions, notifications, the event stream, failing callbacks, expiry and bad requests.
@Suite struct APITests {
    /// Collects the JSON bodies POSTed to it.
    final class Receiver: Sendable {
        final class Bodies: Sendable {
            let list = Mutex<[JSONValue]>([])
        }
        let bodies = Bodies()
        let port: Int
        let task: Task<Void, any Error>

        init() async throws {
            let bodies = self.bodies
            let router = Router()
            router.post("/notify") { request, _ -> HTTPResponse.Status in
                let buffer = try await request.body.collect(upTo: 1 << 20)
                if let value = try? JSONValue.parse(Array(buffer.readableBytesView)) { bodies.list.withLock { $0.append(value) } }
                return .noContent
            }
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { continuation.yield($0.localAddress?.port ?? 0) })
            task = Task { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            port = await iterator.next() ?? 0
        }

        var url: String { "http://127.0.0.1:\(port)/notify" }
        func received() -> [JSONValue] { bodies.list.withLock { $0 } }
    }

    /// A simulator on an ephemeral port with a paused demo city.
    struct Simulator {
        let runner: SimulationRunner
        let base: String
        let task: Task<Void, any Error>
        let client: HTTPClient

        /// Starts a simulator, runs `body` with it and stops it, whether `body` returned or threw.
        static func with<T>(_ body: (Simulator) async throws -> T) async throws -> T {
            let sim = try await start()
            return try await withCleanup({ try await body(sim) }, cleanup: { await sim.stop() })
        }

        private static func start() async throws -> Simulator {
            let network = AccessNetwork(scenario: try TestScenarios.demoCity())
            let client = HTTPNotificationSender.makeClient()
            let runner = SimulationRunner(network: network, hub: NotificationHub(sender: HTTPNotificationSender(client: client)),
                paused: true, epoch: 1_800_000_000)
            let (ports, continuation) = AsyncStream<Int>.makeStream()
            let app = AccessNetworkServer(runner: runner) { continuation.yield($0) }.makeApplication()
            let task = Task { try await app.runService() }
            var iterator = ports.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            return Simulator(runner: runner, base: "http://127.0.0.1:\(port)", task: task, client: client)
        }

        func request(_ method: HTTPMethod, _ path: String, _ body: JSONValue? = nil) async throws -> (Int, JSONValue) {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            if let body {
                request.headers.add(name: "Content-Type", value: "application/json")
                request.body = .bytes(ByteBuffer(bytes: body.serialized()))
            }
            let response = try await client.execute(request, timeout: .seconds(10))
            let bytes = try await response.body.collect(upTo: 16 << 20)
            let value = bytes.readableBytes == 0 ? JSONValue.null : (try? JSONValue.parse(Array(bytes.readableBytesView))) ?? .null
            return (Int(response.status.code), value)
        }

        func stop() async {
            runner.hub.closeAllStreams()
            task.cancel()
            _ = await task.result
            try? await client.shutdown()
        }
    }

    static let rider = "10.0.0.141"  // gamma-riders: 5G and 4G only, so a zone change is also a cell change.

    /// Where the rider should jump: the site of a zone other than its own.
    static func elsewhere(_ sim: Simulator) async throws -> (zone: String, x: Double, y: Double) {
        let (_, ue) = try await sim.request(.GET, "/flotilla/v1/ues/\(rider)")
        let current = try #require(ue["radio"]?["zoneId"]?.stringValue)
        let (_, topology) = try await sim.request(.GET, "/flotilla/v1/topology")
        let site = try #require(topology["sites"]?.arrayValue?.first { site in
            let zones = site["zones"]?.arrayValue ?? []
            return !zones.isEmpty && !zones.contains(.string(current))
        })
        return (site["zones"]?.arrayValue?.first?.stringValue ?? "", site["x"]?.doubleValue ?? 0, site["y"]?.doubleValue ?? 0)
    }

    @Test func queriesAndErrors() async throws {
        try await Simulator.with { sim in
            await sim.runner.step(seconds: 2)
            let (zonesStatus, zones) = try await sim.request(.GET, "/location/v2/queries/zones")
            #expect(zonesStatus == 200)
            #expect(zones["zoneList"]?["zone"]?.arrayValue?.count == 6)
            let users = try await sim.request(.GET, "/location/v2/queries/users?zoneId=harbour").1
            let listed = users["userList"]?["user"]?.arrayValue ?? []
            #expect(listed.allSatisfy { $0["zoneId"]?.stringValue == "harbour" })
            let harbourCount = zones["zoneList"]?["zone"]?.arrayValue?.first { $0["zoneId"] == "harbour" }?["numberOfUsers"]?.int64Value
            #expect(Int64(listed.count) == harbourCount)

            let (rttStatus, rtt) = try await sim.request(.GET, "/flotilla/v1/ues/\(Self.rider)/rtt")
            #expect(rttStatus == 200)
            let sites = rtt["sites"]?.arrayValue?.compactMap { $0["rttMs"]?.doubleValue } ?? []
            #expect(sites.count == 7 && sites == sites.sorted())
            let (_, place) = try await sim.request(.GET, "/flotilla/v1/rtt?x=500&y=500")
            #expect(place["sites"]?.arrayValue?.first?["cluster"] == "edge-1")

            for (path, status) in [("/location/v2/queries/zones/atlantis", 404), ("/location/v2/queries/users?zoneId=atlantis", 400),
                                   ("/location/v2/queries/users?address=10.9.9.9", 404), ("/flotilla/v1/ues/nobody/rtt", 404),
                                   ("/location/v2/queries/distance?address=\(Self.rider)&latitude=north", 400),
                                   ("/flotilla/v1/rtt", 400)] {
                let (code, problem) = try await sim.request(.GET, path)
                #expect(code == status, "\(path)")
                #expect(problem["status"]?.int64Value == Int64(status), "\(path): \(problem)")
                #expect(problem["detail"]?.stringValue?.isEmpty == false)
            }
            for (path, status) in [("/flotilla/v1/control/step?seconds=abc", 400), ("/flotilla/v1/control/speed?value=-1", 400),
                                   ("/flotilla/v1/control/rewind", 404)] {
                #expect(try await sim.request(.POST, path).0 == status, "\(path)")
            }
            let (moveStatus, _) = try await sim.request(.POST, "/flotilla/v1/ues/\(Self.rider)/move", ["x": 99_999, "y": 1])
            #expect(moveStatus == 400)
        }
    }

    @Test func subscriptionsDeliverNotificationsOverHTTP() async throws {
        let receiver = try await Receiver()
        try await Simulator.with { sim in
            await sim.runner.step(seconds: 2)
            let target = try await Self.elsewhere(sim)

            let (zonalStatus, zonal) = try await sim.request(.POST, "/location/v2/subscriptions/zonalTraffic", ["zonalTrafficSubscription": [
                "callbackReference": ["notifyURL": .string(receiver.url), "callbackData": "zone-watch"], "zoneId": .string(target.zone),
                "userEventCriteria": ["Entering"]]])
            #expect(zonalStatus == 201)
            #expect(zonal["zonalTrafficSubscription"]?["resourceURL"]?.stringValue?.contains("/subscriptions/zonalTraffic/") == true)
            let (trackingStatus, _) = try await sim.request(.POST, "/location/v2/subscriptions/userTracking", ["userTrackingSubscription": [
                "callbackReference": ["notifyURL": .string(receiver.url)], "address": .string(Self.rider)]])
            #expect(trackingStatus == 201)
            let (cellStatus, cell) = try await sim.request(.POST, "/rni/v2/subscriptions", [
                "subscriptionType": "CellChangeSubscription", "callbackReference": .string(receiver.url),
                "filterCriteriaAssocHo": ["associateId": [["type": 1, "value": .string(Self.rider)]], "hoStatus": [2, 3]]])
            #expect(cellStatus == 201)
            let cellHref = try #require(cell["_links"]?["self"]?["href"]?.stringValue)

            // The rider jumps into the other zone; the engine moves on 5 s.
            let (moveStatus, _) = try await sim.request(.POST, "/flotilla/v1/ues/\(Self.rider)/move", ["x": .double(target.x), "y": .double(target.y)])
            #expect(moveStatus == 200)
            await sim.runner.step(seconds: 5)

            try await waitUntil("notifications arrive", seconds: 10) {
                let bodies = receiver.received()
                let entering = bodies.contains {
                    $0["zonalPresenceNotification"]?["zoneId"]?.stringValue == target.zone
                        && $0["zonalPresenceNotification"]?["userEventType"] == "Entering"
                        && $0["zonalPresenceNotification"]?["address"]?.stringValue == Self.rider
                        && $0["zonalPresenceNotification"]?["callbackData"] == "zone-watch"
                }
                let leaving = bodies.contains { $0["zonalPresenceNotification"]?["userEventType"] == "Leaving" }
                let statuses = Set(bodies.compactMap { $0["notificationType"] == "CellChangeNotification" ? $0["hoStatus"]?.int64Value : nil })
                return entering && leaving && statuses == [2, 3]
            }
            let change = try #require(receiver.received().first { $0["notificationType"] == "CellChangeNotification" })
            #expect(change["associateId"]?.arrayValue?.first?["value"]?.stringValue == Self.rider)
            #expect(change["srcEcgi"]?["plmn"]?["mcc"] == "208")
            #expect(change["_links"]?["subscription"]?["href"]?.stringValue == cellHref)

            // Listing, reading with delivery status, deleting. A delivery is counted once the receiver's response is
            // back, which can be a moment after the receiver has the body: the count is polled, not read once.
            var listed: JSONValue = .null
            try await waitUntil("the zonal delivery is counted", seconds: 10) {
                let (_, list) = try await sim.request(.GET, "/location/v2/subscriptions/zonalTraffic")
                listed = list["notificationSubscriptionList"]?["zonalTrafficSubscription"]?.arrayValue?.first ?? .null
                return (listed["deliveryStatus"]?["delivered"]?.int64Value ?? 0) >= 1
            }
            #expect(listed["deliveryStatus"]?["state"] == "Active")
            let path = String(cellHref.dropFirst(sim.base.count))
            #expect(try await sim.request(.DELETE, path).0 == 204)
            #expect(try await sim.request(.GET, path).0 == 404)
        }
        receiver.task.cancel()
    }

    /// What the scheduler needs from the network: a LatencyMatrix the control plane admits, and demand per zone.
    @Test func latencyMatrixAndDemandForTheScheduler() async throws {
        try await Simulator.with { sim in
            await sim.runner.step(seconds: 2)
            let (status, matrix) = try await sim.request(.GET, "/flotilla/v1/latency-matrix")
            #expect(status == 200)
            guard case .success = ResourceRegistry.controlPlane.admit(matrix) else {
                Issue.record("the control plane does not admit \(matrix)")
                return
            }
            let harbour = try #require(matrix["spec"]?["areas"]?.arrayValue?.first { $0["name"] == "harbour" })
            // The harbour's typical user (median over its cells: a 5G cell, 12 ms) plus 1 ms to its own site, 38 ms to the cloud.
            #expect(harbour["rttMs"]?["edge-1"]?.doubleValue == 13)
            #expect(harbour["rttMs"]?["cloud"]?.doubleValue == 50)
            let (_, demand) = try await sim.request(.GET, "/flotilla/v1/demand?app=mobile-game")
            let areas = demand["demand"]?.arrayValue ?? []
            #expect(areas.count == 6)
            let total = areas.reduce(0) { $0 + Int($1["ues"]?.int64Value ?? 0) }
            let connected = await sim.runner.withNetwork { network in (0..<network.ueCount).filter { network.status(of: $0).servingCell != nil }.count }
            #expect(total == connected, "every demo UE plays the game")
            #expect(try await sim.request(.GET, "/flotilla/v1/demand").0 == 400)
        }
    }

    @Test func badSubscriptionsAreRejected() async throws {
        try await Simulator.with { sim in
            let cases: [(String, JSONValue)] = [
                ("/location/v2/subscriptions/zonalTraffic", ["zonalTrafficSubscription": ["callbackReference": ["notifyURL": "http://127.0.0.1:9/x"]]]),
                ("/location/v2/subscriptions/zonalTraffic", ["zonalTrafficSubscription": ["callbackReference": ["notifyURL": "ftp://x"], "zoneId": "harbour"]]),
                ("/location/v2/subscriptions/zonalTraffic", ["zonalTrafficSubscription": ["callbackReference": ["notifyURL": "http://127.0.0.1:9/x"], "zoneId": "atlantis"]]),
                ("/location/v2/subscriptions/zonalTraffic", ["zonalTrafficSubscription": ["callbackReference": ["notifyURL": "http://127.0.0.1:9/x"],
                    "zoneId": "harbour", "userEventCriteria": ["Teleporting"]]]),
                ("/location/v2/subscriptions/userTracking", ["userTrackingSubscription": ["callbackReference": ["notifyURL": "http://127.0.0.1:9/x"], "address": "10.9.9.9"]]),
                ("/location/v2/subscriptions/userTracking", ["wrongRoot": [:]]),
                ("/rni/v2/subscriptions", ["subscriptionType": "RabEstSubscription", "callbackReference": "http://127.0.0.1:9/x"]),
                ("/rni/v2/subscriptions", ["subscriptionType": "CellChangeSubscription", "callbackReference": "http://127.0.0.1:9/x",
                    "filterCriteriaAssocHo": ["hoStatus": [9]]]),
            ]
            for (path, body) in cases {
                let (status, problem) = try await sim.request(.POST, path, body)
                #expect(status == 400, "\(path) \(body)")
                #expect(problem["title"] == "Bad Request")
            }
            // Not JSON at all.
            var request = HTTPClientRequest(url: sim.base + "/rni/v2/subscriptions")
            request.method = .POST
            request.body = .bytes(ByteBuffer(string: "{not json"))
            #expect(try await sim.client.execute(request, timeout: .seconds(5)).status.code == 400)
            #expect(sim.runner.hub.subscriptions().isEmpty, "nothing was stored")
        }
    }

    @Test func failingCallbackIsMarkedAndExpiryEndsSubscriptions() async throws {
        try await Simulator.with { sim in
            await sim.runner.step(seconds: 2)
            let target = try await Self.elsewhere(sim)
            // Port 9 (discard) is closed on loopback: every POST fails at once.
            let (_, failing) = try await sim.request(.POST, "/location/v2/subscriptions/userTracking", ["userTrackingSubscription": [
                "callbackReference": ["notifyURL": "http://127.0.0.1:9/nobody"], "address": .string(Self.rider)]])
            let failingPath = String(try #require(failing["userTrackingSubscription"]?["resourceURL"]?.stringValue).dropFirst(sim.base.count))
            let (_, expiring) = try await sim.request(.POST, "/location/v2/subscriptions/zonalTraffic", ["zonalTrafficSubscription": [
                "callbackReference": ["notifyURL": "http://127.0.0.1:9/nobody"], "zoneId": "harbour", "duration": 1]])
            let expiringPath = String(try #require(expiring["zonalTrafficSubscription"]?["resourceURL"]?.stringValue).dropFirst(sim.base.count))

            _ = try await sim.request(.POST, "/flotilla/v1/ues/\(Self.rider)/move", ["x": .double(target.x), "y": .double(target.y)])
            let started = ContinuousClock.now
            await sim.runner.step(seconds: 5)
            #expect(ContinuousClock.now - started < .seconds(3), "stepping does not wait for callbacks")
            try await waitUntil("the subscription is marked Failing", seconds: 15) {
                let (_, body) = try await sim.request(.GET, failingPath)
                return body["userTrackingSubscription"]?["deliveryStatus"]?["state"] == "Failing"
            }
            #expect(try await sim.request(.GET, expiringPath).0 == 404, "expired after its 1 s duration")
        }
    }

    @Test func eventStreamCarriesNotifications() async throws {
        try await Simulator.with { sim in
            await sim.runner.step(seconds: 2)
            let target = try await Self.elsewhere(sim)
            let request = HTTPClientRequest(url: sim.base + "/flotilla/v1/events?address=\(Self.rider)")
            let response = try await sim.client.execute(request, timeout: .seconds(30))
            #expect(response.headers.first(name: "content-type") == "application/x-ndjson")
            _ = try await sim.request(.POST, "/flotilla/v1/ues/\(Self.rider)/move", ["x": .double(target.x), "y": .double(target.y)])
            await sim.runner.step(seconds: 5)
            var text = ""
            for try await chunk in response.body {
                text += String(buffer: chunk)
                if text.contains("\"Entering\"") && text.contains("CellChangeNotification") { break }
            }
            let lines = text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
            #expect(lines.contains { $0["zonalPresenceNotification"]?["zoneId"]?.stringValue == target.zone })
            #expect(lines.allSatisfy { ($0["zonalPresenceNotification"]?["address"] ?? $0["associateId"]?.arrayValue?.first?["value"])?.stringValue == Self.rider })
        }
    }
}
