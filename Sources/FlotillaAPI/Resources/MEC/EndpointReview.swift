/// mec.flotilla.io/v1alpha1 EndpointReview: discovery for tools, Kubernetes style — `kubectl create -f review.yaml -o yaml`
/// returns the ranked endpoints in status, like a SubjectAccessReview. Create-only; nothing is stored.
@FastJSON
public struct EndpointReview: APIObject {
    public var apiVersion: String?
    public var kind: String?
    public var metadata: ObjectMeta
    public var spec: EndpointReviewSpec
    public var status: EndpointReviewStatus?
    public var unknownFields = UnknownFields()

    public init(metadata: ObjectMeta, spec: EndpointReviewSpec) {
        self.metadata = metadata
        self.spec = spec
    }

    public static let descriptor: ResourceDescriptor = {
        var descriptor = ResourceDescriptor(group: "mec.flotilla.io", version: "v1alpha1", kind: "EndpointReview", plural: "endpointreviews",
            categories: ["flotilla-mec"], namespaced: true, admit: EndpointReview.admit, unknownFields: EndpointReview.unknownFieldPaths)
        descriptor.createOnly = true
        return descriptor
    }()

    public func validate() -> [FieldError] {
        var errors: [FieldError] = []
        if spec.app.isEmpty { errors.append(.required(FieldPath("spec.app"), "the AppProfile's name")) }
        let subjects = [spec.ue != nil, spec.cell != nil, spec.latitude != nil || spec.longitude != nil].filter { $0 }.count
        if subjects != 1 { errors.append(.required(FieldPath("spec"), "exactly one of ue, cell, or latitude with longitude")) }
        if (spec.latitude == nil) != (spec.longitude == nil) {
            errors.append(.required(FieldPath(spec.latitude == nil ? "spec.latitude" : "spec.longitude"), "latitude and longitude go together"))
        }
        if let latitude = spec.latitude, abs(latitude) > 90 { errors.append(.invalid(FieldPath("spec.latitude"), "\(latitude)", "degrees, -90 to 90")) }
        if let longitude = spec.longitude, abs(longitude) > 180 {
            errors.append(.invalid(FieldPath("spec.longitude"), "\(longitude)", "degrees, -180 to 180"))
        }
        if let limit = spec.limit, limit < 1 { errors.append(.invalid(FieldPath("spec.limit"), "\(limit)", "must be at least 1")) }
        return errors
    }
}

@FastJSON
public struct EndpointReviewSpec: Sendable, Hashable, Codable {
    public var app: String
    public var ue: String?
    public var cell: String?
    public var latitude: Double?
    public var longitude: Double?
    public var limit: Int?
    public var unknownFields = UnknownFields()

    public init(app: String, ue: String? = nil) {
        self.app = app
        self.ue = ue
    }
}

@FastJSON
public struct EndpointReviewStatus: Sendable, Hashable, Codable {
    public var endpoints: [ReviewedEndpoint]?
    public var skipped: [ReviewedEndpoint]?
    public var cell: String?
    public var latencyBudgetMs: Double?
    public var unknownFields = UnknownFields()

    public init() {}
}

@FastJSON
public struct ReviewedEndpoint: Sendable, Hashable, Codable {
    public var site: String
    public var endpoint: String
    public var predictedRttMs: Double?
    public var withinBudget: Bool
    public var load: Int
    public var capacity: Int?
    public var reason: String
    public var unknownFields = UnknownFields()

    public init(site: String, endpoint: String, predictedRttMs: Double?, withinBudget: Bool, load: Int, capacity: Int?, reason: String) {
        self.site = site
        self.endpoint = endpoint
        self.predictedRttMs = predictedRttMs
        self.withinBudget = withinBudget
        self.load = load
        self.capacity = capacity
        self.reason = reason
    }
}
