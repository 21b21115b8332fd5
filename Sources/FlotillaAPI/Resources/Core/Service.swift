/// core/v1 Service (the fields placement and discovery read; the rest is kept as it came).
@FastJSON
public struct Service: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceSpec?
    public var status: JSONValue?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ServiceSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Service", plural: "services", shortNames: ["svc"], categories: ["all"],
        namespaced: true, subresources: ["status"], nameRule: .dns1035Label, builtin: true, admit: Service.admit, unknownFields: Service.unknownFieldPaths)

    public mutating func setDefaults() {
        if spec == nil { spec = ServiceSpec() }
        if spec?.type == nil { spec?.type = "ClusterIP" }
        let ports = spec?.ports?.map { port in
            var port = port
            if port.protocol == nil { port.protocol = "TCP" }
            if port.targetPort == nil { port.targetPort = .int(port.port) }
            return port
        }
        spec?.ports = ports
    }

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let allowed = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"]
        if let type = spec?.type, !allowed.contains(type) {
            errors.append(.notSupported(FieldPath("spec.type"), type, supported: allowed))
        }
        var names = Set<String>()
        for (offset, port) in (spec?.ports ?? []).enumerated() {
            let path = FieldPath("spec.ports").index(offset)
            if !(1...65535).contains(port.port) {
                errors.append(.invalid(path.child("port"), String(port.port), "must be between 1 and 65535, inclusive"))
            }
            if let name = port.name, !names.insert(name).inserted { errors.append(.duplicate(path.child("name"), name)) }
            if (spec?.ports?.count ?? 0) > 1, port.name?.isEmpty ?? true {
                errors.append(.required(path.child("name")))
            }
            if let proto = port.protocol, !["TCP", "UDP", "SCTP"].contains(proto) {
                errors.append(.notSupported(path.child("protocol"), proto, supported: ["TCP", "UDP", "SCTP"]))
            }
        }
        return errors
    }
}

@FastJSON
public struct ServiceSpec: Sendable, Hashable, Codable {
    public var type: String?
    public var selector: [String: String]?
    public var ports: [ServicePort]?
    public var clusterIP: String?
    public var unknownFields = UnknownFields()

    public init(type: String? = nil, selector: [String: String]? = nil, ports: [ServicePort]? = nil) {
        self.type = type
        self.selector = selector
        self.ports = ports
    }
}

@FastJSON
public struct ServicePort: Sendable, Hashable, Codable {
    public var name: String?
    public var `protocol`: String?
    public var port: Int64
    public var targetPort: IntOrString?
    public var nodePort: Int64?
    public var unknownFields = UnknownFields()

    public init(name: String? = nil, port: Int64, targetPort: IntOrString? = nil) {
        self.name = name
        self.port = port
        self.targetPort = targetPort
    }
}
