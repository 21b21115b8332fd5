import FlotillaAPI
import KubeClient

/// Writes one controller's part of an object's status without clobbering the parts other controllers own: the
/// change is a function of the stored status, re-applied to a fresh read when a concurrent write wins the race.
package enum StatusWriter {
    /// Returns whether anything was written.
    @discardableResult
    package static func update(_ client: any ObjectClient, _ resource: ResourceDescriptor, _ object: JSONValue,
                       _ change: (JSONValue?) -> JSONValue?) async throws(APIError) -> Bool {
        var current = object
        for attempt in 0..<4 {
            let status = change(current["status"])
            guard status != current["status"] else { return false }
            var updated = current
            updated["status"] = status
            do {
                _ = try await client.updateStatus(resource, updated)
                return true
            } catch {
                guard error.reason == .conflict, attempt < 3 else { throw error }
                current = try await client.get(resource, namespace: object.namespace, name: object.name ?? "")
            }
        }
        return false
    }
}
