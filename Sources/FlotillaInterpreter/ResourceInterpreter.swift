import FlotillaAPI

/// The operations of Karmada's resource interpreter, by the names `flotilla interpret --operation` takes.
public enum InterpreterOperation: String, CaseIterable, Sendable {
    case interpretReplica = "InterpretReplica"
    case interpretComponent = "InterpretComponent"
    case reviseReplica = "ReviseReplica"
    case retain = "Retain"
    case aggregateStatus = "AggregateStatus"
    case interpretStatus = "InterpretStatus"
    case interpretHealth = "InterpretHealth"
    case interpretDependency = "InterpretDependency"

    /// Case-insensitive, as karmadactl takes it.
    public init?(named name: String) {
        guard let match = Self.allCases.first(where: { $0.rawValue.lowercased() == name.lowercased() }) else { return nil }
        self = match
    }

    /// The customization field that scripts it and the Lua function the script defines.
    public var rule: (field: KeyPath<CustomizationRules, LuaScriptRule?>, name: String, function: String) {
        switch self {
        case .interpretReplica: (\.replicaResource, "replicaResource", "GetReplicas")
        case .interpretComponent: (\.componentResource, "componentResource", "GetComponents")
        case .reviseReplica: (\.replicaRevision, "replicaRevision", "ReviseReplica")
        case .retain: (\.retention, "retention", "Retain")
        case .aggregateStatus: (\.statusAggregation, "statusAggregation", "AggregateStatus")
        case .interpretStatus: (\.statusReflection, "statusReflection", "ReflectStatus")
        case .interpretHealth: (\.healthInterpretation, "healthInterpretation", "InterpretHealth")
        case .interpretDependency: (\.dependencyInterpretation, "dependencyInterpretation", "GetDependencies")
        }
    }
}

/// Karmada's resource interpreter: for each operation, the script of a ResourceInterpreterCustomization that targets
/// the object's apiVersion and kind, else the built-in (`BuiltinInterpreters`), else the default each method names.
/// Values only: build one from the customizations in the store and replace it when they change.
public struct ResourceInterpreter: Sendable {
    /// Scripts by `apiVersion/kind` and operation.
    private let scripts: [String: [InterpreterOperation: (source: String, customization: String)]]
    private let lua: LuaRunner

    public init(customizations: [ResourceInterpreterCustomization] = [], lua: LuaRunner = .shared) {
        var scripts: [String: [InterpreterOperation: (source: String, customization: String)]] = [:]
        // Several customizations may target one kind: the first by name scripts an operation.
        for customization in customizations.sorted(by: { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }) {
            let key = Self.key(apiVersion: customization.spec.target.apiVersion, kind: customization.spec.target.kind)
            for operation in InterpreterOperation.allCases {
                guard scripts[key]?[operation] == nil, let rule = customization.spec.customizations[keyPath: operation.rule.field] else { continue }
                scripts[key, default: [:]][operation] = (rule.luaScript, customization.metadata.name ?? "")
            }
        }
        self.scripts = scripts
        self.lua = lua
    }

    static func key(apiVersion: String, kind: String) -> String { "\(apiVersion)/\(kind)" }

    /// Whether a customization scripts this operation for the object's kind.
    public func isCustomized(_ operation: InterpreterOperation, for object: JSONValue) -> Bool { script(operation, object) != nil }

    private func script(_ operation: InterpreterOperation, _ object: JSONValue) -> (source: String, customization: String)? {
        scripts[Self.key(apiVersion: object.apiVersion ?? "", kind: object.kind ?? "")]?[operation]
    }

    private func run(_ operation: InterpreterOperation, _ script: (source: String, customization: String), arguments: [JSONValue],
                     results: Int) throws(ScriptError) -> [JSONValue?] {
        try lua.call(script.source, chunkName: "\(script.customization).\(operation.rule.name)", function: operation.rule.function,
                     arguments: arguments, results: results)
    }

    /// Replicas and per-replica requirements; nil for a kind without replicas (it is placed whole on each cluster).
    public func replicas(of object: JSONValue) throws(ScriptError) -> ReplicaInterpretation? {
        guard let script = script(.interpretReplica, object) else { return BuiltinInterpreters.replicas(object) }
        let results = try run(.interpretReplica, script, arguments: [object], results: 2)
        guard let count = results[0]?.int64Value else {
            throw ScriptError("GetReplicas must return a whole number of replicas first, not \(results[0].map { "\($0)" } ?? "nil")")
        }
        if let requirements = results[1], requirements.objectValue == nil {
            throw ScriptError("GetReplicas must return a table of requirements second (or nil)")
        }
        return ReplicaInterpretation(replicas: Int32(clamping: count), requirements: results[1])
    }

