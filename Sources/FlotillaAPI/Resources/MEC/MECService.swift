import Foundation

/// mec.flotilla.io/v1alpha1 MECService (cluster-scoped): a service an app registered through ETSI MEC 011's service
/// management API (`POST /mec_service_mgmt/v1/applications/{appInstanceId}/services`). Named by its `serInstanceId`;
/// `spec.serviceInfo` is the ServiceInfo as registered. Stored like any object, so every replica serves it and it
/// survives restarts; the catalog lists it as a bindable offering.
@FastJSON
public struct MECService: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: MECServiceSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: MECServiceSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "MECService", plural: "mecservices", shortNames: ["mecsvc"],
        categories: ["flotilla-mec"], namespaced: false, admit: MECService.admit, unknownFields: MECService.unknownFieldPaths)

    public func validate() -> [FieldError] {
        ServiceInfo.problems(spec.serviceInfo, at: FieldPath("spec.serviceInfo")) + (spec.appInstanceId.isEmpty ? [.required(FieldPath("spec.appInstanceId"))] : [])
    }
}

@FastJSON
public struct MECServiceSpec: Sendable, Hashable, Codable {
    public var appInstanceId: String
    public var serviceInfo: ServiceInfo
    public var unknownFields = UnknownFields()

    public init(appInstanceId: String, serviceInfo: ServiceInfo) {
        self.appInstanceId = appInstanceId
        self.serviceInfo = serviceInfo
    }
}

/// ETSI MEC 011's ServiceInfo (the members Flotilla reads; any other is kept as sent).
@FastJSON
public struct ServiceInfo: Sendable, Hashable, Codable {
    public var serInstanceId: String?
    public var serName: String
    public var serCategory: CategoryRef?
    public var version: String
    /// ACTIVE, INACTIVE or SUSPENDED.
    public var state: String
    public var transportInfo: TransportInfo
    /// JSON, XML or PROTOBUF3.
    public var serializer: String
    /// MEC_SYSTEM, MEC_HOST, NFVI_POP, ZONE, ZONE_GROUP or NFVI_NODE.
    public var scopeOfLocality: String?
    public var consumedLocalOnly: Bool?
    public var isLocal: Bool?
    public var livenessInterval: Int?
    public var unknownFields = UnknownFields()

    public static let states = ["ACTIVE", "INACTIVE", "SUSPENDED"]
    public static let serializers = ["JSON", "XML", "PROTOBUF3"]
    public static let localities = ["MEC_SYSTEM", "MEC_HOST", "NFVI_POP", "ZONE", "ZONE_GROUP", "NFVI_NODE"]
    public static let transportTypes = ["REST_HTTP", "MB_TOPIC_BASED", "MB_ROUTING", "MB_PUBSUB", "RPC", "RPC_STREAMING", "WEBSOCKET"]

    /// What MEC 011 requires of a ServiceInfo, each problem with its path.
    public static func problems(_ info: ServiceInfo, at path: FieldPath) -> [FieldError] {
        var errors: [FieldError] = []
        if info.serName.isEmpty { errors.append(.required(path.child("serName"))) }
        if info.version.isEmpty { errors.append(.required(path.child("version"))) }
        if !states.contains(info.state) { errors.append(.notSupported(path.child("state"), info.state, supported: states)) }
        if !serializers.contains(info.serializer) { errors.append(.notSupported(path.child("serializer"), info.serializer, supported: serializers)) }
        if let scope = info.scopeOfLocality, !localities.contains(scope) {
            errors.append(.notSupported(path.child("scopeOfLocality"), scope, supported: localities))
        }
        let transport = path.child("transportInfo")
        if info.transportInfo.id.isEmpty { errors.append(.required(transport.child("id"))) }
        if info.transportInfo.name.isEmpty { errors.append(.required(transport.child("name"))) }
        if !transportTypes.contains(info.transportInfo.type) {
            errors.append(.notSupported(transport.child("type"), info.transportInfo.type, supported: transportTypes))
        }
        if info.transportInfo.protocol.isEmpty { errors.append(.required(transport.child("protocol"))) }
        if info.transportInfo.endpoint == nil { errors.append(.required(transport.child("endpoint"))) }
        return errors
    }
}

