/// The kinds a server serves, looked up the ways clients name them.
public struct ResourceRegistry: Sendable {
    public private(set) var descriptors: [ResourceDescriptor]

    public init(_ descriptors: [ResourceDescriptor]) { self.descriptors = descriptors }

    public mutating func register(_ descriptor: ResourceDescriptor) {
        descriptors.removeAll { $0.groupResource == descriptor.groupResource && $0.version == descriptor.version }
        descriptors.append(descriptor)
    }

    /// By URL coordinates: `/apis/<group>/<version>/<plural>`.
    public func descriptor(group: String, version: String, plural: String) -> ResourceDescriptor? {
        descriptors.first { $0.group == group && $0.version == version && $0.plural == plural }
    }

    /// By the `apiVersion` and `kind` of a document.
    public func descriptor(apiVersion: String, kind: String) -> ResourceDescriptor? {
        guard let gv = GroupVersion(apiVersion: apiVersion) else { return nil }
        return descriptors.first { $0.group == gv.group && $0.version == gv.version && $0.kind == kind }
    }

    public func descriptor(for resource: GroupResource) -> ResourceDescriptor? {
        descriptors.first { $0.groupResource == resource }
    }

    /// As a person types it: plural, singular, short name or kind, optionally qualified by group
    /// (`deploy`, `deployments.apps`, `pp`, `Cluster`).
    public func resolve(_ name: String) -> ResourceDescriptor? {
        let lowered = name.lowercased()
        let (resource, group): (String, String?) = {
            guard let dot = lowered.firstIndex(of: ".") else { return (lowered, nil) }
            return (String(lowered[..<dot]), String(lowered[lowered.index(after: dot)...]))
        }()
        return descriptors.first { d in
            (group == nil || d.group == group) &&
                (d.plural == resource || d.singular == resource || d.shortNames.contains(resource) || d.kind.lowercased() == resource)
        }
    }

    /// Every descriptor in a category (`kubectl get karmada`).
    public func category(_ name: String) -> [ResourceDescriptor] {
        descriptors.filter { $0.categories.contains(name) }
    }

    /// Group versions in serving order: core first, then groups by name.
    public var groupVersions: [GroupVersion] {
        var seen = Set<GroupVersion>()
        var result: [GroupVersion] = []
        for d in descriptors.sorted(by: { ($0.group, $0.version) < ($1.group, $1.version) }) {
            let gv = GroupVersion(group: d.group, version: d.version)
            if seen.insert(gv).inserted { result.append(gv) }
        }
        return result
    }

    /// Admits an object of any registered kind, by its apiVersion and kind.
    public func admit(_ value: JSONValue) -> Result<JSONValue, AdmissionFailure> {
        guard let apiVersion = value["apiVersion"]?.stringValue, let kind = value["kind"]?.stringValue else {
            return .failure(.malformed(DecodeError(path: "", message: "apiVersion and kind are required")))
        }
        guard let descriptor = descriptor(apiVersion: apiVersion, kind: kind) else {
            return .failure(.malformed(DecodeError(path: "kind", message: "no kind \"\(kind)\" is registered for version \"\(apiVersion)\"")))
        }
        return descriptor.admit(value)
    }
}
