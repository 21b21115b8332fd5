/// core/v1 Event: what controllers report about an object; `kubectl describe` lists them.
@FastJSON
public struct Event: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var involvedObject: ObjectReference
    public var reason: String?
    public var message: String?
    public var type: String?
    public var count: Int32?
    public var firstTimestamp: Timestamp?
    public var lastTimestamp: Timestamp?
    public var source: EventSource?
    public var reportingComponent: String?
    public var reportingInstance: String?
    public var action: String?
    public var eventTime: String?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, involvedObject: ObjectReference, type: String, reason: String, message: String,
                source: String, at time: Timestamp) {
        self.metadata = metadata
        self.involvedObject = involvedObject
        self.type = type
        self.reason = reason
        self.message = message
        self.count = 1
        self.firstTimestamp = time
        self.lastTimestamp = time
        self.source = EventSource(component: source)
        self.reportingComponent = source
    }

    public static let descriptor = ResourceDescriptor(
        group: "", version: "v1", kind: "Event", plural: "events", shortNames: ["ev"], namespaced: true, builtin: true,
        selectableFields: ["involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid",
            "reason", "type", "source"],
        fieldLabels: { event in
            let involved = event["involvedObject"]
            return [
                "involvedObject.kind": involved?["kind"]?.stringValue ?? "",
                "involvedObject.name": involved?["name"]?.stringValue ?? "",
                "involvedObject.namespace": involved?["namespace"]?.stringValue ?? "",
                "involvedObject.uid": involved?["uid"]?.stringValue ?? "",
                "reason": event["reason"]?.stringValue ?? "",
                "type": event["type"]?.stringValue ?? "",
                "source": event["source"]?["component"]?.stringValue ?? "",
            ]
        },
        admit: Event.admit, unknownFields: Event.unknownFieldPaths)

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if let type, !["Normal", "Warning"].contains(type) {
            errors.append(.notSupported(FieldPath("type"), type, supported: ["Normal", "Warning"]))
        }
        if involvedObject.kind?.isEmpty ?? true { errors.append(.required(FieldPath("involvedObject.kind"))) }
        return errors
    }
}

@FastJSON
public struct ObjectReference: Sendable, Hashable, Codable {
    public var apiVersion: String?
    public var kind: String?
    public var namespace: String?
    public var name: String?
    public var uid: String?
    public var resourceVersion: String?
    public var fieldPath: String?

    public init(apiVersion: String?, kind: String?, namespace: String?, name: String?, uid: String?) {
        self.apiVersion = apiVersion
        self.kind = kind
        self.namespace = namespace
        self.name = name
        self.uid = uid
    }
}

@FastJSON
public struct EventSource: Sendable, Hashable, Codable {
    public var component: String?
    public var host: String?

    public init(component: String?, host: String? = nil) {
        self.component = component
        self.host = host
    }
}
