import FlotillaAPI
import FlotillaAPIExtension
import Foundation
import HTTPTypes
import Hummingbird
import KubeClient

/// The Open Service Broker API v2.17 under `/osb/v2/`, over the catalog's own objects: an OSB instance *is* a
/// ServiceInstance (in `context.namespace`, `default` without one), a binding a ServiceBinding, so kubectl and any
/// OSB platform see the same things. Requests arrive authenticated and authorized like every API request (the
/// control plane's tokens). Errors are OSB's `{"error", "description"}`.
///
///     GET    /osb/v2/catalog
///     PUT    /osb/v2/service_instances/{id}?accepts_incomplete=true    provision (asynchronous: 202, then last_operation)
///     GET    /osb/v2/service_instances/{id}                            fetch
///     PATCH  /osb/v2/service_instances/{id}?accepts_incomplete=true    change plan or parameters
///     DELETE /osb/v2/service_instances/{id}?accepts_incomplete=true    deprovision
///     GET    /osb/v2/service_instances/{id}/last_operation
///     PUT    /osb/v2/service_instances/{id}/service_bindings/{bid}     bind (201 with credentials once they are written)
///     GET    /osb/v2/service_instances/{id}/service_bindings/{bid}
///     DELETE /osb/v2/service_instances/{id}/service_bindings/{bid}     unbind
///
/// `X-Broker-API-Version` must be 2.x with x ≥ 12; otherwise 412.
public struct OpenServiceBroker: APIExtension {
    public let pathPrefix = "/osb/"
    public let metricName = "osb"
    let client: any ObjectClient
    /// How long bind waits for the credentials before answering.
    let bindWait: Duration

    public static let instanceIDAnnotation = "catalog.flotilla.io/osb-instance-id"
    public static let bindingIDAnnotation = "catalog.flotilla.io/osb-binding-id"

    public init(client: any ObjectClient, bindWait: Duration = .seconds(20)) {
        self.client = client
        self.bindWait = bindWait
    }

    /// An OSB error: the status and the body the spec gives it.
    struct Failure: Error {
        var status: HTTPResponse.Status
        var error: String?
        var description: String

        static func badRequest(_ description: String) -> Failure { Failure(status: .badRequest, error: nil, description: description) }
    }

    public func respond(to request: Request, body: [UInt8], user: UserInfo) async throws(APIError) -> ExtensionResponse {
        do {
            return try await route(request, body: body)
        } catch let failure as Failure {
            var answer: JSONValue = ["description": .string(failure.description)]
            if let error = failure.error { answer["error"] = .string(error) }
            return ExtensionResponse(status: failure.status, body: answer)
        } catch let error as APIError {
            let status: HTTPResponse.Status = error.code == 409 ? .conflict : error.code == 422 || error.code == 400 ? .badRequest : .internalServerError
            return ExtensionResponse(status: status, body: ["description": .string(error.message)])
        } catch {
            return ExtensionResponse(status: .internalServerError, body: ["description": .string("\(error)")])
        }
    }

    func route(_ request: Request, body: [UInt8]) async throws -> ExtensionResponse {
        guard let version = request.headers[HTTPField.Name("X-Broker-API-Version")!], Self.supports(version) else {
            throw Failure(status: .preconditionFailed, error: nil,
                description: "X-Broker-API-Version must be 2.12 or later (this broker implements 2.17)")
        }
        let parts = request.uri.path.dropFirst(pathPrefix.count).split(separator: "/").map(String.init)
        let query = request.uri.queryParameters
        let incomplete = query.get("accepts_incomplete") == "true"
        switch (parts, request.method) {
        case (["v2", "catalog"], .get):
            return ExtensionResponse(body: ["services": .array(try await offerings().map(Self.service))])
        case (let p, .put) where p.count == 3 && p[1] == "service_instances":
            return try await provision(p[2], body: try Self.object(body), incomplete: incomplete)
        case (let p, .get) where p.count == 3 && p[1] == "service_instances":
            return try await fetch(p[2])
        case (let p, .patch) where p.count == 3 && p[1] == "service_instances":
            return try await update(p[2], body: try Self.object(body), incomplete: incomplete)
        case (let p, .delete) where p.count == 3 && p[1] == "service_instances":
            return try await deprovision(p[2], incomplete: incomplete)
        case (let p, .get) where p.count == 4 && p[1] == "service_instances" && p[3] == "last_operation":
            return try await lastOperation(p[2])
        case (let p, .put) where p.count == 5 && p[1] == "service_instances" && p[3] == "service_bindings":
            return try await bind(p[2], binding: p[4], body: try Self.object(body))
        case (let p, .get) where p.count == 5 && p[1] == "service_instances" && p[3] == "service_bindings":
            return try await fetchBinding(p[2], binding: p[4])
        case (let p, .delete) where p.count == 5 && p[1] == "service_instances" && p[3] == "service_bindings":
            return try await unbind(p[2], binding: p[4])
        default:
            throw Failure(status: .notFound, error: nil, description: "no such broker endpoint: \(request.method) \(request.uri.path)")
        }
    }

