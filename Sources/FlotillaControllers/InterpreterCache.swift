import FlotillaAPI
import FlotillaInterpreter
import FlotillaRuntime
import Synchronization

/// The resource interpreter for the ResourceInterpreterCustomizations a controller's snapshot holds, rebuilt only
/// when one of them changes (their names and resourceVersions are the fingerprint).
final class InterpreterCache: Sendable {
    private let current = Mutex<(fingerprint: String, interpreter: ResourceInterpreter)>(("", ResourceInterpreter()))

    func interpreter(_ snapshot: ObjectSnapshot) -> ResourceInterpreter {
        let objects = snapshot.objects(ResourceInterpreterCustomization.descriptor)
        let fingerprint = objects.map { "\($0.name ?? "")@\($0.resourceVersion ?? "")" }.sorted().joined(separator: ",")
        if let cached = current.withLock({ $0.fingerprint == fingerprint ? $0.interpreter : nil }) { return cached }
        let interpreter = ResourceInterpreter(customizations: objects.compactMap { try? ResourceInterpreterCustomization(json: $0) })
        current.withLock { $0 = (fingerprint, interpreter) }
        return interpreter
    }
}
