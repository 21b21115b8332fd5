import Foundation

/// A position in metres east (`x`) and north (`y`) of the scenario's south-west corner.
public struct Point: Sendable, Hashable, Codable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
    public init(_ pair: [Double]) { self.init(x: pair[0], y: pair[1]) }

    @inline(__always) public func distance(to other: Point) -> Double {
        let dx = x - other.x, dy = y - other.y
        return (dx * dx + dy * dy).squareRoot()
    }
}

/// Metres ⇄ WGS84 degrees around the area's corner (equirectangular; exact enough for a city).
public struct GeoFrame: Sendable {
    public let latitude: Double
    public let longitude: Double
    static let metresPerDegree = 111_320.0

    public init(latitude: Double, longitude: Double) {
        self.latitude = latitude
        self.longitude = longitude
    }

    public func coordinates(of point: Point) -> (latitude: Double, longitude: Double) {
        let lat = latitude + point.y / Self.metresPerDegree
        let lon = longitude + point.x / (Self.metresPerDegree * cos(latitude * .pi / 180))
        return (lat, lon)
    }

    public func point(latitude lat: Double, longitude lon: Double) -> Point {
        Point(x: (lon - longitude) * Self.metresPerDegree * cos(latitude * .pi / 180), y: (lat - latitude) * Self.metresPerDegree)
    }
}
