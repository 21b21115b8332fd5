/// core/v1 PersistentVolumeClaim. The simulated sites bind each claim at once to a volume of the size it requests
/// (phase `Bound`, `spec.volumeName`, `status.capacity`); the control plane binds none itself, and shows the claims of
/// its templates as their clusters report them (the interpreter's status aggregation).
@FastJSON
public struct PersistentVolumeClaim: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: PersistentVolumeClaimSpec
    public var status: PersistentVolumeClaimStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: PersistentVolumeClaimSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor: ResourceDescriptor = {
        var descriptor = ResourceDescriptor(
            group: "", version: "v1", kind: "PersistentVolumeClaim", plural: "persistentvolumeclaims", shortNames: ["pvc"], namespaced: true,
            subresources: ["status"], builtin: true, admit: PersistentVolumeClaim.admit, unknownFields: PersistentVolumeClaim.unknownFieldPaths)
        descriptor.updateProblems = PersistentVolumeClaim.updateProblems
        return descriptor
    }()

    /// Kubernetes' rule: a claim's spec is immutable once created, except that its storage request may grow and
    /// an unbound claim may get its `volumeName`.
    public static func updateProblems(_ new: JSONValue, old: JSONValue) -> [FieldError] {
        let path = FieldPath("spec")
        var errors: [FieldError] = []
        var newSpec = new["spec"] ?? .object([:]), oldSpec = old["spec"] ?? .object([:])
        let storage = ["resources", "requests", "storage"]
        if let grown = newSpec.value(at: storage)?.stringValue.flatMap({ try? Quantity(parsing: $0) }),
           let was = oldSpec.value(at: storage)?.stringValue.flatMap({ try? Quantity(parsing: $0) }), grown < was {
            errors.append(.forbidden(path.child("resources").child("requests").key("storage"), "field can not be less than previous value"))
        }
        newSpec.setValue(nil, at: storage)
        oldSpec.setValue(nil, at: storage)
        if (oldSpec["volumeName"]?.stringValue ?? "").isEmpty { newSpec["volumeName"] = nil; oldSpec["volumeName"] = nil }
        if newSpec != oldSpec {
            errors.append(.forbidden(path, "spec is immutable after creation except resources.requests for bound claims"))
        }
        return errors
    }

    static let accessModes = ["ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany", "ReadWriteOncePod"]

    public mutating func setDefaults() {
        if spec.volumeMode == nil { spec.volumeMode = "Filesystem" }
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let path = FieldPath("spec")
        if spec.accessModes?.isEmpty ?? true { errors.append(.required(path.child("accessModes"), "at least 1 access mode is required")) }
        for (offset, mode) in (spec.accessModes ?? []).enumerated() where !Self.accessModes.contains(mode) {
            errors.append(.notSupported(path.child("accessModes").index(offset), mode, supported: Self.accessModes))
        }
        if let modes = spec.accessModes, modes.contains("ReadWriteOncePod"), modes.count > 1 {
            errors.append(.forbidden(path.child("accessModes"), "may not use ReadWriteOncePod with other access modes"))
        }
        let storage = path.child("resources").child("requests").key("storage")
        switch spec.resources?.requests?["storage"] {
        case nil: errors.append(.required(storage))
        case let quantity? where quantity.sign <= 0: errors.append(.invalid(storage, quantity.canonical, "must be greater than zero"))
        default: break
        }
        if let mode = spec.volumeMode, !["Filesystem", "Block"].contains(mode) {
            errors.append(.notSupported(path.child("volumeMode"), mode, supported: ["Filesystem", "Block"]))
        }
        return errors
    }
}

@FastJSON
public struct PersistentVolumeClaimSpec: Sendable, Hashable, Codable {
    public var accessModes: [String]?
    public var resources: ResourceRequirements?
    public var storageClassName: String?
    public var volumeMode: String?
    public var volumeName: String?
    public var selector: LabelSelector?
    public var unknownFields = UnknownFields()

    public init(accessModes: [String], storage: Quantity) {
        self.accessModes = accessModes
        self.resources = ResourceRequirements(requests: ["storage": storage])
    }
}

@FastJSON
public struct PersistentVolumeClaimStatus: Sendable, Hashable, Codable {
    /// `Pending`, `Bound` or `Lost`.
    public var phase: String?
    public var accessModes: [String]?
    public var capacity: [String: Quantity]?
    public var unknownFields = UnknownFields()

    public init(phase: String, accessModes: [String]?, capacity: [String: Quantity]?) {
        self.phase = phase
        self.accessModes = accessModes
        self.capacity = capacity
    }
}
