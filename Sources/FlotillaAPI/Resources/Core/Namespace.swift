/// core/v1 Namespace.
@FastJSON
public struct Namespace: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: NamespaceSpec?
    public var status: NamespaceStatus?
    public var unknownFields = UnknownFields()

    public init(name: String, labels: [String: String]? = nil) {
        self.metadata = ObjectMeta(name: name, labels: labels)
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Namespace", plural: "namespaces", shortNames: ["ns"], namespaced: false,
        subresources: ["status"], nameRule: .dns1123Label, builtin: true, selectableFields: ["status.phase"],
        fieldLabels: { ["status.phase": $0["status"]?["phase"]?.stringValue ?? ""] },
        admit: Namespace.admit, unknownFields: Namespace.unknownFieldPaths)

    public mutating func setDefaults() {
        if status?.phase == nil { status = NamespaceStatus(phase: "Active") }
    }
}

@FastJSON
public struct NamespaceSpec: Sendable, Hashable, Codable {
    public var finalizers: [String]?
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct NamespaceStatus: Sendable, Hashable, Codable {
    public var phase: String?
    public var conditions: [JSONValue]?
    public var unknownFields = UnknownFields()

    public init(phase: String?) { self.phase = phase }
}
