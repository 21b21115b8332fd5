import FlotillaAPI
import Foundation
import Testing
@testable import FlotillaInterpreter

/// Every operation of `flotilla interpret` on the GameServerSet customization in manifests/interpreter, with the
/// results named as Karmada names them.
@Suite struct InterpretationTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("manifests/interpreter")

    static func load(_ name: String) throws -> JSONValue {
        try YAMLCodec.decode(String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8))
    }

    static func interpreter() throws -> ResourceInterpreter {
        ResourceInterpreter(customizations: [try ResourceInterpreterCustomization(json: load("gameserverset-customization.yaml"))])
    }

    @Test func everyOperation() throws {
        let interpreter = try Self.interpreter()
        let set = try Self.load("gameserverset.yaml")
        var observed = set
        observed["status"] = ["readyServers": 4, "players": 70, "observedGeneration": 1]
        observed.setValue(30123, at: ["spec", "allocatedPort"])
        let items = try ObjectDecoder().decode([AggregatedStatusItem].self, from: Self.load("gameserverset-statuses.yaml"))

        let replica = try Interpretation(operation: .interpretReplica, desired: set).run(with: interpreter)
        #expect(replica["replica"] == 4)
        #expect(replica["requires"]?["resourceRequest"] == ["cpu": "500m", "memory": "256Mi"])
        let revised = try Interpretation(operation: .reviseReplica, desired: set, desiredReplica: 2).run(with: interpreter)
        #expect(revised["revised"]?["spec"]?["replicas"] == 2)
        let retained = try Interpretation(operation: .retain, desired: set, observed: observed).run(with: interpreter)
        #expect(retained["retained"]?["spec"]?["allocatedPort"] == 30123)
        let aggregated = try Interpretation(operation: .aggregateStatus, desired: set, statusItems: items).run(with: interpreter)
        #expect(aggregated["aggregatedStatus"]?["status"] == ["readyServers": 3, "players": 49, "clusters": ["edge-1", "edge-2"]])
        let status = try Interpretation(operation: .interpretStatus, observed: observed).run(with: interpreter)
        #expect(status["status"] == ["readyServers": 4, "players": 70, "observedGeneration": 1])
        #expect(try Interpretation(operation: .interpretHealth, observed: observed).run(with: interpreter)["healthy"] == true)
        #expect(try Interpretation(operation: .interpretHealth, observed: set).run(with: interpreter)["healthy"] == false)
        let dependencies = try Interpretation(operation: .interpretDependency, desired: set).run(with: interpreter)["dependencies"]
        #expect(dependencies?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["game-keys", "matchmaker"])
        #expect(throws: ScriptError.self) { try Interpretation(operation: .interpretComponent, desired: set).run(with: interpreter) }
    }

    @Test func operationNamesAreCaseInsensitive() {
        #expect(InterpreterOperation(named: "aggregatestatus") == .aggregateStatus)
        #expect(InterpreterOperation(named: "INTERPRETHEALTH") == .interpretHealth)
        #expect(InterpreterOperation(named: "Prune") == nil)
    }

    @Test func missingInputsAreClearErrors() throws {
        let interpreter = try Self.interpreter()
        let set = try Self.load("gameserverset.yaml")
        let replica = #expect(throws: ScriptError.self) { try Interpretation(operation: .reviseReplica, desired: set).run(with: interpreter) }
        #expect(replica?.message == "ReviseReplica needs --desired-replica")
        let retain = #expect(throws: ScriptError.self) { try Interpretation(operation: .retain, desired: set).run(with: interpreter) }
        #expect(retain?.message.contains("--observed-file") == true)
    }

    @Test func aScriptReturningTheWrongShapeIsAnError() throws {
        var rules = CustomizationRules()
        rules.replicaResource = LuaScriptRule(luaScript: "function GetReplicas(o) return 'three' end")
        rules.healthInterpretation = LuaScriptRule(luaScript: "function InterpretHealth(o) return 1 end")
        let interpreter = ResourceInterpreter(customizations: [ResourceInterpreterCustomization(metadata: ObjectMeta(name: "wrong"),
            spec: ResourceInterpreterCustomizationSpec(target: CustomizationTarget(apiVersion: "games.flotilla.io/v1alpha1", kind: "GameServerSet"),
                                                       customizations: rules))])
        let set = try Self.load("gameserverset.yaml")
        #expect(throws: ScriptError.self) { try interpreter.replicas(of: set) }
        #expect(throws: ScriptError.self) { try interpreter.health(set) }
    }
}
