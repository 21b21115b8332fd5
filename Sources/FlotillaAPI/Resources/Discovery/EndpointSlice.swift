/// discovery.k8s.io/v1 EndpointSlice: a Service's endpoints in slices. A site's endpoint controller writes the slices
/// of its own pods (`managed-by: endpointslice-controller.k8s.io`); Flotilla's service routing writes the slices it
/// imports from other sites (`managed-by: endpointslice-dispatch-controller.karmada.io`, with the providing cluster
/// and the round trip to it). The Service proxy of a site reads both.
@FastJSON
public struct EndpointSlice: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    /// `IPv4`, `IPv6` or `FQDN`; immutable in Kubernetes.
    public var addressType: String
    public var endpoints: [SliceEndpoint]?
    public var ports: [SlicePort]?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, addressType: String = "IPv4", endpoints: [SliceEndpoint]?, ports: [SlicePort]?) {
        self.metadata = metadata
        self.addressType = addressType
        self.endpoints = endpoints
        self.ports = ports
    }

    public static let descriptor = ResourceDescriptor(
        group: "discovery.k8s.io", version: "v1", kind: "EndpointSlice", plural: "endpointslices", namespaced: true,
        builtin: true, admit: EndpointSlice.admit, unknownFields: EndpointSlice.unknownFieldPaths)

    /// The label naming the Service a slice belongs to.
    public static let serviceNameLabel = "kubernetes.io/service-name"
    /// Who wrote a slice.
    public static let managedByLabel = "endpointslice.kubernetes.io/managed-by"
    /// A site's own endpoint controller.
    public static let siteController = "endpointslice-controller.k8s.io"

    /// kube-apiserver's limits: the address type, at most 1000 endpoints and 100 ports, 1 to 100 addresses per endpoint.
    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        let types = ["IPv4", "IPv6", "FQDN"]
        if !types.contains(addressType) { errors.append(.notSupported(FieldPath("addressType"), addressType, supported: types)) }
        if (endpoints?.count ?? 0) > 1000 { errors.append(.invalid(FieldPath("endpoints"), "\(endpoints?.count ?? 0)", "must have at most 1000 items")) }
        for (offset, endpoint) in (endpoints ?? []).enumerated() {
            let path = FieldPath("endpoints").index(offset)
            if endpoint.addresses.isEmpty || endpoint.addresses.count > 100 {
                errors.append(.invalid(path.child("addresses"), "\(endpoint.addresses.count)", "must have between 1 and 100 items"))
            }
        }
        if (ports?.count ?? 0) > 100 { errors.append(.invalid(FieldPath("ports"), "\(ports?.count ?? 0)", "must have at most 100 items")) }
        var names = Set<String>()
        for (offset, port) in (ports ?? []).enumerated() {
            let path = FieldPath("ports").index(offset)
            if !names.insert(port.name ?? "").inserted { errors.append(.duplicate(path.child("name"), port.name ?? "")) }
            if let number = port.port, !(1...65535).contains(number) {
                errors.append(.invalid(path.child("port"), "\(number)", "must be between 1 and 65535, inclusive"))
            }
            if let proto = port.protocol, !["TCP", "UDP", "SCTP"].contains(proto) {
                errors.append(.notSupported(path.child("protocol"), proto, supported: ["TCP", "UDP", "SCTP"]))
            }
        }
        return errors
    }

    /// The Service the slice belongs to.
    public var serviceName: String? { metadata.labels?[Self.serviceNameLabel] }
}

@FastJSON
public struct SliceEndpoint: Sendable, Hashable, Codable {
    public var addresses: [String]
    public var conditions: SliceConditions?
    public var hostname: String?
    public var targetRef: ObjectReference?
    public var nodeName: String?
    public var zone: String?
    public var hints: SliceHints?
    public var unknownFields = UnknownFields()

    public init(addresses: [String], conditions: SliceConditions?, targetRef: ObjectReference? = nil, nodeName: String? = nil,
                zone: String? = nil, hints: SliceHints? = nil) {
        self.addresses = addresses
        self.conditions = conditions
        self.targetRef = targetRef
        self.nodeName = nodeName
        self.zone = zone
        self.hints = hints
    }

    /// Kubernetes reads an absent `ready` as ready.
    public var isReady: Bool { conditions?.ready ?? true }
}

@FastJSON
public struct SliceConditions: Sendable, Hashable, Codable {
    public var ready: Bool?
    public var serving: Bool?
    public var terminating: Bool?

    public init(ready: Bool?, serving: Bool?, terminating: Bool?) {
        self.ready = ready
        self.serving = serving
        self.terminating = terminating
    }
}

@FastJSON
public struct SliceHints: Sendable, Hashable, Codable {
    public var forZones: [ForZone]?

    public init(forZones: [ForZone]?) { self.forZones = forZones }
}

@FastJSON
public struct ForZone: Sendable, Hashable, Codable {
    public var name: String

    public init(name: String) { self.name = name }
}

@FastJSON
public struct SlicePort: Sendable, Hashable, Codable {
    public var name: String?
    public var port: Int64?
    public var `protocol`: String?
    public var appProtocol: String?

    public init(name: String?, port: Int64?, protocol: String? = "TCP") {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}
