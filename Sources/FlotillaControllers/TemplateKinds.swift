import FlotillaAPI
import FlotillaRuntime

/// The kinds the federation propagates in one pass: the built-in template kinds (`Detector.allTemplateKinds`) and
/// the kind of every established CustomResourceDefinition on the control plane. A loop that reads templates
/// watches CRDs and follows their kinds (`declared`).
struct TemplateKinds {
    let all: [ResourceDescriptor]

    init(_ snapshot: ObjectSnapshot) { all = Detector.allTemplateKinds + Self.custom(snapshot) }

    /// The preferred version of each established CRD's kind.
    static func custom(_ snapshot: ObjectSnapshot) -> [ResourceDescriptor] {
        snapshot.typed(CustomResourceDefinition.self).filter { $0.isEstablished && $0.metadata.deletionTimestamp == nil }
            .compactMap(\.preferredDescriptor)
    }

    /// For `ControllerLoop`'s declared resources.
    static let declared: ControllerLoop.Declared = { custom($0) }

    /// The kind of a template by its apiVersion and kind.
    func kind(apiVersion: String?, kind: String?) -> ResourceDescriptor? {
        all.first { $0.kind == kind && $0.apiVersion == apiVersion }
    }

    /// The template a binding stands for: from its `spec.resource` when the binding is at hand (a name with `:` is
    /// `.` in its binding's name, so the name alone cannot say), else from its key.
    func template(ofBinding binding: JSONValue?, key: String) -> (ResourceDescriptor, String)? {
        if let resource = binding?["spec"]?["resource"], let name = resource["name"]?.stringValue,
           let kind = kind(apiVersion: resource["apiVersion"]?.stringValue, kind: resource["kind"]?.stringValue) {
            return (kind, "\(kind.namespaced ? resource["namespace"]?.stringValue ?? "" : "")/\(name)")
        }
        return template(ofBindingKey: key)
    }

    /// The template a binding named `<name>-<kind>` stands for (`/name-kind` for a ClusterResourceBinding); the
    /// longest kind that fits wins.
    func template(ofBindingKey key: String) -> (ResourceDescriptor, String)? {
        let clusterScoped = key.hasPrefix("/")
        let candidates = all.filter { $0.namespaced != clusterScoped }.sorted { $0.kind.count > $1.kind.count }
        for kind in candidates {
            let suffix = "-\(kind.kind.lowercased())"
            if key.hasSuffix(suffix) { return (kind, String(key.dropLast(suffix.count))) }
        }
        return nil
    }
}