    static func supports(_ version: String) -> Bool {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        return parts.count >= 2 && parts[0] == 2 && parts[1] >= 12
    }

    static func object(_ body: [UInt8]) throws -> JSONValue {
        guard !body.isEmpty else { return .object([:]) }
        guard let value = try? JSONValue.parse(body), value.objectValue != nil else { throw Failure.badRequest("the body must be a JSON object") }
        return value
    }

    // MARK: Catalog

    func offerings() async throws -> [ServiceOffering] {
        try await client.list(ServiceOffering.descriptor, namespace: nil, options: .everything).items
            .compactMap { try? ServiceOffering(json: $0) }.sorted { ($0.metadata.name ?? "") < ($1.metadata.name ?? "") }
    }

    static func service(_ offering: ServiceOffering) -> JSONValue {
        let bindable = offering.spec.bindable ?? true
        var service: JSONValue = ["id": .string(offering.spec.id ?? offering.metadata.name ?? ""), "name": .string(offering.metadata.name ?? ""),
            "description": .string(offering.spec.description), "bindable": .bool(bindable), "plan_updateable": true,
            "instances_retrievable": true, "bindings_retrievable": true,
            "tags": .array((offering.spec.tags ?? []).map(JSONValue.string))]
        service["plans"] = .array(offering.spec.plans.map { plan in
            var entry: JSONValue = ["id": .string(plan.id ?? plan.name), "name": .string(plan.name),
                "description": .string(plan.description ?? plan.name), "free": .bool(plan.free ?? true), "bindable": .bool(bindable)]
            if let schema = plan.parameters {
                entry["schemas"] = ["service_instance": ["create": ["parameters": schema], "update": ["parameters": schema]]]
            }
            return entry
        })
        return service
    }

    func offering(serviceID: String) async throws -> ServiceOffering {
        guard let offering = try await offerings().first(where: { ($0.spec.id ?? $0.metadata.name) == serviceID }) else {
            throw Failure.badRequest("no service with id \(serviceID)")
        }
        return offering
    }

    // MARK: Instances

    /// The ServiceInstance of an OSB instance id: named after it when it is a valid name, else `osb-<hash>`.
    static func objectName(_ id: String) -> String {
        if NameValidation.dns1123Label(id).isEmpty { return id }
        return "osb-" + FNV1a.safeEncoded(FNV1a.hash32(id))
    }

    func find(_ id: String) async throws -> ServiceInstance? {
        let items = try await client.list(ServiceInstance.descriptor, namespace: nil, options: .everything).items
        return items.compactMap { try? ServiceInstance(json: $0) }.first { $0.metadata.annotations?[Self.instanceIDAnnotation] == id }
    }

    func provision(_ id: String, body: JSONValue, incomplete: Bool) async throws -> ExtensionResponse {
        guard incomplete else {
            throw Failure(status: .unprocessableContent, error: "AsyncRequired", description: "provisioning is asynchronous: send accepts_incomplete=true")
        }
        guard let serviceID = body["service_id"]?.stringValue, let planID = body["plan_id"]?.stringValue else {
            throw Failure.badRequest("service_id and plan_id are required")
        }
        let offering = try await offering(serviceID: serviceID)
        guard let plan = offering.plan(planID) else { throw Failure.badRequest("service \(serviceID) has no plan \(planID)") }
        let namespace = body["context"]?["namespace"]?.stringValue ?? "default"
        let parameters = body["parameters"] ?? .object([:])
        var instance = ServiceInstance(metadata: ObjectMeta(name: Self.objectName(id), namespace: namespace,
            annotations: [Self.instanceIDAnnotation: id]), spec: ServiceInstanceSpec(offeringName: offering.metadata.name ?? "",
                planName: plan.name, parameters: parameters.objectValue?.isEmpty == false ? parameters : nil))
        if case .failure(.invalid(let errors)) = CatalogRendering.render(offering: offering, instance: instance) {
            throw Failure.badRequest(errors.map(\.description).joined(separator: "; "))
        }
        if let existing = try await find(id) {
            guard existing.spec.offeringName == instance.spec.offeringName, existing.spec.planName == instance.spec.planName,
                existing.spec.parameters == instance.spec.parameters, existing.metadata.namespace == namespace else {
                throw Failure(status: .conflict, error: nil, description: "instance \(id) exists with other attributes")
            }
            return Self.isReady(existing) ? ExtensionResponse(status: .ok, body: [:]) : ExtensionResponse(status: .accepted, body: ["operation": "provision"])
        }
        instance.metadata.labels = [ServiceInstance.offeringLabel: offering.metadata.name ?? ""]
        try await create(instance, namespace: namespace)
        return ExtensionResponse(status: .accepted, body: ["operation": "provision"])
    }

