import FlotillaAPI

/// The rules a decoded scenario must meet; each broken one is a `FieldError` at the field to fix.
enum ScenarioValidation {
    static func problems(in scenario: Scenario) -> [FieldError] {
        var errors: [FieldError] = []
        func check(_ condition: Bool, _ path: FieldPath, _ value: String, _ detail: String) {
            if !condition { errors.append(.invalid(path, value, detail)) }
        }
        func unique(_ names: [String], _ list: String) -> Set<String> {
            var seen = Set<String>()
            for (index, name) in names.enumerated() {
                let path = FieldPath(list).index(index).child("name")
                if name.isEmpty { errors.append(.required(path, "a name is required")) }
                if !seen.insert(name).inserted { errors.append(FieldError(.duplicate, path, value: name, "duplicate name \"\(name)\"")) }
            }
            return seen
        }
        let area = scenario.area
        func inside(_ x: Double, _ y: Double) -> Bool { x >= 0 && y >= 0 && x <= area.width && y <= area.height }
        func checkPoint(_ pair: [Double], _ path: FieldPath) {
            guard pair.count == 2 else { errors.append(.invalid(path, "\(pair)", "a point is [x, y] in metres")); return }
            check(inside(pair[0], pair[1]), path, "\(pair)", "outside the area (0…\(area.width) × 0…\(area.height) m)")
        }
        func checkRange(_ range: [Double]?, _ path: FieldPath, minimum: Double, what: String) {
            guard let range else { return }
            check(range.count == 2 && range[0] >= minimum && range[0] <= range[1] && range[1].isFinite, path, "\(range)",
                "\(what) is [min, max] with \(minimum) ≤ min ≤ max")
        }

        check(scenario.version == Scenario.currentVersion, FieldPath("version"), scenario.version,
            "unsupported version; this simulator reads \"\(Scenario.currentVersion)\"")
        if scenario.name.isEmpty { errors.append(.required(FieldPath("name"), "a scenario needs a name")) }
        if let step = scenario.step { check(step >= 0.001 && step <= 10, FieldPath("step"), "\(step)", "between 0.001 and 10 seconds") }
        check(area.width > 0 && area.width <= 200_000, FieldPath("area.width"), "\(area.width)", "between 0 and 200000 metres")
        check(area.height > 0 && area.height <= 200_000, FieldPath("area.height"), "\(area.height)", "between 0 and 200000 metres")
        check((-85...85).contains(area.latitude), FieldPath("area.latitude"), "\(area.latitude)", "between -85 and 85 degrees")
        check((-180...180).contains(area.longitude), FieldPath("area.longitude"), "\(area.longitude)", "between -180 and 180 degrees")

        let operators = unique(scenario.operators.map(\.name), "operators")
        for (index, op) in scenario.operators.enumerated() {
            let path = FieldPath("operators").index(index)
            check(op.mcc.count == 3 && op.mcc.allSatisfy(\.isNumber), path.child("mcc"), op.mcc, "an MCC is 3 digits")
            check((2...3).contains(op.mnc.count) && op.mnc.allSatisfy(\.isNumber), path.child("mnc"), op.mnc, "an MNC is 2 or 3 digits")
        }
        let zones = unique(scenario.zones.map(\.name), "zones")
        _ = unique(scenario.cells.map(\.name), "cells")
        for (index, cell) in scenario.cells.enumerated() {
            let path = FieldPath("cells").index(index)
            check(operators.contains(cell.operator), path.child("operator"), cell.operator, "no operator named \"\(cell.operator)\"")
            check(zones.contains(cell.zone), path.child("zone"), cell.zone, "no zone named \"\(cell.zone)\"")
            check(inside(cell.x, cell.y), path.child("x"), "[\(cell.x), \(cell.y)]", "the cell is outside the area")
            if let power = cell.txPowerDbm { check((0...60).contains(power), path.child("txPowerDbm"), "\(power)", "between 0 and 60 dBm") }
            if let f = cell.frequencyGHz { check(f >= 0.4 && f <= 100, path.child("frequencyGHz"), "\(f)", "between 0.4 and 100 GHz") }
            if let b = cell.bandwidthMHz { check(b >= 1.4 && b <= 400, path.child("bandwidthMHz"), "\(b)", "between 1.4 and 400 MHz") }
            if let h = cell.antennaHeight { check(h > 1.5 && h <= 150, path.child("antennaHeight"), "\(h)", "between 1.5 and 150 metres") }
            if let rtt = cell.accessRttMs { check(rtt >= 0 && rtt <= 1000, path.child("accessRttMs"), "\(rtt)", "between 0 and 1000 ms") }
            if cell.handoverMode == .daps {
                check(cell.rat == .nr, path.child("handoverMode"), "daps", "make-before-break (DAPS) is a 5G procedure")
            }
            if let model = cell.model, cell.rat == .wifi {
                check(model == .indoorWiFi, path.child("model"), model.rawValue, "WiFi access points use the InH-WiFi model")
            }
        }
        let sites = unique(scenario.sites.map(\.name), "sites")
        _ = sites
        for (index, site) in scenario.sites.enumerated() {
            let path = FieldPath("sites").index(index)
            check(NameValidation.dns1123Label(site.cluster).isEmpty, path.child("cluster"), site.cluster, "a Cluster name (DNS-1123 label)")
            check(inside(site.x, site.y), path.child("x"), "[\(site.x), \(site.y)]", "the site is outside the area")
            for (z, zone) in site.zones.enumerated() {
                check(zones.contains(zone), path.child("zones").index(z), zone, "no zone named \"\(zone)\"")
            }
            if let backhaul = site.backhaul {
                let bpath = path.child("backhaul")
                for (zone, ms) in backhaul.zones ?? [:] {
                    check(zones.contains(zone), bpath.child("zones").key(zone), zone, "no zone named \"\(zone)\"")
                    check(ms >= 0 && ms <= 10_000, bpath.child("zones").key(zone), "\(ms)", "between 0 and 10000 ms")
                }
                for (op, ms) in backhaul.operators ?? [:] {
                    check(operators.contains(op), bpath.child("operators").key(op), op, "no operator named \"\(op)\"")
                    check(ms >= 0 && ms <= 10_000, bpath.child("operators").key(op), "\(ms)", "between 0 and 10000 ms")
                }
                for (name, value) in [("localMs", backhaul.localMs), ("otherMs", backhaul.otherMs), ("jitterMs", backhaul.jitterMs)] {
                    if let value { check(value >= 0 && value <= 10_000, bpath.child(name), "\(value)", "between 0 and 10000 ms") }
                }
            }
        }
        let routes = unique((scenario.routes ?? []).map(\.name), "routes")
        for (index, route) in (scenario.routes ?? []).enumerated() {
            let path = FieldPath("routes").index(index)
            check(route.waypoints.count >= 2, path.child("waypoints"), "\(route.waypoints.count)", "a route has at least two waypoints")
            for (w, point) in route.waypoints.enumerated() { checkPoint(point, path.child("waypoints").index(w)) }
            if let speed = route.speed { check(speed > 0 && speed <= 100, path.child("speed"), "\(speed)", "between 0 and 100 m/s") }
        }
        _ = unique(scenario.populations.map(\.name), "populations")
        for (index, population) in scenario.populations.enumerated() {
            let path = FieldPath("populations").index(index)
            check((0...1_000_000).contains(population.count), path.child("count"), "\(population.count)", "between 0 and 1000000")
            check(operators.contains(population.operator), path.child("operator"), population.operator,
                "no operator named \"\(population.operator)\"")
            for (r, op) in (population.roaming ?? []).enumerated() {
                check(operators.contains(op), path.child("roaming").index(r), op, "no operator named \"\(op)\"")
            }
            if let preference = population.ratPreference {
                check(!preference.isEmpty && Set(preference).count == preference.count, path.child("ratPreference"),
                    preference.map(\.rawValue).joined(separator: ","), "a non-empty list of distinct RATs")
            }
            let mobility = population.mobility
            let mpath = path.child("mobility")
            checkRange(mobility.speed, mpath.child("speed"), minimum: 0.01, what: "speed (m/s)")
            checkRange(mobility.pause, mpath.child("pause"), minimum: 0, what: "pause (s)")
            if let position = mobility.position { checkPoint(position, mpath.child("position")) }
            for (p, place) in (mobility.places ?? []).enumerated() { checkPoint(place, mpath.child("places").index(p)) }
            for (r, route) in (mobility.routes ?? []).enumerated() {
                check(routes.contains(route), mpath.child("routes").index(r), route, "no route named \"\(route)\"")
            }
            if mobility.model == .route, population.count > 0 {
                check(!(mobility.routes ?? []).isEmpty, mpath.child("routes"), "[]", "the route model needs at least one route")
            }
        }
        if let radio = scenario.radio {
            if let nf = radio.noiseFigureDb { check((0...20).contains(nf), FieldPath("radio.noiseFigureDb"), "\(nf)", "between 0 and 20 dB") }
            if let h = radio.ueHeight { check((1...22.5).contains(h), FieldPath("radio.ueHeight"), "\(h)", "between 1 and 22.5 metres") }
        }
        if let measurement = scenario.measurement {
            if let interval = measurement.reportIntervalMs {
                check((10...10_000).contains(interval), FieldPath("measurement.reportIntervalMs"), "\(interval)", "between 10 and 10000 ms")
            }
            if let samples = measurement.samples { check((1...100).contains(samples), FieldPath("measurement.samples"), "\(samples)", "between 1 and 100") }
        }
        if let handover = scenario.handover {
            if let h = handover.hysteresisDb { check((0...20).contains(h), FieldPath("handover.hysteresisDb"), "\(h)", "between 0 and 20 dB") }
            if let t = handover.timeToTriggerMs { check((0...5120).contains(t), FieldPath("handover.timeToTriggerMs"), "\(t)", "between 0 and 5120 ms") }
            if let r = handover.radioLinkFailureMs {
                check((0...10_000).contains(r), FieldPath("handover.radioLinkFailureMs"), "\(r)", "between 0 and 10000 ms")
            }
            checkRange(handover.interOperatorMs, FieldPath("handover.interOperatorMs"), minimum: 0, what: "interruption (ms)")
        }
        if let generate = scenario.generate {
            let path = FieldPath("generate")
            check((1...16).contains(generate.operators), path.child("operators"), "\(generate.operators)", "between 1 and 16")
            check((1...100_000).contains(generate.cellsPerOperator), path.child("cellsPerOperator"), "\(generate.cellsPerOperator)", "between 1 and 100000")
            check((1...10_000).contains(generate.zones), path.child("zones"), "\(generate.zones)", "between 1 and 10000")
            check((1...10_000).contains(generate.sites), path.child("sites"), "\(generate.sites)", "between 1 and 10000")
            check((0...1_000_000).contains(generate.ues), path.child("ues"), "\(generate.ues)", "between 0 and 1000000")
            if let f = generate.wifiFraction { check((0...1).contains(f), path.child("wifiFraction"), "\(f)", "between 0 and 1") }
        }
        return errors
    }
}
