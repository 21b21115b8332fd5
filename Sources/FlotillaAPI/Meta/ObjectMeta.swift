/// `apiVersion` and `kind`, present on every object and list.
@FastJSON
public struct TypeMeta: Sendable, Hashable, Codable {
    public var apiVersion: String?
    public var kind: String?

    public init(apiVersion: String? = nil, kind: String? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
    }
}

/// Standard object metadata (`metadata` of every persisted object).
@FastJSON
public struct ObjectMeta: Sendable, Hashable, Codable {
    public var name: String?
    public var generateName: String?
    public var namespace: String?
    public var uid: String?
    public var resourceVersion: String?
    public var generation: Int64?
    public var creationTimestamp: Timestamp?
    public var deletionTimestamp: Timestamp?
    public var deletionGracePeriodSeconds: Int64?
    public var labels: [String: String]?
    public var annotations: [String: String]?
    public var ownerReferences: [OwnerReference]?
    public var finalizers: [String]?
    public var managedFields: [JSONValue]?
    public var unknownFields = UnknownFields()

    public init(name: String? = nil, namespace: String? = nil, labels: [String: String]? = nil,
                annotations: [String: String]? = nil) {
        self.name = name
        self.namespace = namespace
        self.labels = labels
        self.annotations = annotations
    }
}

@FastJSON
public struct OwnerReference: Sendable, Hashable, Codable {
    public var apiVersion: String
    public var kind: String
    public var name: String
    public var uid: String
    public var controller: Bool?
    public var blockOwnerDeletion: Bool?

    public init(apiVersion: String, kind: String, name: String, uid: String, controller: Bool? = nil,
                blockOwnerDeletion: Bool? = nil) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.name = name
        self.uid = uid
        self.controller = controller
        self.blockOwnerDeletion = blockOwnerDeletion
    }
}

/// `metadata` of lists.
@FastJSON
public struct ListMeta: Sendable, Hashable, Codable {
    public var resourceVersion: String?
    public var `continue`: String?
    public var remainingItemCount: Int64?

    public init(resourceVersion: String? = nil, continue: String? = nil, remainingItemCount: Int64? = nil) {
        self.resourceVersion = resourceVersion
        self.continue = `continue`
        self.remainingItemCount = remainingItemCount
    }
}

/// A status condition (`metav1.Condition`), used by Flotilla's and Karmada's kinds.
@FastJSON
public struct Condition: Sendable, Hashable, Codable {
    public var type: String
    public var status: ConditionStatus
    public var observedGeneration: Int64?
    public var lastTransitionTime: Timestamp?
    public var reason: String?
    public var message: String?

    public init(type: String, status: ConditionStatus, reason: String? = nil, message: String? = nil,
                observedGeneration: Int64? = nil, lastTransitionTime: Timestamp? = nil) {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
        self.observedGeneration = observedGeneration
        self.lastTransitionTime = lastTransitionTime
    }
}

public enum ConditionStatus: String, Sendable, Hashable, Codable {
    case `true` = "True"
    case `false` = "False"
    case unknown = "Unknown"
}

extension Array where Element == Condition {
    /// Sets a condition, keeping `lastTransitionTime` when the status did not change (the Kubernetes convention).
    public mutating func set(_ condition: Condition, now: Timestamp) {
        var condition = condition
        if let index = firstIndex(where: { $0.type == condition.type }) {
            condition.lastTransitionTime =
                self[index].status == condition.status ? (self[index].lastTransitionTime ?? now) : now
            self[index] = condition
        } else {
            condition.lastTransitionTime = now
            append(condition)
        }
    }

    public subscript(type type: String) -> Condition? { first { $0.type == type } }
}
extension ConditionStatus: FastJSONCodable {}
