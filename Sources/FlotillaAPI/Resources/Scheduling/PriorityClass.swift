/// scheduling.k8s.io/v1 PriorityClass (cluster-scoped): a named priority value. On the control plane it is what a
/// propagation policy's `schedulePriority` (`priorityClassSource: KubePriorityClass`) names: its bindings are
/// scheduled in the order of its `value`. No pods run on the control plane, so `preemptionPolicy` does nothing here
/// and gets a Warning.
@FastJSON
public struct PriorityClass: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var value: Int32
    public var globalDefault: Bool?
    public var description: String?
    public var preemptionPolicy: String?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, value: Int32) {
        self.metadata = metadata
        self.value = value
    }

    public static let descriptor = ResourceDescriptor(
        group: "scheduling.k8s.io", version: "v1", kind: "PriorityClass", plural: "priorityclasses", shortNames: ["pc"],
        namespaced: false, builtin: true, admit: PriorityClass.admit, unknownFields: PriorityClass.unknownFieldPaths,
        warnings: { object in
            object["preemptionPolicy"] == nil ? []
                : ["preemptionPolicy has no effect on the Flotilla control plane: no pods run here, and bindings are ordered by value, never preempted"]
        })

    /// kube-apiserver's rules: user classes stay at or below one billion; system- names are reserved.
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if value > 1_000_000_000 {
            errors.append(.invalid(FieldPath("value"), "\(value)", "must be less than or equal to 1000000000 (higher values are reserved for system classes)"))
        }
        if metadata.name?.hasPrefix("system-") == true {
            errors.append(.forbidden(FieldPath("metadata.name"), "the system- prefix is reserved"))
        }
        if let policy = preemptionPolicy, !["PreemptLowerPriority", "Never"].contains(policy) {
            errors.append(.notSupported(FieldPath("preemptionPolicy"), policy, supported: ["PreemptLowerPriority", "Never"]))
        }
        return errors
    }
}
