import FlotillaAPI

/// Pure: what applying one manifest of a Work to a member means, given what the member holds under its name.
///
/// | member holds | managed by Flotilla | `conflictResolution` | action |
/// |---|---|---|---|
/// | nothing | | | **create** the manifest, stamped with `karmada.io/managed` and the Work's name and namespace |
/// | an object | yes | any | **update** it: the manifest's top-level fields (not metadata, not status), its labels and annotations; **nothing** when that changes nothing |
/// | an object | no | Abort (default) | **conflict**: left alone, the Work reports `ConflictWithExisting` |
/// | an object | no | Overwrite | **update** it, as above (it becomes managed) |
/// | a Namespace | no | any | **update** it (adopted): namespaces are shared, and the member may hold one already (Flotilla makes the namespace of every namespaced manifest it applies) |
public enum ManifestApply {
    public enum Action: Equatable, Sendable {
        case create(JSONValue)
        case update(JSONValue)
        case nothing
        case conflict(String)
    }

    /// The manifest as the member should hold it: its labels plus Flotilla's ownership labels.
    public static func desired(_ manifest: JSONValue, work: Work) -> JSONValue {
        var desired = manifest
        var labels = manifest.labels
        labels[ExecutionController.managedLabel] = "true"
        labels[ExecutionController.workNameLabel] = work.metadata.name ?? ""
        labels[ExecutionController.workNamespaceLabel] = work.metadata.namespace ?? ""
        desired.setMetadata("labels", .object(JSONObject(labels.mapValues { .string($0) })))
        return desired
    }

    public static func decide(desired: JSONValue, current: JSONValue?, overwrite: Bool, cluster: String, resource: String) -> Action {
        guard let current else { return .create(desired) }
        guard current.labels[ExecutionController.managedLabel] == "true" || overwrite || desired.kind == Namespace.descriptor.kind else {
            return .conflict("ConflictWithExisting: \(resource) \(desired.namespace ?? "")/\(desired.name ?? "") exists in \(cluster) and was not created by Flotilla")
        }
        var updated = current
        for (key, value) in desired.objectValue ?? [:] where key != "metadata" && key != "status" { updated[key] = value }
        updated.setMetadata("labels", desired["metadata"]?["labels"])
        updated.setMetadata("annotations", desired["metadata"]?["annotations"])
        return updated == current ? .nothing : .update(updated)
    }
}
