import FlotillaAPI
import Foundation
import Hummingbird

/// The simulator's HTTP API: MEC 013 Location (`/location/v2`), MEC 012 RNIS (`/rni/v2`), a NEF's QoS on demand
/// (`/3gpp-as-session-with-qos/v1`, 3GPP TS 29.122), and Flotilla's
/// extension (`/flotilla/v1`: predicted RTT per site, topology, UE status, an event stream, and control).
/// docs/access-network-simulator.md lists every route with examples.
public struct AccessNetworkAPI: Sendable {
    public let runner: SimulationRunner
    public var hub: NotificationHub { runner.hub }

    public init(runner: SimulationRunner) { self.runner = runner }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: ProblemDetailsMiddleware())
        addLocationRoutes(to: router)
        addSubscriptionRoutes(to: router)
        addRadioRoutes(to: router)
        addExtensionRoutes(to: router)
        addControlRoutes(to: router)
        addQoSRoutes(to: router)
        return router
    }

    var root: String { hub.apiRoot.withLock { $0 } }

    /// ETSI time stamp of the current simulated time.
    static func timestamp(_ network: AccessNetwork, epoch: Double) -> JSONValue { Notifications.timestamp(epoch + network.now) }

    func ue(_ address: String, in network: AccessNetwork) throws -> Int {
        let trimmed = address.hasPrefix("acr:") ? String(address.dropFirst(4)) : address
        guard let ue = network.ue(address: trimmed) else { throw ProblemDetails.notFound("no user with address \"\(address)\"") }
        return ue
    }

    func zone(_ name: String, in network: AccessNetwork, status: HTTPResponse.Status = .notFound) throws -> Int {
        guard let zone = network.topology.zoneIndex(named: name) else { throw ProblemDetails(status, "no zone named \"\(name)\"") }
        return zone
    }

    func cell(_ name: String, in network: AccessNetwork, status: HTTPResponse.Status = .notFound) throws -> Int {
        guard let cell = network.topology.cellIndex(named: name) else {
            throw ProblemDetails(status, "no access point named \"\(name)\"")
        }
        return cell
    }

    /// MEC 013 v2 LocationInfo: shape 2 = POINT; Flotilla adds the scenario's metres. With a velocity (a UE's), its
    /// `velocity` {velocityType 1 = HORIZONTAL, bearing in degrees clockwise from north, horizontalSpeed in km/h}.
    static func locationInfo(_ point: Point, frame: GeoFrame, velocity: Point? = nil) -> JSONValue {
        let (latitude, longitude) = frame.coordinates(of: point)
        var info: JSONObject = ["latitude": [.double(latitude)], "longitude": [.double(longitude)], "shape": 2,
                                         "x": .double((point.x * 10).rounded() / 10), "y": .double((point.y * 10).rounded() / 10)]
        if let velocity {
            let speed = (velocity.x * velocity.x + velocity.y * velocity.y).squareRoot()
            var bearing = atan2(velocity.x, velocity.y) * 180 / .pi
            if bearing < 0 { bearing += 360 }
            info["velocity"] = ["velocityType": 1, "bearing": .integer(speed > 0 ? Int64(bearing.rounded()) % 360 : 0),
                                "horizontalSpeed": .double((speed * 3.6 * 10).rounded() / 10)]
        }
        return .object(info)
    }
}
