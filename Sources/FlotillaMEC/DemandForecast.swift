import FlotillaAPI
import Foundation

/// Where and how fast a UE moves, as the access network reports it (MEC 013 `LocationInfo` with its `velocity`).
public struct UEMotion: Sendable, Hashable {
    public var latitude: Double
    public var longitude: Double
    /// Degrees clockwise from north.
    public var bearingDegrees: Double
    public var speedMps: Double

    public init(latitude: Double, longitude: Double, bearingDegrees: Double, speedMps: Double) {
        self.latitude = latitude
        self.longitude = longitude
        self.bearingDegrees = bearingDegrees
        self.speedMps = speedMps
    }

    /// The place it reaches in `seconds` on its present course (a flat-earth step: exact enough over the few hundred
    /// metres a forecast looks ahead).
    public func projected(seconds: Double) -> (latitude: Double, longitude: Double) {
        let distance = speedMps * seconds
        let bearing = bearingDegrees * .pi / 180
        let latitude = self.latitude + distance * cos(bearing) / UEMotion.metresPerDegree
        let longitude = self.longitude + distance * sin(bearing) / (UEMotion.metresPerDegree * cos(self.latitude * .pi / 180))
        return (latitude, longitude)
    }

    static let metresPerDegree = 111_320.0

    /// From a MEC 013 `LocationInfo` (latitude/longitude arrays; `velocity.horizontalSpeed` in km/h); nil without a place.
    public init?(locationInfo info: JSONValue?) {
        guard let info, let latitude = info["latitude"]?.arrayValue?.first?.doubleValue ?? info["latitude"]?.doubleValue,
              let longitude = info["longitude"]?.arrayValue?.first?.doubleValue ?? info["longitude"]?.doubleValue else { return nil }
        self.init(latitude: latitude, longitude: longitude, bearingDegrees: info["velocity"]?["bearing"]?.doubleValue ?? 0,
                  speedMps: (info["velocity"]?["horizontalSpeed"]?.doubleValue ?? 0) / 3.6)
    }
}

/// Demand per access area for DemandWeighted placement, looking ahead: each session counts in the area its UE is in
/// now and, when its UE is moving into another one, in that area too — so the scheduler gives the area it is heading
/// to capacity before it arrives, while the area it leaves keeps serving it. Pure.
///
/// The look-ahead (`MobilityService.Configuration.demandLookahead`) is how long capacity takes to appear: the
/// demand report's period, the scheduler and the member's rollout, and the pod's startup.
/// Example: three sessions in `harbour`, one of them riding toward `station`; → harbour 3, station 1.
public enum DemandForecast {
    /// Below this speed a UE is taken to be standing (walking pace jitter, a phone on a table).
    public static let movingMps = 0.5

    /// `now`: each session's area now; `ahead`: the area its UE will be in after the look-ahead, where known.
    public static func demand(now: [String: String], ahead: [String: String]) -> [String: Int] {
        var demand: [String: Int] = [:]
        for (_, area) in now { demand[area, default: 0] += 1 }
        for (session, area) in ahead where now[session] != area { demand[area, default: 0] += 1 }
        return demand
    }
}