    /// Creates the instance, and first the namespace the platform names when it does not exist yet.
    func create(_ instance: ServiceInstance, namespace: String) async throws(APIError) {
        let missing: Bool
        do {
            _ = try await client.create(instance)
            return
        } catch {
            guard error.reason == .notFound else { throw error }
            missing = true
        }
        if missing {
            _ = try await client.create(Namespace.descriptor, Namespace(name: namespace).json())
            _ = try await client.create(instance)
        }
    }

    func fetch(_ id: String) async throws -> ExtensionResponse {
        guard let instance = try await find(id), let offering = try await offerings().first(where: { $0.metadata.name == instance.spec.offeringName }) else {
            throw Failure(status: .notFound, error: nil, description: "no instance \(id)")
        }
        return ExtensionResponse(body: ["service_id": .string(offering.spec.id ?? ""), "plan_id": .string(offering.plan(instance.spec.planName)?.id ?? ""),
                                        "parameters": instance.spec.parameters ?? .object([:])])
    }

    func update(_ id: String, body: JSONValue, incomplete: Bool) async throws -> ExtensionResponse {
        guard incomplete else { throw Failure(status: .unprocessableContent, error: "AsyncRequired", description: "updates are asynchronous: send accepts_incomplete=true") }
        guard var instance = try await find(id) else { throw Failure.badRequest("no instance \(id)") }
        guard let offering = try await offerings().first(where: { $0.metadata.name == instance.spec.offeringName }) else {
            throw Failure.badRequest("the instance's offering \(instance.spec.offeringName) is gone")
        }
        if let planID = body["plan_id"]?.stringValue {
            guard let plan = offering.plan(planID) else { throw Failure.badRequest("service has no plan \(planID)") }
            instance.spec.planName = plan.name
        }
        if let parameters = body["parameters"] { instance.spec.parameters = parameters }
        if case .failure(.invalid(let errors)) = CatalogRendering.render(offering: offering, instance: instance) {
            throw Failure.badRequest(errors.map(\.description).joined(separator: "; "))
        }
        _ = try await client.update(ServiceInstance.descriptor, instance.json())
        return ExtensionResponse(status: .accepted, body: ["operation": "update"])
    }

    func deprovision(_ id: String, incomplete: Bool) async throws -> ExtensionResponse {
        guard let instance = try await find(id) else { return ExtensionResponse(status: .gone, body: [:]) }
        guard incomplete else { throw Failure(status: .unprocessableContent, error: "AsyncRequired", description: "deprovisioning is asynchronous: send accepts_incomplete=true") }
        guard try await deleteIfPresent(ServiceInstance.descriptor, namespace: instance.metadata.namespace, name: instance.metadata.name ?? "") else {
            return ExtensionResponse(status: .gone, body: [:])
        }
        return ExtensionResponse(status: .accepted, body: ["operation": "deprovision"])
    }

    /// `succeeded` once Ready (or, while being deleted, 410 once gone); `failed` on a problem the user must fix.
    func lastOperation(_ id: String) async throws -> ExtensionResponse {
        guard let instance = try await find(id) else { return ExtensionResponse(status: .gone, body: [:]) }
        let ready = instance.status?.conditions?[type: "Ready"]
        if instance.metadata.deletionTimestamp != nil {
            return ExtensionResponse(body: ["state": "in progress", "description": "deprovisioning"])
        }
        if ready?.status == .true, instance.status?.observedGeneration == instance.metadata.generation {
            return ExtensionResponse(body: ["state": "succeeded", "description": .string(ready?.message ?? "Ready")])
        }
        if let reason = ready?.reason, ["OfferingNotFound", "PlanNotFound", "InvalidParameters"].contains(reason) {
            return ExtensionResponse(body: ["state": "failed", "description": .string(ready?.message ?? reason)])
        }
        return ExtensionResponse(body: ["state": "in progress", "description": .string(ready?.message ?? "provisioning")])
    }

