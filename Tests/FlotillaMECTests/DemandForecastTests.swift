import Foundation
import FlotillaAPI
import Testing
@testable import FlotillaMEC

/// The pure half of DemandWeighted pre-scaling: where a UE will be, and what that makes the demand per area.
@Suite struct DemandForecastTests {
    @Test func aSessionCountsWhereItIsAndWhereItIsHeading() {
        let now = ["a": "harbour", "b": "harbour", "c": "harbour", "d": "station"]
        // c rides toward the station; d stays (its forecast is its own area); b has no forecast.
        let ahead = ["c": "station", "d": "station", "a": "harbour"]
        #expect(DemandForecast.demand(now: now, ahead: ahead) == ["harbour": 3, "station": 2])
        #expect(DemandForecast.demand(now: [:], ahead: ["x": "far"]) == ["far": 1])
    }

    @Test func projectionFollowsBearingAndSpeed() {
        let east = UEMotion(latitude: 43.7, longitude: 7.4, bearingDegrees: 90, speedMps: 20)
        let (latitude, longitude) = east.projected(seconds: 10)
        let metresEast = (longitude - 7.4) * UEMotion.metresPerDegree * cos(43.7 * .pi / 180)
        #expect(abs(latitude - 43.7) < 1e-9 && abs(metresEast - 200) < 1e-6)
        let north = UEMotion(latitude: 43.7, longitude: 7.4, bearingDegrees: 0, speedMps: 10).projected(seconds: 3)
        #expect(abs((north.latitude - 43.7) * UEMotion.metresPerDegree - 30) < 1e-6 && north.longitude == 7.4)
    }

    @Test func motionFromMEC013LocationInfo() throws {
        let info = try JSONValue.parse(Array(#"{"latitude":[43.7],"longitude":[7.4],"shape":2,"velocity":{"velocityType":1,"bearing":270,"horizontalSpeed":36}}"#.utf8))
        #expect(UEMotion(locationInfo: info) == UEMotion(latitude: 43.7, longitude: 7.4, bearingDegrees: 270, speedMps: 10))
        let still = try JSONValue.parse(Array(#"{"latitude":[1],"longitude":[2],"shape":2}"#.utf8))
        #expect(UEMotion(locationInfo: still)?.speedMps == 0)
        #expect(UEMotion(locationInfo: try JSONValue.parse(Array(#"{"shape":2}"#.utf8))) == nil)
    }
}
