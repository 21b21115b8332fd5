/// Strategic-merge metadata for one object shape: which lists merge by which key. It mirrors the
/// `patchStrategy`/`patchMergeKey` tags of the Kubernetes Go types for the kinds Flotilla serves.
public final class PatchSchema: Sendable {
    public enum ListStrategy: Sendable {
        /// Elements are objects merged by the value of this key.
        case mergeByKey(String)
        /// Elements are primitives; the patch's values are added to the set (`finalizers`).
        case mergePrimitives
    }

    public struct Field: Sendable {
        public var list: ListStrategy?
        /// The shape of the field's value, or of its list elements.
        public var schema: PatchSchema?
        /// `retainKeys`: keys absent from the patch are cleared (`strategy` of a Deployment).
        public var retainKeys: Bool

        public init(list: ListStrategy? = nil, schema: PatchSchema? = nil, retainKeys: Bool = false) {
            self.list = list
            self.schema = schema
            self.retainKeys = retainKeys
        }
    }

    public let fields: [String: Field]

    public init(_ fields: [String: Field]) { self.fields = fields }

    public static let empty = PatchSchema([:])
}

extension PatchSchema {
    static let objectMeta = PatchSchema([
        "finalizers": Field(list: .mergePrimitives),
        "ownerReferences": Field(list: .mergeByKey("uid")),
    ])

    static let container = PatchSchema([
        "ports": Field(list: .mergeByKey("containerPort")),
        "env": Field(list: .mergeByKey("name")),
        "volumeMounts": Field(list: .mergeByKey("mountPath")),
        "volumeDevices": Field(list: .mergeByKey("devicePath")),
        "resizePolicy": Field(list: .mergeByKey("resourceName")),
    ])

    static let podSpec = PatchSchema([
        "containers": Field(list: .mergeByKey("name"), schema: container),
        "initContainers": Field(list: .mergeByKey("name"), schema: container),
        "ephemeralContainers": Field(list: .mergeByKey("name"), schema: container),
        "volumes": Field(list: .mergeByKey("name"), retainKeys: true),
        "imagePullSecrets": Field(list: .mergeByKey("name")),
        "hostAliases": Field(list: .mergeByKey("ip")),
        "topologySpreadConstraints": Field(list: .mergeByKey("topologyKey")),
        "resourceClaims": Field(list: .mergeByKey("name")),
        "schedulingGates": Field(list: .mergeByKey("name")),
    ])

    static let conditionsStatus = PatchSchema([
        "conditions": Field(list: .mergeByKey("type")),
    ])

    /// apps/v1 Deployment.
    public static let deployment = PatchSchema([
        "metadata": Field(schema: objectMeta),
        "spec": Field(schema: PatchSchema([
            "strategy": Field(retainKeys: true),
            "template": Field(schema: PatchSchema([
                "metadata": Field(schema: objectMeta),
                "spec": Field(schema: podSpec),
            ])),
        ])),
        "status": Field(schema: conditionsStatus),
    ])

    /// core/v1 Service.
    public static let service = PatchSchema([
        "metadata": Field(schema: objectMeta),
        "spec": Field(schema: PatchSchema(["ports": Field(list: .mergeByKey("port"))])),
        "status": Field(schema: conditionsStatus),
    ])

    /// Kinds whose only mergeable lists are in metadata (Namespace, ConfigMap, Secret, Event).
    public static let metadataOnly = PatchSchema([
        "metadata": Field(schema: objectMeta),
        "status": Field(schema: conditionsStatus),
    ])

    /// The schema for a built-in kind, or `nil` when strategic merge does not apply (custom kinds → 415).
    public static func forKind(group: String, kind: String) -> PatchSchema? {
        switch (group, kind) {
        case ("apps", "Deployment"): return deployment
        case ("", "Service"): return service
        case ("", "Namespace"), ("", "ConfigMap"), ("", "Secret"), ("", "Event"): return metadataOnly
        case ("autoscaling", "Scale"): return metadataOnly
        default: return nil
        }
    }
}
