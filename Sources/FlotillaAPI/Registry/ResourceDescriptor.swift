/// Everything the API machinery needs to know about one kind: names for discovery and kubectl, scope,
/// subresources, the name rule, selectable fields, and how to default and validate an object of it.
public struct ResourceDescriptor: Sendable {
    public var group: String
    public var version: String
    public var kind: String
    /// Lower-case plural used in URLs (`propagationpolicies`).
    public var plural: String
    public var singular: String
    public var shortNames: [String]
    public var categories: [String]
    public var namespaced: Bool
    /// `status`, `scale`: served as `<plural>/<subresource>`.
    public var subresources: Set<String>
    public var nameRule: NameRule
    /// Whether the kind is compiled into kubectl, so that clients send strategic merge patches for it.
    public var builtin: Bool
    /// Extra field-selector fields beyond `metadata.name` and `metadata.namespace`.
    public var selectableFields: [String]
    /// Reads the selectable fields of an object of this kind.
    public var fieldLabels: @Sendable (JSONValue) -> [String: String]
    /// Decodes, defaults and validates an object; returns it re-encoded or the field errors found.
    public var admit: @Sendable (JSONValue) -> Result<JSONValue, AdmissionFailure>
    /// Members of the object that the typed model would drop: unknown fields, for `fieldValidation=Strict`.
    public var unknownFields: @Sendable (JSONValue) -> [String]
    /// Fields the object sets that are accepted but do not take effect yet: each becomes a `Warning` response
    /// header (kubectl prints it), so nothing is accepted and silently ignored.
    public var warnings: @Sendable (JSONValue) -> [String]
    /// A review kind (like SubjectAccessReview): only `create`, answered by an `APIExtension` with the result in
    /// status, never stored.
    public var createOnly = false
    /// Rules an update must keep beyond the object's own validation (immutable fields): new, then stored object.
    public var updateProblems: @Sendable (_ new: JSONValue, _ old: JSONValue) -> [FieldError] = { _, _ in [] }
    /// Served read-only from what the server computes when asked (metrics), never stored: get and list only.
    public var computed = false
    /// A custom kind's `additionalPrinterColumns` (`kubectl get` shows them after NAME, with AGE last).
    public var printerColumns: [PrinterColumn]?
    /// Where the scale subresource reads and writes replicas (a custom kind's; Deployments use the spec's).
    public var scalePaths: ScaleSubresource?
    /// For a custom kind, the CustomResourceDefinition that defines it and the version its objects are stored at:
    /// a read at another served version answers with that version's apiVersion.
    public var definition: (name: String, storageVersion: String)?

    public init(group: String, version: String, kind: String, plural: String, shortNames: [String] = [],
                categories: [String] = [], namespaced: Bool, subresources: Set<String> = [],
                nameRule: NameRule = .dns1123Subdomain, builtin: Bool = false, selectableFields: [String] = [],
                fieldLabels: @escaping @Sendable (JSONValue) -> [String: String] = { _ in [:] },
                admit: @escaping @Sendable (JSONValue) -> Result<JSONValue, AdmissionFailure> = { .success($0) },
                unknownFields: @escaping @Sendable (JSONValue) -> [String] = { _ in [] },
                warnings: @escaping @Sendable (JSONValue) -> [String] = { _ in [] }) {
        self.warnings = warnings
        self.group = group
        self.version = version
        self.kind = kind
        self.plural = plural
        self.singular = kind.lowercased()
        self.shortNames = shortNames
        self.categories = categories
        self.namespaced = namespaced
        self.subresources = subresources
        self.nameRule = nameRule
        self.builtin = builtin
        self.selectableFields = selectableFields
        self.fieldLabels = fieldLabels
        self.admit = admit
        self.unknownFields = unknownFields
    }

    public var groupResource: GroupResource { GroupResource(group: group, resource: plural) }
    public var groupVersionKind: GroupVersionKind { GroupVersionKind(group: group, version: version, kind: kind) }
    public var apiVersion: String { groupVersionKind.apiVersion }
    public var listKind: String { kind + "List" }

    /// All selectable fields of objects of this kind, with their values.
    public func selectableFieldValues(of object: JSONValue) -> [String: String] {
        var fields = fieldLabels(object)
        fields["metadata.name"] = object["metadata"]?["name"]?.stringValue ?? ""
        if namespaced { fields["metadata.namespace"] = object["metadata"]?["namespace"]?.stringValue ?? "" }
        return fields
    }

    public var supportedFieldSelectors: [String] {
        (namespaced ? ["metadata.name", "metadata.namespace"] : ["metadata.name"]) + selectableFields
    }
}

/// Why an object was not admitted: it did not decode (400), or it decoded but broke a rule (422).
public enum AdmissionFailure: Error, Sendable, Equatable {
    case malformed(DecodeError)
    case invalid([FieldError])
}

extension AdmissionFailure {
    /// The client's answer: 400 for what did not decode, 422 Invalid with the field errors for what broke a rule.
    public func apiError(_ descriptor: ResourceDescriptor, name: String) -> APIError {
        switch self {
        case .malformed(let error):
            return .badRequest("\(descriptor.kind) in version \"\(descriptor.version)\" cannot be handled as a \(descriptor.kind): \(error)")
        case .invalid(let errors):
            return .invalid(kind: descriptor.kind, group: descriptor.group, name: name, errors: errors)
        }
    }
}
