/// core/v1 ServiceAccount: a workload's identity. Served so that the ServiceAccount a pod template names can follow
/// the workload to its clusters (`propagateDeps`). Tokens are not minted for it: the simulated sites run no
/// service-account token controller, and the control plane's own tokens come from its token file.
@FastJSON
public struct ServiceAccount: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var secrets: [ObjectReference]?
    public var imagePullSecrets: [LocalObjectReference]?
    public var automountServiceAccountToken: Bool?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta) { self.metadata = metadata }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "ServiceAccount", plural: "serviceaccounts", shortNames: ["sa"], namespaced: true,
        builtin: true, admit: ServiceAccount.admit, unknownFields: ServiceAccount.unknownFieldPaths)

    public func validate() -> [FieldError] {
        (imagePullSecrets ?? []).enumerated().compactMap { offset, reference in
            reference.name.isEmpty ? .required(FieldPath("imagePullSecrets").index(offset).child("name")) : nil
        }
    }
}

/// core/v1 LocalObjectReference: an object in the same namespace, by name.
@FastJSON
public struct LocalObjectReference: Sendable, Hashable, Codable {
    public var name: String

    public init(name: String) { self.name = name }
}
