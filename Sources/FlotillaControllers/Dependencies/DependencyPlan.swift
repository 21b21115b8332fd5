import FlotillaAPI
import FlotillaInterpreter

/// Karmada's dependencies distributor, as a pure plan: for every binding whose policy says `propagateDeps`, the
/// objects its template depends on (the interpreter's InterpretDependency: a pod template's ConfigMaps, Secrets,
/// ServiceAccounts and PVCs) follow it to its clusters through **attached bindings**. An attached binding is the
/// dependency's own ResourceBinding (`<name>-<kind>`, the name the detector would give it) with `spec.requiredBy`
/// listing each binding that needs it and that binding's clusters; the binding controller places it on the union of
/// its own clusters and its `requiredBy` clusters.
///
/// | the dependency's binding | needed by some binding | plan |
/// |---|---|---|
/// | none | yes | **create** an attached binding (no placement), owned by the dependency |
/// | exists | yes | **update** its `requiredBy` when it changed (a policy's own binding keeps its placement) |
/// | attached only (no policy claims it) | no | **delete** it |
/// | claimed by a policy | no | **update** `requiredBy` to empty |
///
/// `requiredBy` is sorted by namespace and name, each entry's clusters by name, so the plan is stable.
public enum DependencyPlan {
    /// The label on bindings the distributor created (attached only): they go when nothing needs them.
    public static let attachedLabel = "resourcebinding.flotilla.io/attached"

    public struct Parent: Sendable {
        public var namespace: String
        public var name: String
        public var clusters: [String]
        public var dependencies: [DependentReference]

        public init(namespace: String, name: String, clusters: [String], dependencies: [DependentReference]) {
            self.namespace = namespace
            self.name = name
            self.clusters = clusters
            self.dependencies = dependencies
        }
    }

    public enum Action: Sendable, Equatable {
        /// A new attached binding for the dependency (`template`, as stored) with this `requiredBy`.
        case create(namespace: String, name: String, template: JSONValue, requiredBy: JSONValue)
        case update(namespace: String, name: String, requiredBy: JSONValue?)
        case delete(namespace: String, name: String)
    }

    /// - Parameters:
    ///   - parents: bindings with `propagateDeps`, their clusters and their template's dependencies.
    ///   - bindings: every ResourceBinding by `namespace/name`.
    ///   - object: the stored dependency for a reference, nil when it does not exist (it is skipped until it does).
    public static func plan(parents: [Parent], bindings: [String: JSONValue],
                            object: (DependentReference) -> JSONValue?) -> (actions: [Action], missing: [(parent: String, dependency: DependentReference)]) {
        // Binding key of each dependency → entries of requiredBy.
        var required: [String: [JSONValue]] = [:]
        var templates: [String: JSONValue] = [:]
        var missing: [(parent: String, dependency: DependentReference)] = []
        for parent in parents.sorted(by: { ($0.namespace, $0.name) < ($1.namespace, $1.name) }) {
            for dependency in parent.dependencies {
                guard let template = object(dependency), let name = template.name, let kind = template.kind else {
                    missing.append(("\(parent.namespace)/\(parent.name)", dependency))
                    continue
                }
                let key = "\(template.namespace ?? "")/\(ResourceBinding.name(forTemplate: name, kind: kind))"
                // The dependency's own binding is its parent: no entry for itself.
                guard key != "\(parent.namespace)/\(parent.name)" else { continue }
                templates[key] = template
                let entry: JSONValue = ["namespace": .string(parent.namespace), "name": .string(parent.name),
                                        "clusters": .array(parent.clusters.sorted().map { ["name": .string($0)] })]
                if required[key]?.contains(entry) != true { required[key, default: []].append(entry) }
            }
        }
        var actions: [Action] = []
        for (key, entries) in required.sorted(by: { $0.key < $1.key }) {
            let (namespace, name) = split(key)
            let requiredBy = JSONValue.array(entries)
            if let existing = bindings[key] {
                if existing["spec"]?["requiredBy"] != requiredBy { actions.append(.update(namespace: namespace, name: name, requiredBy: requiredBy)) }
            } else {
                actions.append(.create(namespace: namespace, name: name, template: templates[key]!, requiredBy: requiredBy))
            }
        }
        for (key, binding) in bindings.sorted(by: { $0.key < $1.key }) where required[key] == nil && binding["spec"]?["requiredBy"] != nil {
            let (namespace, name) = split(key)
            if binding.labels[attachedLabel] == "true" && !isClaimed(binding) {
                actions.append(.delete(namespace: namespace, name: name))
            } else {
                actions.append(.update(namespace: namespace, name: name, requiredBy: nil))
            }
        }
        return (actions, missing)
    }

    /// Whether a policy claims the binding (the detector labels what it owns).
    static func isClaimed(_ binding: JSONValue) -> Bool {
        binding.labels["propagationpolicy.karmada.io/name"] != nil || binding.labels["clusterpropagationpolicy.karmada.io/name"] != nil
    }

    /// The clusters a binding is placed on: its scheduled clusters and those of the bindings that require it.
    public static func targets(_ binding: ResourceBinding) -> [TargetCluster] {
        var targets = binding.spec.clusters ?? []
        var names = Set(targets.map(\.name))
        for entry in binding.spec.requiredBy ?? [] {
            for cluster in entry["clusters"]?.arrayValue ?? [] {
                if let name = cluster["name"]?.stringValue, names.insert(name).inserted { targets.append(TargetCluster(name: name, replicas: nil)) }
            }
        }
        return targets
    }

    private static func split(_ key: String) -> (String, String) {
        (String(key.prefix { $0 != "/" }), String(key.drop { $0 != "/" }.dropFirst()))
    }
}
