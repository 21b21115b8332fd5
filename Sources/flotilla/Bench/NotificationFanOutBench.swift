import AccessNetworkSim
import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import Synchronization

/// Fan-out of engine events to MEC 013 zonal-traffic subscriptions (one per zone), delivered over HTTP to a
/// loopback receiver: the rate from publishing to the last notification received.
enum NotificationFanOutBench {
    struct Result {
        var subscribers: Int
        var rate: Double
        var delivered: Int
    }

    static func run(network: AccessNetwork, notifications: Int) async -> Result {
        let received = Atomic<Int>(0)
        let router = Router()
        router.post("/cb/:zone") { request, _ -> HTTPResponse.Status in
            _ = try await request.body.collect(upTo: 64 * 1024)
            received.add(1, ordering: .relaxed)
            return .noContent
        }
        let port = Mutex<Int?>(nil)
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port } })
        let client = HTTPNotificationSender.makeClient()
        let hub = NotificationHub(sender: HTTPNotificationSender(client: client))
        var result = Result(subscribers: 0, rate: 0, delivered: 0)
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await app.runService() }
            while port.withLock({ $0 }) == nil { try? await Task.sleep(for: .milliseconds(10)) }
            let base = "http://127.0.0.1:\(port.withLock { $0 }!)"
            for zone in network.topology.zoneNames.indices {
                let id = hub.newID()
                hub.add(Subscription(id: id, kind: .zonalTraffic, zone: zone, ues: [], userEvents: Set(Subscription.UserEvent.allCases),
                    hoStatus: [], cells: [], callbackURL: "\(base)/cb/\(zone)", callbackData: nil, expiresAt: nil, representation: [:]))
            }
            result.subscribers = network.topology.zoneNames.count
            // Events from the engine until there are enough location changes to send.
            var events: [NetworkEvent] = []
            while events.count < notifications / 2, network.now < 600 {
                network.step()
                events += network.drainEvents()
            }
            let start = ContinuousClock.now
            hub.publish(events, network: network, epoch: 0)
            let ids = hub.subscriptions().map(\.id)
            var expected = 0
            // Wait until every queue is empty (delivered + dropped accounts for everything enqueued).
            while true {
                let states = ids.compactMap { hub.delivery($0) }
                let delivered = states.reduce(0) { $0 + $1.delivered }
                if expected == delivered, delivered > 0 { break }
                expected = delivered
                try? await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = ContinuousClock.now - start - .milliseconds(50)
            result.delivered = received.load(ordering: .relaxed)
            result.rate = Double(result.delivered) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            hub.closeAllStreams()
            group.cancelAll()
        }
        try? await client.shutdown()
        return result
    }
}