    /// Components of a multi-template kind (`{name, replicas, replicaRequirements}`); only a script defines them.
    public func components(of object: JSONValue) throws(ScriptError) -> [JSONValue]? {
        guard let script = script(.interpretComponent, object) else { return nil }
        let result = try run(.interpretComponent, script, arguments: [object], results: 1)[0]
        guard let components = result?.arrayValue ?? (result?.objectValue?.isEmpty == true ? [] : nil) else {
            throw ScriptError("GetComponents must return a list of components")
        }
        return components
    }

    /// The object with `replicas` set; unchanged for a kind without replicas.
    public func revise(_ object: JSONValue, replicas: Int64) throws(ScriptError) -> JSONValue {
        guard let script = script(.reviseReplica, object) else { return BuiltinInterpreters.revise(object, replicas: replicas) ?? object }
        return try table(run(.reviseReplica, script, arguments: [object, .integer(replicas)], results: 1)[0], function: "ReviseReplica")
    }

    /// The desired object with what the member owns kept from the observed one.
    public func retain(desired: JSONValue, observed: JSONValue) throws(ScriptError) -> JSONValue {
        guard let script = script(.retain, desired) else { return BuiltinInterpreters.retain(desired: desired, observed: observed) }
        return try table(run(.retain, script, arguments: [desired, observed], results: 1)[0], function: "Retain")
    }

    /// The template with its status folded from the clusters'; nil when neither a script nor a built-in aggregates
    /// this kind.
    public func aggregateStatus(_ object: JSONValue, items: [AggregatedStatusItem]) throws(ScriptError) -> JSONValue? {
        guard let script = script(.aggregateStatus, object) else { return BuiltinInterpreters.aggregateStatus(object, items: items) }
        let list = JSONValue.array(items.map { (try? ObjectEncoder().encode($0)) ?? .null })
        return try table(run(.aggregateStatus, script, arguments: [object, list], results: 1)[0], function: "AggregateStatus")
    }

    /// The status a member's object reports to the control plane.
    public func reflectStatus(_ observed: JSONValue) throws(ScriptError) -> JSONValue? {
        guard let script = script(.interpretStatus, observed) else { return BuiltinInterpreters.reflectStatus(observed) }
        let result = try run(.interpretStatus, script, arguments: [observed], results: 1)[0]
        guard result == nil || result?.objectValue != nil else { throw ScriptError("ReflectStatus must return a table (or nil)") }
        return result
    }

    /// Whether a member's object is healthy; nil when nothing interprets this kind's health.
    public func health(_ observed: JSONValue) throws(ScriptError) -> Bool? {
        guard let script = script(.interpretHealth, observed) else { return BuiltinInterpreters.health(observed) }
        guard case .bool(let healthy)? = try run(.interpretHealth, script, arguments: [observed], results: 1)[0] else {
            throw ScriptError("InterpretHealth must return a boolean")
        }
        return healthy
    }

    /// What the object needs beside it on its clusters.
    public func dependencies(of object: JSONValue) throws(ScriptError) -> [DependentReference] {
        guard let script = script(.interpretDependency, object) else { return BuiltinInterpreters.dependencies(object) }
        let result = try run(.interpretDependency, script, arguments: [object], results: 1)[0]
        let list = result?.arrayValue ?? (result?.objectValue?.isEmpty == true || result == nil ? [] : nil)
        guard let list else { throw ScriptError("GetDependencies must return a list of references") }
        var references: [DependentReference] = []
        for (offset, item) in list.enumerated() {
            guard let reference = try? ObjectDecoder().decode(DependentReference.self, from: item), reference.name != nil || reference.labelSelector != nil else {
                throw ScriptError("GetDependencies result \(offset + 1) must have apiVersion, kind, and a name or labelSelector")
            }
            var scoped = reference
            if scoped.namespace == nil { scoped.namespace = object.namespace }
            references.append(scoped)
        }
        return references
    }

    private func table(_ value: JSONValue?, function: String) throws(ScriptError) -> JSONValue {
        guard let value, value.objectValue != nil else { throw ScriptError("\(function) must return the object (a table)") }
        return value
    }
}
