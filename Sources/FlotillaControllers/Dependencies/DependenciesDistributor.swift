import FlotillaAPI
import FlotillaInterpreter
import FlotillaRuntime
import KubeClient
import Logging

/// Carries out `DependencyPlan`: watches bindings, templates and interpreter customizations, asks the interpreter
/// for the dependencies of each `propagateDeps` binding's template, and creates, updates or deletes attached
/// bindings. A dependency that does not exist yet is a Warning event on the binding that needs it (once per
/// dependency); it follows as soon as it is created.
public struct DependenciesDistributor: Sendable {
    let client: any ObjectClient
    let clock: any TimeSource
    let events: EventWriter
    let logger: Logger
    let interpreters = InterpreterCache()
    let reported = ReportedSet()

    public init(client: any ObjectClient, clock: any TimeSource = SystemTimeSource(), logger: Logger = Logger(label: "flotilla.dependencies")) {
        self.client = client
        self.clock = clock
        self.events = EventWriter(client: client, component: "dependencies-distributor", clock: clock)
        self.logger = logger
    }

    public func loop(informers: SharedInformers? = nil) -> ControllerLoop {
        ControllerLoop(name: "dependencies", client: client, informers: informers,
            resources: [ResourceBinding.descriptor, ResourceInterpreterCustomization.descriptor, CustomResourceDefinition.descriptor]
                + Detector.templateKinds,
            statusBlind: [ResourceBinding.descriptor, CustomResourceDefinition.descriptor] + Detector.templateKinds,
            declared: TemplateKinds.declared, declaredStatusBlind: true, clock: runtimeClock(clock), logger: logger) { snapshot, _ in
                await self.reconcile(snapshot)
            }
    }

    func reconcile(_ snapshot: ObjectSnapshot) async -> Duration? {
        let bindings = snapshot.objects(ResourceBinding.descriptor)
        // Only bindings that propagate dependencies or are required by one take part: a cheap look at each.
        guard bindings.contains(where: { $0["spec"]?["propagateDeps"]?.boolValue == true || $0["spec"]?["requiredBy"] != nil }) else { return nil }
        let interpreter = interpreters.interpreter(snapshot)
        var parents: [DependencyPlan.Parent] = []
        for object in bindings where object["spec"]?["propagateDeps"]?.boolValue == true && object.deletionTimestamp == nil {
            guard let binding = try? ResourceBinding(json: object), let template = Self.template(of: binding, in: snapshot) else { continue }
            do {
                parents.append(DependencyPlan.Parent(namespace: binding.metadata.namespace ?? "", name: binding.metadata.name ?? "",
                    clusters: (binding.spec.clusters ?? []).map(\.name), dependencies: try interpreter.dependencies(of: template)))
            } catch {
                if await reported.insert("\(binding.metadata.uid ?? "")@\(template.generation ?? 0):\(error.message)") {
                    events.record(object, type: "Warning", reason: "InterpretDependencyFailed", message: error.message)
                }
            }
        }
        let byKey = Dictionary(bindings.map { (WatchedSet.key($0), $0) }, uniquingKeysWith: { a, _ in a })
        let (actions, missing) = DependencyPlan.plan(parents: parents, bindings: byKey) { reference in
            Self.object(reference, in: snapshot)
        }
        for (parent, dependency) in missing {
            guard let binding = byKey[parent], await reported.insert("\(parent)→\(dependency.kind)/\(dependency.name ?? "")") else { continue }
            events.record(binding, type: "Warning", reason: "DependencyNotFound",
                message: "\(dependency.kind) \(dependency.namespace ?? "")/\(dependency.name ?? "") does not exist (yet): it follows the workload once it does")
        }
        var retry: Duration?
        for action in actions {
            do throws(APIError) {
                try await apply(action)
            } catch {
                if error.reason != .conflict && error.reason != .alreadyExists && error.reason != .notFound {
                    logger.warning("cannot write an attached binding", metadata: ["action": "\(action)", "error": "\(error)"])
                }
                retry = ControllerLoop.retryDelay(for: error, current: retry)
            }
        }
        return retry
    }

    private func apply(_ action: DependencyPlan.Action) async throws(APIError) {
        switch action {
        case .create(let namespace, let name, let template, let requiredBy):
            var binding = ResourceBinding(metadata: ObjectMeta(name: name, namespace: namespace, labels: [DependencyPlan.attachedLabel: "true"]),
                spec: ResourceBindingSpec(resource: ObjectReference(apiVersion: template.apiVersion, kind: template.kind,
                    namespace: template.namespace, name: template.name, uid: template.uid)))
            binding.spec.requiredBy = requiredBy.arrayValue
            if let uid = template.uid, let kind = template.kind, let apiVersion = template.apiVersion {
                binding.metadata.ownerReferences = [OwnerReference(apiVersion: apiVersion, kind: kind, name: template.name ?? "", uid: uid,
                    controller: true, blockOwnerDeletion: true)]
            }
            _ = try await client.create(binding)
        case .update(let namespace, let name, let requiredBy):
            _ = try await client.mergePatch(ResourceBinding.descriptor, namespace: namespace, name: name,
                ["spec": ["requiredBy": requiredBy ?? .null]])
        case .delete(let namespace, let name):
            try await client.delete(ResourceBinding.descriptor, namespace: namespace, name: name)
        }
    }

    static func template(of binding: ResourceBinding, in snapshot: ObjectSnapshot) -> JSONValue? {
        let resource = binding.spec.resource
        return TemplateKinds(snapshot).kind(apiVersion: resource.apiVersion, kind: resource.kind)
            .flatMap { snapshot.object($0, key: "\(resource.namespace ?? "")/\(resource.name ?? "")") }
    }

    static func object(_ reference: DependentReference, in snapshot: ObjectSnapshot) -> JSONValue? {
        guard let name = reference.name,
              let kind = TemplateKinds(snapshot).kind(apiVersion: reference.apiVersion, kind: reference.kind) else { return nil }
        return snapshot.object(kind, key: "\(reference.namespace ?? "")/\(name)")
    }
}
