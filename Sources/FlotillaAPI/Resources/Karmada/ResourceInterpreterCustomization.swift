/// config.karmada.io/v1alpha1 ResourceInterpreterCustomization (cluster-scoped): Lua scripts that teach the
/// federation a kind's replicas, status, health and dependencies. A customization for a kind takes precedence over
/// Flotilla's built-in interpreter for the operations it scripts. Each script must compile (Lua 5.1) to be admitted.
@FastJSON
public struct ResourceInterpreterCustomization: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ResourceInterpreterCustomizationSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ResourceInterpreterCustomizationSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "config.karmada.io", version: "v1alpha1", kind: "ResourceInterpreterCustomization",
        plural: "resourceinterpretercustomizations", categories: ["karmada-io"], namespaced: false,
        admit: ResourceInterpreterCustomization.admit, unknownFields: ResourceInterpreterCustomization.unknownFieldPaths,
        warnings: { object in
            guard object["spec"]?["customizations"]?["componentResource"] != nil else { return [] }
            return ["spec.customizations.componentResource: runs in `flotilla interpret` only; the scheduler divides the replicas replicaResource gives"]
        })

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let target = FieldPath("spec").child("target")
        if spec.target.apiVersion.isEmpty { errors.append(.required(target.child("apiVersion"))) }
        else if GroupVersion(apiVersion: spec.target.apiVersion) == nil {
            errors.append(.invalid(target.child("apiVersion"), spec.target.apiVersion, "must be <group>/<version> or <version>"))
        }
        if spec.target.kind.isEmpty { errors.append(.required(target.child("kind"))) }
        let customizations = FieldPath("spec").child("customizations")
        for (name, script) in spec.customizations.scripts {
            let path = customizations.child(name).child("luaScript")
            if script.allSatisfy(\.isWhitespace) {
                errors.append(.required(path, "the script is empty"))
            } else if let problem = LuaSyntax.error(in: script, chunkName: name) {
                errors.append(.invalid(path, "<script>", "does not compile: \(problem)"))
            }
        }
        return errors
    }
}

@FastJSON
public struct ResourceInterpreterCustomizationSpec: Sendable, Hashable, Codable {
    public var target: CustomizationTarget
    public var customizations: CustomizationRules

    public init(target: CustomizationTarget, customizations: CustomizationRules) {
        self.target = target
        self.customizations = customizations
    }
}

@FastJSON
public struct CustomizationTarget: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String

    public init(apiVersion: String, kind: String) {
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

/// One Lua script (`luaScript`) per operation; an absent one falls back to the built-in interpreter.
@FastJSON
public struct CustomizationRules: Sendable, Hashable, Codable {
    /// `Retain(desiredObj, observedObj)`: what the member keeps of its own changes.
    public var retention: LuaScriptRule?
    /// `GetReplicas(obj)` → replicas, requirements.
    public var replicaResource: LuaScriptRule?
    /// `GetComponents(obj)` → components (name, replicas, replicaRequirements).
    public var componentResource: LuaScriptRule?
    /// `ReviseReplica(obj, desiredReplica)` → the object with that cluster's replicas.
    public var replicaRevision: LuaScriptRule?
    /// `ReflectStatus(observedObj)` → the status the control plane collects.
    public var statusReflection: LuaScriptRule?
    /// `AggregateStatus(desiredObj, statusItems)` → the template with its status folded from every cluster.
    public var statusAggregation: LuaScriptRule?
    /// `InterpretHealth(observedObj)` → healthy.
    public var healthInterpretation: LuaScriptRule?
    /// `GetDependencies(desiredObj)` → dependencies (apiVersion, kind, namespace, name).
    public var dependencyInterpretation: LuaScriptRule?

    public init() {}

    /// Each script by its field name.
    public var scripts: [(String, String)] {
        let rules: [(String, LuaScriptRule?)] = [
            ("retention", retention), ("replicaResource", replicaResource), ("componentResource", componentResource),
            ("replicaRevision", replicaRevision), ("statusReflection", statusReflection),
            ("statusAggregation", statusAggregation), ("healthInterpretation", healthInterpretation),
            ("dependencyInterpretation", dependencyInterpretation),
        ]
        return rules.compactMap { name, rule in rule.map { (name, $0.luaScript) } }
    }
}

@FastJSON
public struct LuaScriptRule: Sendable, Hashable, Codable {
    public var luaScript: String

    public init(luaScript: String) { self.luaScript = luaScript }
}
