/// How one UE moves. A value type stepped by the engine; all randomness from the UE's own generator.
public struct Mobility: Sendable {
    public enum Kind: Sendable, Equatable {
        case stationary
        case randomWaypoint
        case route(Int)
        case nomadic
        /// Told to go somewhere by the control API: walk there (or jump, at speed 0) and stay.
        case directed
    }

    public var kind: Kind
    public var target: Point
    public var speed: Double
    public var pausedUntil: Double
    /// Route progress: the waypoint being walked to and the direction of travel.
    var waypoint: Int
    var forward: Bool
    let speedRange: ClosedRange<Double>
    let pauseRange: ClosedRange<Double>
    let places: [Point]

    init(kind: Kind, target: Point, speedRange: ClosedRange<Double>, pauseRange: ClosedRange<Double>, places: [Point] = []) {
        self.kind = kind
        self.target = target
        self.speed = speedRange.lowerBound
        self.pausedUntil = 0
        self.waypoint = 0
        self.forward = true
        self.speedRange = speedRange
        self.pauseRange = pauseRange
        self.places = places
    }

    /// Moves `position` by `dt` seconds at time `now`.
    @inline(__always)
    mutating func step(_ position: inout Point, now: Double, dt: Double, routes: [CompiledRoute], area: (Double, Double),
                       rng: inout SplitMix64) {
        switch kind {
        case .stationary:
            return
        case .directed:
            _ = walk(&position, toward: target, distance: speed * dt)
        case .randomWaypoint, .nomadic:
            if now < pausedUntil { return }
            if walk(&position, toward: target, distance: speed * dt) {
                pausedUntil = now + rng.uniform(pauseRange.lowerBound, pauseRange.upperBound)
                target = kind == .nomadic && !places.isEmpty
                    ? places[Int(rng.next() % UInt64(places.count))]
                    : Point(x: rng.uniform(0, area.0), y: rng.uniform(0, area.1))
                speed = rng.uniform(speedRange.lowerBound, speedRange.upperBound)
            }
        case .route(let number):
            var remaining = speed * dt
            let route = routes[number]
            // A fast UE may pass several waypoints in one step.
            while remaining > 0 {
                let point = route.points[waypoint]
                let gap = position.distance(to: point)
                if gap > remaining {
                    _ = walk(&position, toward: point, distance: remaining)
                    return
                }
                position = point
                remaining -= gap
                guard advanceWaypoint(route) else { return }
            }
        }
    }

    /// Picks the next waypoint at a route's end as the route says; false when the UE stops there.
    mutating func advanceWaypoint(_ route: CompiledRoute) -> Bool {
        let last = route.points.count - 1
        if forward {
            if waypoint < last { waypoint += 1; return true }
            switch route.end {
            case .loop: waypoint = 0
            case .reverse: forward = false; waypoint = last - 1
            case .stop: kind = .stationary; return false
            }
        } else {
            if waypoint > 0 { waypoint -= 1; return true }
            forward = true
            waypoint = 1
        }
        return true
    }

    /// Moves toward `target` by at most `distance`; true when it arrived.
    @inline(__always)
    func walk(_ position: inout Point, toward target: Point, distance: Double) -> Bool {
        let dx = target.x - position.x, dy = target.y - position.y
        let gap = (dx * dx + dy * dy).squareRoot()
        if gap <= distance || gap == 0 {
            position = target
            return true
        }
        let f = distance / gap
        position.x += dx * f
        position.y += dy * f
        return false
    }
}

/// A route with its waypoints as points and its length, for spreading UEs along it.
public struct CompiledRoute: Sendable {
    public let name: String
    public let points: [Point]
    public let speed: Double?
    public let end: Scenario.RouteEnd

    init(_ route: Scenario.Route) {
        name = route.name
        points = route.waypoints.map(Point.init)
        speed = route.speed
        end = route.end ?? .loop
    }

    /// The position a fraction `f` of the way along the route, and the index of the next waypoint.
    func position(at f: Double) -> (Point, Int) {
        var lengths: [Double] = []
        for i in 1..<points.count { lengths.append(points[i - 1].distance(to: points[i])) }
        var remaining = f * lengths.reduce(0, +)
        for (i, length) in lengths.enumerated() {
            if remaining <= length, length > 0 {
                let t = remaining / length
                let a = points[i], b = points[i + 1]
                return (Point(x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t), i + 1)
            }
            remaining -= length
        }
        return (points[points.count - 1], points.count - 1)
    }
}
