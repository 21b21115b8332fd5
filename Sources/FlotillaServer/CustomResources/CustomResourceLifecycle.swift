import FlotillaAPI
import FlotillaStore

/// What kube-apiserver's apiextensions controllers do around a CRD write, done in the request that wrote it:
/// the served kinds change at once, the CRD's status says whether its names were accepted and it is
/// established, and deleting a CRD deletes every object of its kind first.
struct CustomResourceLifecycle {
    let store: any Store
    let served: ServedResources
    let now: Timestamp

    /// After a create or update: serve the new kinds, then record the outcome in the CRD's status. Returns the CRD
    /// as stored last.
    func established(_ stored: JSONValue) async throws(APIError) -> JSONValue {
        try await served.refresh(from: store)
        guard let name = stored.name else { return stored }
        var current = stored
        for _ in 0..<5 {
            guard var definition = try? CustomResourceDefinition(json: current) else { return current }
            let status = Self.status(of: definition, refusal: served.verdict(name) ?? nil, now: now)
            if definition.status == status { return current }
            definition.status = status
            guard case .success(let admitted) = CustomResourceDefinition.admit(typed: definition) else { return current }
            do {
                return try await store.update(CustomResourceDefinition.descriptor.groupResource, admitted, options: .none)
            } catch {
                guard error.reason == .conflict else { throw error }
                current = try await store.get(CustomResourceDefinition.descriptor.groupResource, namespace: nil, name: name)
            }
        }
        return current
    }

    /// NamesAccepted and Established (both True, or False with the clash), the accepted names, and every version
    /// objects were ever stored at.
    static func status(of definition: CustomResourceDefinition, refusal: String?, now: Timestamp) -> CustomResourceDefinition.Status {
        var conditions = definition.status?.conditions ?? []
        let accepted = refusal == nil
        conditions.set(Condition(type: "NamesAccepted", status: accepted ? .true : .false, reason: accepted ? "NoConflicts" : "NameConflict",
                                 message: refusal ?? "no conflicts found"), now: now)
        conditions.set(Condition(type: "Established", status: accepted ? .true : .false, reason: accepted ? "InitialNamesAccepted" : "NotAccepted",
                                 message: accepted ? "the initial names have been accepted" : "not all names are accepted"), now: now)
        var stored = definition.status?.storedVersions ?? []
        if let storage = definition.storageVersion, !stored.contains(storage) { stored.append(storage) }
        return CustomResourceDefinition.Status(conditions: conditions, acceptedNames: accepted ? definition.spec.names : definition.status?.acceptedNames,
                                               storedVersions: stored)
    }

    /// Before a delete: every object of the CRD's kind goes first (Kubernetes' customresourcecleanup finalizer).
    func deleteObjects(ofDefinition name: String) async throws(APIError) {
        let current = try await store.get(CustomResourceDefinition.descriptor.groupResource, namespace: nil, name: name)
        guard let definition = try? CustomResourceDefinition(json: current) else { return }
        let resource = GroupResource(group: definition.spec.group, resource: definition.spec.names.plural)
        for item in try await store.list(resource, options: ListOptions()).items {
            do {
                _ = try await store.delete(resource, namespace: item.namespace, name: item.name ?? "", options: .none)
            } catch {
                if error.reason != .notFound { throw error }
            }
        }
    }
}
