import FlotillaAPI
import FlotillaRuntime
import Foundation
import KubeClient
import Logging

/// Provisions and binds catalog services (docs/catalog.md). For each ServiceInstance: a finalizer, the offering's
/// template rendered by the pure `CatalogRendering`, the rendered objects created or brought back in step, objects a
/// former plan made and this one does not deleted, and status (`objects`, `Provisioned`, `Ready` once every rendered
/// Deployment is Ready on its members). A deleted instance deletes everything it made and the Secrets of its
/// bindings, and stays (its finalizer) until the federation has removed the copies from every member. For each ServiceBinding of a Ready instance: its Secret.
/// Problems — no such offering or plan, parameters that break the plan's schema (every field named) — are the
/// instance's `Ready=False` condition and a Warning event.
public struct CatalogController: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    /// The control plane's address as apps reach it, for the discovery URL in binding Secrets (the path alone without it).
    let publicURL: String?
    let tokens: CatalogTokens

    public init(client: any ObjectClient, publicURL: String? = nil, clock: any TimeSource = SystemTimeSource(),
                logger: Logger = Logger(label: "flotilla.catalog")) {
        self.client = client
        self.publicURL = publicURL
        self.clock = clock
        self.events = EventWriter(client: client, component: "catalog-controller", clock: clock)
        self.logger = logger
        self.tokens = CatalogTokens()
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "catalog", client: client, informers: informers,
            resources: [ServiceOffering.descriptor, ServiceInstance.descriptor, ServiceBinding.descriptor, Deployment.descriptor,
                        ResourceBinding.descriptor, MECService.descriptor, Work.descriptor, Secret.descriptor],
            statusBlind: [ServiceBinding.descriptor, Work.descriptor, Secret.descriptor],
            clock: runtimeClock(clock), logger: logger) { snapshot, changes in
            await reconcile(snapshot, changes)
        }
    }

    /// Instances are independent: a pass syncs the ones it concerns (all on a full pass or an offering change; else
    /// those changed, whose Deployments or Works changed, or whose bindings did) several at once.
    func reconcile(_ snapshot: ObjectSnapshot, _ changes: Changes) async -> Duration? {
        let offerings = Dictionary(snapshot.typed(ServiceOffering.self).map { ($0.metadata.name ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let instances = snapshot.typed(ServiceInstance.self)
        let bindings = snapshot.typed(ServiceBinding.self)
        let byKey = Dictionary(instances.map { ("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")", $0) }, uniquingKeysWith: { a, _ in a })
        let everything = changes.full || changes.touched(ServiceOffering.descriptor) || changes.touched(MECService.descriptor)
        var affected = Set<String>()
        if !everything {
            affected = changes.keys(ServiceInstance.descriptor).union(changes.statusOnlyKeys(ServiceInstance.descriptor))
            for key in changes.keys(Deployment.descriptor).union(changes.statusOnlyKeys(Deployment.descriptor)) {
                if let object = snapshot.object(Deployment.descriptor, key: key), let instance = object.labels[ServiceInstance.instanceLabel] {
                    affected.insert("\(object.namespace ?? "")/\(instance)")
                }
            }
            if changes.touched(Work.descriptor) || changes.touched(ResourceBinding.descriptor) {
                affected.formUnion(instances.filter { $0.metadata.deletionTimestamp != nil || $0.status?.conditions?[type: "Ready"]?.status != .true }
                    .map { "\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")" })
            }
            for key in changes.keys(ServiceBinding.descriptor) {
                if let object = snapshot.object(ServiceBinding.descriptor, key: key), let binding = try? ServiceBinding(json: object) {
                    affected.insert("\(binding.metadata.namespace ?? "")/\(binding.spec.instanceRef.name)")
                }
            }
        }
        let chosen = everything ? instances : instances.filter { affected.contains("\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")") }
        let synced = await concurrently(chosen, limit: Self.concurrency) { instance -> Duration? in
            do throws(APIError) {
                try await sync(instance, offering: offerings[instance.spec.offeringName], bindings: bindings, snapshot: snapshot)
                return nil
            } catch {
                if error.reason != .conflict { logger.warning("cannot sync instance", metadata: ["instance": "\(instance.metadata.name ?? "")", "error": "\(error)"]) }
                return ControllerLoop.retryDelay(for: error, current: nil)
            }
        }
        let chosenBindings = everything ? bindings : bindings.filter { affected.contains("\($0.metadata.namespace ?? "")/\($0.spec.instanceRef.name)") }
        let bound = await concurrently(chosenBindings, limit: Self.concurrency) { binding -> Duration? in
            let instance = byKey["\(binding.metadata.namespace ?? "")/\(binding.spec.instanceRef.name)"]
            do throws(APIError) {
                try await sync(binding, instance: instance, offering: instance.flatMap { offerings[$0.spec.offeringName] }, snapshot: snapshot)
                return nil
            } catch {
                return ControllerLoop.retryDelay(for: error, current: nil)
            }
        }
        // A binding deleted through kubectl takes its Secret, and so its token, with it.
        var collected: [Duration?] = []
        if everything || changes.touched(ServiceBinding.descriptor) || changes.touched(Secret.descriptor) {
            let live = Set(bindings.filter { $0.metadata.deletionTimestamp == nil }.map { "\($0.metadata.namespace ?? "")/\($0.metadata.name ?? "")" })
            for secret in snapshot.objects(Secret.descriptor) {
                guard let binding = secret.labels[Self.bindingLabel], !live.contains("\(secret.namespace ?? "")/\(binding)") else { continue }
                do throws(APIError) {
                    try await client.delete(Secret.descriptor, namespace: secret.namespace, name: secret.name ?? "")
                } catch {
                    if error.reason != .notFound { collected.append(ControllerLoop.retryDelay(for: error, current: nil)) }
                }
            }
        }
        return (synced + bound + collected).compactMap { $0 }.min()
    }

    static let concurrency = 32

    // MARK: Instances

    func sync(_ instance: ServiceInstance, offering: ServiceOffering?, bindings: [ServiceBinding], snapshot: ObjectSnapshot) async throws(APIError) {
        let namespace = instance.metadata.namespace ?? "default"
        if instance.metadata.deletionTimestamp != nil {
            // The finalizer stays until the members' copies are gone; their Works' deletion brings the next pass.
            _ = try await tearDown(instance, bindings: bindings.filter { $0.metadata.namespace == namespace && $0.spec.instanceRef.name == instance.metadata.name },
                works: snapshot.objects(Work.descriptor))
            return
        }
        var instance = instance
        if !(instance.metadata.finalizers ?? []).contains(ServiceInstance.finalizer) {
            instance.metadata.finalizers = (instance.metadata.finalizers ?? []) + [ServiceInstance.finalizer]
            let stored = try await client.update(ServiceInstance.descriptor, instance.json())
            instance = (try? ServiceInstance(json: stored)) ?? instance
        }
        guard let offering else {
            return try await report(instance, reason: "OfferingNotFound", message: "serviceoffering \(instance.spec.offeringName) does not exist")
        }
        let rendering: CatalogRendering
        switch CatalogRendering.render(offering: offering, instance: instance) {
        case .success(let rendered): rendering = rendered
        case .failure(.noPlan(let plan)):
            let plans = offering.spec.plans.map(\.name).joined(separator: ", ")
            return try await report(instance, reason: "PlanNotFound", message: "offering \(offering.metadata.name ?? "") has no plan \(plan) (plans: \(plans))")
        case .failure(.invalid(let errors)):
            return try await report(instance, reason: "InvalidParameters", message: errors.map(\.description).joined(separator: "; "))
        }
        var made: [RenderedObject] = []
        for object in rendering.objects {
            try await apply(object)
            made.append(RenderedObject(apiVersion: object["apiVersion"]?.stringValue ?? "", kind: object["kind"]?.stringValue ?? "", name: object.name ?? ""))
        }
        for stale in (instance.status?.objects ?? []) where !made.contains(stale) {
            try await delete(stale, namespace: namespace)
        }
        let deployments = made.filter { $0.kind == "Deployment" }
        let ready = deployments.filter { reference in
            snapshot.object(Deployment.descriptor, key: "\(namespace)/\(reference.name)").map(Self.isReady) ?? false
        }
        var status = instance.status ?? ServiceInstanceStatus()
        status.objects = made
        status.observedGeneration = instance.metadata.generation
        var conditions = status.conditions ?? []
        let now = Timestamp(clock.now())
        conditions.set(Condition(type: "Provisioned", status: .true, reason: "Provisioned",
            message: "\(made.count) objects from offering \(offering.metadata.name ?? ""), plan \(instance.spec.planName)", observedGeneration: instance.metadata.generation), now: now)
        conditions.set(ready.count == deployments.count
            ? Condition(type: "Ready", status: .true, reason: "Ready", message: "every Deployment is Ready on its clusters", observedGeneration: instance.metadata.generation)
            : Condition(type: "Ready", status: .false, reason: "Provisioning", message: "\(ready.count)/\(deployments.count) Deployments Ready",
                observedGeneration: instance.metadata.generation), now: now)
        status.conditions = conditions
        guard status != instance.status else { return }
        instance.status = status
        _ = try await client.updateStatus(ServiceInstance.descriptor, instance.json())
    }

    /// A problem the user must fix: `Ready=False` with the reason, and a Warning event when it is new.
    func report(_ instance: ServiceInstance, reason: String, message: String) async throws(APIError) {
        var updated = instance
        var status = instance.status ?? ServiceInstanceStatus()
        var conditions = status.conditions ?? []
        let before = conditions[type: "Ready"]
        conditions.set(Condition(type: "Ready", status: .false, reason: reason, message: message, observedGeneration: instance.metadata.generation),
            now: Timestamp(clock.now()))
        status.conditions = conditions
        status.observedGeneration = instance.metadata.generation
        guard status != instance.status else { return }
        updated.status = status
        _ = try await client.updateStatus(ServiceInstance.descriptor, updated.json())
        if before?.reason != reason || before?.message != message { events.record(instance, type: "Warning", reason: reason, message: message) }
    }

    /// Creates the object or brings the stored one in step (`createOrUpdate`).
    func apply(_ object: JSONValue) async throws(APIError) {
        guard let descriptor = ResourceRegistry.controlPlane.descriptor(apiVersion: object["apiVersion"]?.stringValue ?? "",
            kind: object["kind"]?.stringValue ?? "") else {
            throw APIError(.invalid, "\(object["kind"]?.stringValue ?? "") is not served")
        }
        try await client.createOrUpdate(descriptor, object)
    }

    func delete(_ reference: RenderedObject, namespace: String) async throws(APIError) {
        guard let descriptor = ResourceRegistry.controlPlane.descriptor(apiVersion: reference.apiVersion, kind: reference.kind) else { return }
        do {
            try await client.delete(descriptor, namespace: namespace, name: reference.name)
        } catch where error.reason == .notFound {}
    }

    /// Deletes what the instance made and its bindings' Secrets; releases the finalizer once no Work of those objects
    /// is left (each Work goes only after its member copy is deleted). Returns whether the instance is released.
    func tearDown(_ instance: ServiceInstance, bindings: [ServiceBinding], works: [JSONValue]) async throws(APIError) -> Bool {
        let namespace = instance.metadata.namespace ?? "default"
        for binding in bindings {
            do { try await client.delete(ServiceBinding.descriptor, namespace: namespace, name: binding.metadata.name ?? "") } catch where error.reason == .notFound {}
            do { try await client.delete(Secret.descriptor, namespace: namespace, name: binding.secret) } catch where error.reason == .notFound {}
        }
        for object in instance.status?.objects ?? [] { try await delete(object, namespace: namespace) }
        let bindingNames = Set((instance.status?.objects ?? []).map { ResourceBinding.name(forTemplate: $0.name, kind: $0.kind) })
        let remaining = works.contains { work in
            work.labels[WorkRendering.bindingNamespaceLabel] == namespace && bindingNames.contains(work.labels[WorkRendering.bindingNameLabel] ?? "")
        }
        if remaining { return false }
        guard (instance.metadata.finalizers ?? []).contains(ServiceInstance.finalizer) else { return true }
        var released = instance
        released.metadata.finalizers = (instance.metadata.finalizers ?? []).filter { $0 != ServiceInstance.finalizer }
        _ = try await client.update(ServiceInstance.descriptor, released.json())
        return true
    }

    static func isReady(_ deployment: JSONValue) -> Bool {
        let wanted = deployment["spec"]?["replicas"]?.int64Value ?? 1
        let status = deployment["status"]
        return (status?["readyReplicas"]?.int64Value ?? 0) >= wanted && (status?["replicas"]?.int64Value ?? 0) >= wanted
    }

    // MARK: Bindings

    func sync(_ binding: ServiceBinding, instance: ServiceInstance?, offering: ServiceOffering?, snapshot: ObjectSnapshot) async throws(APIError) {
        let namespace = binding.metadata.namespace ?? "default"
        let now = Timestamp(clock.now())
        func condition(_ status: ConditionStatus, _ reason: String, _ message: String) async throws(APIError) {
            var updated = binding
            var current = binding.status ?? ServiceBindingStatus()
            var conditions = current.conditions ?? []
            let before = conditions[type: "Ready"]
            conditions.set(Condition(type: "Ready", status: status, reason: reason, message: message, observedGeneration: binding.metadata.generation), now: now)
            current.conditions = conditions
            current.secretName = status == .true ? binding.secret : nil
            guard current != binding.status else { return }
            updated.status = current
            _ = try await client.updateStatus(ServiceBinding.descriptor, updated.json())
            if status == .false, before?.reason != reason { events.record(binding, type: "Warning", reason: reason, message: message) }
        }
        guard binding.metadata.deletionTimestamp == nil else { return }
        guard let instance, instance.metadata.deletionTimestamp == nil else {
            return try await condition(.false, "InstanceNotFound", "serviceinstance \(binding.spec.instanceRef.name) does not exist")
        }
        guard offering?.spec.bindable != false else {
            return try await condition(.false, "NotBindable", "offering \(instance.spec.offeringName) is not bindable")
        }
        guard instance.status?.conditions?[type: "Ready"]?.status == .true else {
            return try await condition(.false, "InstanceNotReady", "serviceinstance \(instance.metadata.name ?? "") is not Ready yet")
        }
        let existing = try? await client.get(Secret.descriptor, namespace: namespace, name: binding.secret)
        if let existing, existing.labels[Self.bindingLabel] != binding.metadata.name {
            return try await condition(.false, "SecretConflict", "secret \(binding.secret) exists and was not written for this binding")
        }
        let data = credentials(instance: instance, offering: offering, snapshot: snapshot,
            token: existing?["data"]?["token"]?.stringValue.flatMap { Data(base64Encoded: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? tokens.make())
        let secret: JSONValue = ["apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": ["name": .string(binding.secret), "namespace": .string(namespace),
                         "labels": [Self.bindingLabel: .string(binding.metadata.name ?? ""), ServiceInstance.instanceLabel: .string(instance.metadata.name ?? "")]],
            "data": .object(JSONObject(data.mapValues { .string(Data($0.utf8).base64EncodedString()) }))]
        try await apply(secret)
        try await condition(.true, "Bound", "credentials in secret \(binding.secret)")
    }

    public static let bindingLabel = "catalog.flotilla.io/binding"

    /// What an app needs: where to discover its instance, a token, and the instance's endpoints per cluster.
    func credentials(instance: ServiceInstance, offering: ServiceOffering?, snapshot: ObjectSnapshot, token: String) -> [String: String] {
        let namespace = instance.metadata.namespace ?? "default", name = instance.metadata.name ?? ""
        var data = ["token": token, "instance": name, "namespace": namespace]
        if offering?.spec.template?.appProfile != nil {
            data["discoveryURL"] = "\(publicURL ?? "")/mec/discovery/v1/namespaces/\(namespace)/apps/\(name)/endpoints"
        }
        var endpoints: [JSONValue] = []
        for object in instance.status?.objects ?? [] where object.kind == "Service" {
            let binding = snapshot.object(ResourceBinding.descriptor, key: "\(namespace)/\(object.name)-service")
            let clusters = (binding?["spec"]?["clusters"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }.sorted()
            for cluster in clusters {
                endpoints.append(["cluster": .string(cluster), "service": .string("\(object.name).\(namespace)")])
            }
        }
        // A registered MEC service: its transport's endpoint, as the provider registered it.
        if let id = offering?.spec.registeredService, let service = snapshot.object(MECService.descriptor, key: "/\(id)"),
            let transport = service["spec"]?["serviceInfo"]?["transportInfo"] {
            endpoints.append(["serInstanceId": .string(id), "serName": service["spec"]?["serviceInfo"]?["serName"] ?? "",
                              "transport": transport["type"] ?? "", "endpoint": transport["endpoint"] ?? [:]])
        }
        data["endpoints"] = String(decoding: JSONValue.array(endpoints).serialized(), as: UTF8.self)
        return data
    }
}

/// Random bearer tokens for bindings.
struct CatalogTokens: Sendable {
    func make() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }
}
