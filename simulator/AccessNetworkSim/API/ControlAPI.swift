import FlotillaAPI
import Hummingbird

/// Control of the run, for tests and the demo: pause, resume, step, speed, and moving a named UE.
extension AccessNetworkAPI {
    func addControlRoutes(to router: Router<BasicRequestContext>) {
        let api = self
        router.get("/flotilla/v1/control") { _, _ in Reply.json(await api.controlState()) }
        router.post("/flotilla/v1/control/:action") { request, context in
            switch context.parameters.get("action") {
            case "pause": await api.runner.pause()
            case "resume": await api.runner.resume()
            case "step":
                let seconds = try request.number("seconds") ?? 1
                guard seconds > 0, seconds <= 86_400 else { throw ProblemDetails.badRequest("seconds must be between 0 and 86400") }
                await api.runner.step(seconds: seconds)
            case "speed":
                guard let value = try request.number("value"), value >= 0, value <= 10_000 else {
                    throw ProblemDetails.badRequest("speed needs ?value=X with 0 ≤ X ≤ 10000 (0 = as fast as possible)")
                }
                await api.runner.setSpeed(value)
            default:
                throw ProblemDetails.notFound("unknown control action; use pause, resume, step or speed")
            }
            return Reply.json(await api.controlState())
        }
        router.post("/flotilla/v1/ues/:address/move") { request, context in
            let address = context.parameters.get("address") ?? ""
            let body = try await Reply.body(request)
            let speed = body["speed"]?.doubleValue ?? 0
            guard speed >= 0, speed <= 100 else { throw ProblemDetails.badRequest("speed is metres per second, 0 to 100 (0 jumps)") }
            let epoch = api.runner.epoch
            return Reply.json(try await api.runner.withNetwork { network in
                let ue = try api.ue(address, in: network)
                let point: Point
                if let lat = body["latitude"]?.doubleValue, let lon = body["longitude"]?.doubleValue {
                    point = network.topology.frame.point(latitude: lat, longitude: lon)
                } else if let x = body["x"]?.doubleValue, let y = body["y"]?.doubleValue {
                    point = Point(x: x, y: y)
                } else {
                    throw ProblemDetails.badRequest("give x and y (metres) or latitude and longitude")
                }
                let area = network.topology.scenario.area
                guard point.x >= 0, point.y >= 0, point.x <= area.width, point.y <= area.height else {
                    throw ProblemDetails.badRequest("that place is outside the scenario's area")
                }
                network.move(ue: ue, to: point, speed: speed)
                return api.ueStatus(ue, network: network, epoch: epoch)
            })
        }
    }

    func controlState() async -> JSONValue {
        let (paused, speed) = (await runner.paused, await runner.speed)
        let epoch = runner.epoch
        return await runner.withNetwork { network in
            ["scenario": .string(network.topology.scenario.name), "seed": .integer(Int64(bitPattern: network.seed)),
             "time": .double(network.now), "steps": .integer(Int64(network.steps)), "stepSeconds": .double(network.stepSeconds),
             "paused": .bool(paused), "speed": .double(speed), "ues": .integer(Int64(network.ueCount)),
             "cells": .integer(Int64(network.topology.cells.count)), "timestamp": AccessNetworkAPI.timestamp(network, epoch: epoch)]
        }
    }
}
