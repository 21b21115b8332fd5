/// core/v1 Endpoints: the addresses behind a Service. Simulated sites write one subset per pod, because each
/// runnable pod listens on its own loopback port.
@FastJSON
public struct Endpoints: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var subsets: [EndpointSubset]?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, subsets: [EndpointSubset]?) {
        self.metadata = metadata
        self.subsets = subsets
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Endpoints", plural: "endpoints", shortNames: ["ep"], namespaced: true,
        builtin: true, admit: Endpoints.admit, unknownFields: Endpoints.unknownFieldPaths)
}

@FastJSON
public struct EndpointSubset: Sendable, Hashable, Codable {
    public var addresses: [EndpointAddress]?
    public var notReadyAddresses: [EndpointAddress]?
    public var ports: [EndpointPort]?

    public init(addresses: [EndpointAddress]?, notReadyAddresses: [EndpointAddress]? = nil, ports: [EndpointPort]?) {
        self.addresses = addresses
        self.notReadyAddresses = notReadyAddresses
        self.ports = ports
    }
}

@FastJSON
public struct EndpointAddress: Sendable, Hashable, Codable {
    public var ip: String
    public var nodeName: String?
    public var targetRef: ObjectReference?

    public init(ip: String, nodeName: String? = nil, targetRef: ObjectReference? = nil) {
        self.ip = ip
        self.nodeName = nodeName
        self.targetRef = targetRef
    }
}

@FastJSON
public struct EndpointPort: Sendable, Hashable, Codable {
    public var name: String?
    public var port: Int64
    public var `protocol`: String?

    public init(name: String?, port: Int64, protocol: String?) {
        self.name = name
        self.port = port
        self.protocol = `protocol`
    }
}