    static func isReady(_ instance: ServiceInstance) -> Bool { instance.status?.conditions?[type: "Ready"]?.status == .true }

    // MARK: Bindings

    func bind(_ id: String, binding bindingID: String, body: JSONValue) async throws -> ExtensionResponse {
        guard let instance = try await find(id) else { throw Failure.badRequest("no instance \(id)") }
        let namespace = instance.metadata.namespace ?? "default"
        let name = Self.objectName(bindingID)
        if (try? await client.get(ServiceBinding.descriptor, namespace: namespace, name: name)) == nil {
            let binding = ServiceBinding(metadata: ObjectMeta(name: name, namespace: namespace, annotations: [Self.bindingIDAnnotation: bindingID]),
                spec: ServiceBindingSpec(instanceRef: LocalReference(name: instance.metadata.name ?? "")))
            _ = try await client.create(binding)
        }
        let deadline = ContinuousClock.now + bindWait
        while ContinuousClock.now < deadline {
            if let credentials = try await credentials(namespace: namespace, binding: name) {
                return ExtensionResponse(status: .created, body: ["credentials": credentials])
            }
            if let binding = try? ServiceBinding(json: try await client.get(ServiceBinding.descriptor, namespace: namespace, name: name)),
                let condition = binding.status?.conditions?[type: "Ready"], condition.status == .false,
                ["NotBindable", "SecretConflict"].contains(condition.reason ?? "") {
                throw Failure.badRequest(condition.message ?? "cannot bind")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(status: .unprocessableContent, error: "ConcurrencyError", description: "the credentials are not written yet (is the instance Ready?); try again")
    }

    func credentials(namespace: String, binding: String) async throws -> JSONValue? {
        guard let object = try? await client.get(ServiceBinding.descriptor, namespace: namespace, name: binding),
            let binding = try? ServiceBinding(json: object), binding.status?.conditions?[type: "Ready"]?.status == .true,
            let secret = try? await client.get(Secret.descriptor, namespace: namespace, name: binding.secret) else { return nil }
        var credentials: JSONObject = [:]
        for (key, value) in secret["data"]?.objectValue ?? [:] {
            guard let data = value.stringValue.flatMap({ Data(base64Encoded: $0) }) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            credentials[key] = key == "endpoints" ? ((try? JSONValue.parse(Array(data))) ?? .string(text)) : .string(text)
        }
        return credentials.isEmpty ? nil : .object(credentials)
    }

    func fetchBinding(_ id: String, binding bindingID: String) async throws -> ExtensionResponse {
        guard let instance = try await find(id),
            let credentials = try await credentials(namespace: instance.metadata.namespace ?? "default", binding: Self.objectName(bindingID)) else {
            throw Failure(status: .notFound, error: nil, description: "no binding \(bindingID)")
        }
        return ExtensionResponse(body: ["credentials": credentials])
    }

    func unbind(_ id: String, binding bindingID: String) async throws -> ExtensionResponse {
        guard let instance = try await find(id) else { return ExtensionResponse(status: .gone, body: [:]) }
        let namespace = instance.metadata.namespace ?? "default", name = Self.objectName(bindingID)
        guard let object = try? await client.get(ServiceBinding.descriptor, namespace: namespace, name: name),
            let binding = try? ServiceBinding(json: object) else { return ExtensionResponse(status: .gone, body: [:]) }
        _ = try await deleteIfPresent(ServiceBinding.descriptor, namespace: namespace, name: name)
        _ = try await deleteIfPresent(Secret.descriptor, namespace: namespace, name: binding.secret)
        return ExtensionResponse(status: .ok, body: [:])
    }

    /// Deletes the object; false when it was not there.
    func deleteIfPresent(_ resource: ResourceDescriptor, namespace: String?, name: String) async throws(APIError) -> Bool {
        do {
            try await client.delete(resource, namespace: namespace, name: name)
            return true
        } catch {
            guard error.reason == .notFound else { throw error }
            return false
        }
    }
}
