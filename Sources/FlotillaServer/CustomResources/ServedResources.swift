import FlotillaAPI
import FlotillaStore
import Synchronization

/// The kinds a server serves now: its built-in registry plus the kinds of the CustomResourceDefinitions in its
/// store. The store is the truth, so every replica of a control plane serves the same kinds without a watch: the
/// set is rebuilt at start-up, on every CRD write, for every discovery request, for a path no kind answers yet,
/// and before every write of a custom resource (so a CRD deleted through another replica is never written to).
public final class ServedResources: Sendable {
    public let base: ResourceRegistry
    private let state: Mutex<State>

    struct State {
        var registry: ResourceRegistry
        /// Per CRD name: why its names were refused (another kind holds them), or nil when it is served.
        var verdicts: [String: String?] = [:]
    }

    public init(base: ResourceRegistry) {
        self.base = base
        self.state = Mutex(State(registry: base))
    }

    public var registry: ResourceRegistry { state.withLock { $0.registry } }

    /// Why the CRD's names were not accepted, if they were not; `.none` when the CRD is unknown.
    public func verdict(_ name: String) -> String?? { state.withLock { $0.verdicts[name] } }

    /// Rebuilds the served set from the stored CRDs. Only servers that serve CRDs have any.
    @discardableResult
    public func refresh(from store: any Store) async throws(APIError) -> ResourceRegistry {
        guard base.descriptor(for: CustomResourceDefinition.descriptor.groupResource) != nil else { return base }
        let items = try await store.list(CustomResourceDefinition.descriptor.groupResource, options: ListOptions()).items
        let definitions = items.compactMap { try? CustomResourceDefinition(json: $0) }
        let (registry, verdicts) = Self.serve(definitions, base: base)
        state.withLock { $0 = State(registry: registry, verdicts: verdicts) }
        return registry
    }

    /// The built-in kinds plus each CRD's served versions, oldest CRD first: a CRD whose plural, kind or short
    /// names another kind of its group already holds is not served (Kubernetes' NamesAccepted=False).
    static func serve(_ definitions: [CustomResourceDefinition], base: ResourceRegistry) -> (ResourceRegistry, [String: String?]) {
        var registry = base
        var verdicts: [String: String?] = [:]
        // Oldest first; within a second, the one already holding its names keeps them (timestamps have seconds only).
        func order(_ definition: CustomResourceDefinition) -> (Int64, Int, String) {
            let holds = definition.status?.conditions?.contains { $0.type == "NamesAccepted" && $0.status == .true } ?? false
            return (definition.metadata.creationTimestamp?.seconds ?? 0, holds ? 0 : 1, definition.metadata.name ?? "")
        }
        let ordered = definitions.sorted { order($0) < order($1) }
        for definition in ordered where definition.metadata.deletionTimestamp == nil {
            let names = definition.spec.names
            let clash = registry.descriptors.first { existing in
                existing.group == definition.spec.group && existing.definition?.name != definition.metadata.name
                    && (existing.plural == names.plural || existing.kind == names.kind
                        || !Set(existing.shortNames).isDisjoint(with: names.shortNames ?? []))
            }
            if let clash {
                verdicts[definition.metadata.name ?? ""] = .some("\(clash.plural).\(clash.group) already uses these names")
                continue
            }
            verdicts[definition.metadata.name ?? ""] = .some(nil)
            for descriptor in definition.servedDescriptors() { registry.register(descriptor) }
        }
        return (registry, verdicts)
    }
}
