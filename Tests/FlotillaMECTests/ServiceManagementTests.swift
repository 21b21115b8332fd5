import FlotillaAPI
import FlotillaAppKit
import FlotillaControllers
import FlotillaMEC
import FlotillaTestSupport
import Foundation
import Hummingbird
import Synchronization
import Testing

/// MEC 011's service registry as apps use it: register, discover with filters, update, subscribe, deregister, and
/// the registered service in the catalog.
@Suite struct ServiceManagementTests {
    static let info: JSONValue = [
        "serName": "matchmaker", "serCategory": ["href": "https://example.org/c/1", "id": "lobby", "name": "Lobby", "version": "1"],
        "version": "1.2", "state": "ACTIVE", "serializer": "JSON", "scopeOfLocality": "MEC_HOST", "consumedLocalOnly": false, "isLocal": true,
        "transportInfo": ["id": "t1", "name": "REST", "type": "REST_HTTP", "protocol": "HTTP", "version": "1.1",
                          "endpoint": ["uris": ["http://127.0.0.1:9999/match"]]],
    ]

    @Test func registerDiscoverSubscribeAndDeregister() async throws {
        // A subscriber: records the notifications POSTed to it.
        let received = Mutex<[JSONValue]>([])
        let router = Router()
        router.post("/notify") { request, _ in
            let body = try await request.body.collect(upTo: 1 << 20)
            if let value = try? JSONValue.parse(Array(body.readableBytesView)) { received.withLock { $0.append(value) } }
            return HTTPResponse.Status.noContent
        }
        let subscriber = try await AppServer.start(router: router, name: "subscriber")
        let server = try await RunningServer.start(extensions: { store in [ServiceManagementAPI(client: StoreObjectClient(store: store))] })
        do {
            try await TestClient(server: server, token: server.data.adminToken).using { (client: TestClient) async throws in
                let base = "/mec_service_mgmt/v1"
                let subscribed = try await client.request(.POST, "\(base)/applications/app-2/subscriptions", json: [
                    "subscriptionType": "SerAvailabilityNotificationSubscription", "callbackReference": .string("http://127.0.0.1:\(subscriber.port)/notify"),
                    "filteringCriteria": ["serNames": ["matchmaker"], "states": ["ACTIVE", "INACTIVE"]]])
                #expect(subscribed.status == 201, "\(subscribed.text)")

                let registered = try await client.request(.POST, "\(base)/applications/app-1/services", json: Self.info)
                #expect(registered.status == 201, "\(registered.text)")
                let id = try #require(registered.json?["serInstanceId"]?.stringValue)
                #expect(registered.json?["_links"]?["self"]?["href"]?.stringValue == "\(base)/applications/app-1/services/\(id)")

                let found = try await client.request(.GET, "\(base)/services?ser_name=matchmaker")
                #expect(found.json?.arrayValue?.map { $0["serInstanceId"]?.stringValue } == [id])
                #expect(try await client.request(.GET, "\(base)/services?ser_name=other").json?.arrayValue?.isEmpty == true)
                #expect(try await client.request(.GET, "\(base)/services?ser_category_id=lobby&is_local=true").json?.arrayValue?.count == 1)
                #expect(try await client.request(.GET, "\(base)/services?scope_of_locality=ZONE").json?.arrayValue?.isEmpty == true)
                let exclusive = try await client.request(.GET, "\(base)/services?ser_name=a&ser_instance_id=b")
                #expect(exclusive.status == 400 && exclusive.header("Content-Type") == "application/problem+json")

                // In the catalog, bindable.
                let offering = try await client.request(.GET, "/apis/catalog.flotilla.io/v1alpha1/serviceofferings/mec-\(id)")
                #expect(offering.status == 200 && offering.json?["spec"]?["registeredService"]?.stringValue == id)

                var changed = Self.info
                changed["state"] = "INACTIVE"
                #expect(try await client.request(.PUT, "\(base)/applications/app-1/services/\(id)", json: changed).status == 200)
                #expect(try await client.request(.PUT, "\(base)/applications/app-9/services/\(id)", json: changed).status == 404)
                #expect(try await client.request(.DELETE, "\(base)/applications/app-1/services/\(id)").status == 204)
                #expect(try await client.request(.GET, "\(base)/services/\(id)").status == 404)
                #expect(try await client.request(.GET, "/apis/catalog.flotilla.io/v1alpha1/serviceofferings/mec-\(id)").status == 404)

                try await waitUntil("three notifications", seconds: 10) { received.withLock { $0.count } == 3 }
                let changes = received.withLock { $0 }.compactMap { $0["serviceReferences"]?.arrayValue?.first?["changeType"]?.stringValue }
                #expect(Set(changes) == ["ADDED", "STATE_CHANGED", "REMOVED"])

                // Bad input: a ServiceInfo missing what MEC 011 requires, a platform-assigned id, unknown paths.
                var broken = Self.info
                broken["state"] = "RUNNING"
                broken["transportInfo"]?["type"] = "CARRIER_PIGEON"
                let refused = try await client.request(.POST, "\(base)/applications/app-1/services", json: broken)
                #expect(refused.status == 400 && refused.json?["detail"]?.stringValue?.contains("serviceInfo.state") == true, "\(refused.text)")
                var withID = Self.info
                withID["serInstanceId"] = "mine"
                #expect(try await client.request(.POST, "\(base)/applications/app-1/services", json: withID).status == 400)
                #expect(try await client.request(.GET, "\(base)/nothing").status == 404)
                #expect(try await client.request(.GET, "\(base)/transports").json?.arrayValue?.first?["type"] == "REST_HTTP")
            }
        } catch {
            Issue.record("\(error)")
        }
        await server.stop()
        await subscriber.stop()
    }

    /// A subscriber that is down costs it its notifications, nothing else: registration answers at once.
    @Test func aDeadSubscriberDoesNotHoldUpRegistration() async throws {
        let server = try await RunningServer.start(extensions: { store in [ServiceManagementAPI(client: StoreObjectClient(store: store))] })
        do {
            try await TestClient(server: server, token: server.data.adminToken).using { (client: TestClient) async throws in
                let base = "/mec_service_mgmt/v1"
                // Port 9 (discard) on loopback: nothing listens, connections are refused.
                #expect(try await client.request(.POST, "\(base)/applications/app-2/subscriptions", json: [
                    "subscriptionType": "SerAvailabilityNotificationSubscription", "callbackReference": "http://127.0.0.1:9/notify"]).status == 201)
                let started = ContinuousClock.now
                let registered = try await client.request(.POST, "\(base)/applications/app-1/services", json: Self.info)
                #expect(registered.status == 201)
                #expect(ContinuousClock.now - started < .seconds(5), "registration waited for the dead subscriber (one delivery try alone takes 5 s)")
                #expect(try await client.request(.GET, "\(base)/services?ser_name=matchmaker").json?.arrayValue?.count == 1)
                let refused = try await client.request(.POST, "\(base)/applications/app-2/subscriptions", json: [
                    "subscriptionType": "SerAvailabilityNotificationSubscription", "callbackReference": "ftp://x",
                    "filteringCriteria": ["serNames": ["a"], "serInstanceIds": ["b"]]])
                #expect(refused.status == 400 && refused.header("Content-Type") == "application/problem+json", "\(refused.text)")
            }
        } catch {
            Issue.record("\(error)")
        }
        await server.stop()
    }
}