@FastJSON
public struct CategoryRef: Sendable, Hashable, Codable {
    public var href: String?
    public var id: String
    public var name: String
    public var version: String
    public var unknownFields = UnknownFields()
}

@FastJSON
public struct TransportInfo: Sendable, Hashable, Codable {
    public var id: String
    public var name: String
    public var description: String?
    public var type: String
    public var `protocol`: String
    public var version: String?
    /// `{uris: [...]}`, `{addresses: [{host, port}]}` or `{alternative: …}`.
    public var endpoint: JSONValue?
    public var security: JSONValue?
    public var unknownFields = UnknownFields()
}

/// mec.flotilla.io/v1alpha1 ServiceAvailabilitySubscription (cluster-scoped): MEC 011's
/// SerAvailabilityNotificationSubscription, stored so every replica notifies and it survives restarts.
@FastJSON
public struct ServiceAvailabilitySubscription: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: ServiceAvailabilitySubscriptionSpec
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: ServiceAvailabilitySubscriptionSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor = ResourceDescriptor(
        group: "mec.flotilla.io", version: "v1alpha1", kind: "ServiceAvailabilitySubscription", plural: "serviceavailabilitysubscriptions",
        categories: ["flotilla-mec"], namespaced: false, admit: ServiceAvailabilitySubscription.admit,
        unknownFields: ServiceAvailabilitySubscription.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.appInstanceId.isEmpty { errors.append(.required(FieldPath("spec.appInstanceId"))) }
        if URL(string: spec.callbackReference)?.scheme.map({ ["http", "https"].contains($0) }) != true {
            errors.append(.invalid(FieldPath("spec.callbackReference"), spec.callbackReference, "must be an http or https URL"))
        }
        if let criteria = spec.filteringCriteria {
            let set = [criteria.serInstanceIds != nil, criteria.serNames != nil, criteria.serCategories != nil].filter { $0 }.count
            if set > 1 {
                errors.append(.forbidden(FieldPath("spec.filteringCriteria"), "serInstanceIds, serNames and serCategories are mutually exclusive"))
            }
            for (offset, state) in (criteria.states ?? []).enumerated() where !ServiceInfo.states.contains(state) {
                errors.append(.notSupported(FieldPath("spec.filteringCriteria.states").index(offset), state, supported: ServiceInfo.states))
            }
        }
        return errors
    }
}

@FastJSON
public struct ServiceAvailabilitySubscriptionSpec: Sendable, Hashable, Codable {
    public var appInstanceId: String
    public var callbackReference: String
    public var filteringCriteria: AvailabilityFilter?
    public var unknownFields = UnknownFields()

    public init(appInstanceId: String, callbackReference: String, filteringCriteria: AvailabilityFilter?) {
        self.appInstanceId = appInstanceId
        self.callbackReference = callbackReference
        self.filteringCriteria = filteringCriteria
    }
}

@FastJSON
public struct AvailabilityFilter: Sendable, Hashable, Codable {
    public var serInstanceIds: [String]?
    public var serNames: [String]?
    public var serCategories: [CategoryRef]?
    public var states: [String]?
    public var isLocal: Bool?
    public var unknownFields = UnknownFields()

    /// Whether a notification about `info` goes to this subscriber.
    public func matches(_ info: ServiceInfo) -> Bool {
        if let ids = serInstanceIds, !ids.contains(info.serInstanceId ?? "") { return false }
        if let names = serNames, !names.contains(info.serName) { return false }
        if let categories = serCategories, !categories.contains(where: { $0.id == info.serCategory?.id }) { return false }
        if let states, !states.contains(info.state) { return false }
        if let isLocal, isLocal != (info.isLocal ?? true) { return false }
        return true
    }
}
